// In-memory state of the embedded server. Events and requests are plain decoded protobuf
// objects (see proto.ts): int64 as number, enums as their string names.
import type { Msg } from './proto.js';

export type RunStatus =
  | 'WORKFLOW_EXECUTION_STATUS_RUNNING'
  | 'WORKFLOW_EXECUTION_STATUS_COMPLETED'
  | 'WORKFLOW_EXECUTION_STATUS_FAILED'
  | 'WORKFLOW_EXECUTION_STATUS_CANCELED'
  | 'WORKFLOW_EXECUTION_STATUS_TERMINATED'
  | 'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW'
  | 'WORKFLOW_EXECUTION_STATUS_TIMED_OUT';

export interface HistoryEvent extends Msg {
  eventId: number;
  eventType: string;
}

export interface WorkflowTask {
  scheduledEventId: number;
  startedEventId: number; // 0 while scheduled
  attempt: number;
  queue: string; // the task queue it was scheduled on (normal or a sticky queue)
  sticky: boolean;
  scheduledTime: number;
  startedTime?: number;
  identity?: string;
  nonce: number;
  cancelTimeout?: () => void;
  /** update ids delivered with this task */
  updates: string[];
  /**
   * Kept off history until it completes, as the real server does for a retry after a failed
   * attempt (transient) and for a task scheduled only to deliver an update (speculative).
   */
  unwritten?: boolean;
  speculative?: boolean;
  /** the Scheduled and Started events of an unwritten task, handed to the worker but not written */
  pendingEvents?: HistoryEvent[];
}

export interface ActivityState {
  scheduledEventId: number;
  activityId: string;
  activityType: string;
  taskQueue: string;
  input?: Msg;
  header?: Msg;
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
  retryPolicy: Msg;
  /** own priority merged over the workflow's (see priority.ts) */
  priority?: Msg;
  attempt: number;
  state: 'scheduled' | 'started' | 'backoff';
  firstScheduledTime: number;
  attemptScheduledTime: number;
  startedTime?: number;
  identity?: string;
  requestId?: string;
  heartbeatDetails?: Msg;
  lastHeartbeatTime?: number;
  lastFailure?: Msg;
  cancelRequested: boolean;
  cancelRequestedEventId?: number;
  nonce: number;
  timers: Array<() => void>;
  /** when the last failed attempt ended, and when (after how long) the retry is due */
  lastAttemptCompleteTime?: number;
  nextAttemptTime?: number;
  retryIntervalMs?: number;
  /** the schedule-to-close timer, which spans all attempts */
  deadlineTimer?: () => void;
  /** PauseActivity (activity-control.ts): not dispatched and no retry scheduled until unpaused */
  paused?: boolean;
  pauseInfo?: { time: number; identity: string; reason: string };
  /** ResetActivity on a running attempt: its heartbeats answer activityReset until it ends */
  resetRequested?: boolean;
  /** ResetActivity resetHeartbeat on a running attempt: the next attempt starts without details */
  resetHeartbeatOnRetry?: boolean;
}

export interface ChildRef {
  initiatedEventId: number;
  startedEventId: number;
  namespace: string;
  workflowId: string;
  runId?: string;
  workflowType: string;
  parentClosePolicy: string;
}

export interface UpdateState {
  id: string;
  request: Msg; // temporal.api.update.v1.Request
  stage: 'admitted' | 'accepted' | 'completed';
  outcome?: Msg;
  acceptedEventId?: number;
  waiters: Array<() => void>;
  error?: Error;
  /** admitted by an UpdateAdmitted event in history (reapplied by a reset): the worker reads it there, not from a message */
  durable?: boolean;
}

export interface QueryState {
  id: string;
  query: Msg;
  resolve(result: Msg): void;
  reject(err: Error): void;
  done: boolean;
  /** the query task currently handed out */
  nonce?: number;
}

export interface ParentRef {
  namespace: string;
  workflowId: string;
  runId: string;
  initiatedEventId: number;
}

/** An event waiting behind a started workflow task: what to append, as data (--db keeps it). */
export interface BufferedEvent {
  /** without the EVENT_TYPE_ prefix, as appendEvent takes it */
  eventType: string;
  attrsField: string;
  attrs: Msg;
  /** this attribute gets the id of the event written just before (an activity's close names its Started event) */
  previousIdInto?: string;
  /** the child started by the initiated event of this id has this event as its Started event */
  childStartedOf?: number;
}

export interface Run {
  namespace: string;
  workflowId: string;
  runId: string;
  /** the last run of its workflow id whose current run was deleted: no longer the current run (delete-run.ts) */
  notCurrent?: boolean;
  firstRunId: string;
  workflowType: string;
  taskQueue: string;
  status: RunStatus;
  history: HistoryEvent[];
  /** encoded size of the history, as the real server reports it to workflows */
  historySizeBytes: number;
  startTime: number;
  executionTime: number;
  closeTime?: number;
  wftTimeoutMs: number;
  runTimeoutMs: number;
  executionTimeoutMs: number;
  memo?: Msg;
  searchAttributes: Record<string, Msg>;
  parent?: ParentRef;
  /** the root of the parent chain (absent: the run is its own root) */
  root?: { workflowId: string; runId: string };
  startRequestId?: string;
  // workflow task state
  wft?: WorkflowTask;
  nextWftAttempt: number;
  lastCompletedStartedEventId: number;
  sticky?: { queue: string; scheduleToStartMs: number };
  /** events from outside the workflow waiting behind its started workflow task (history.ts deliver) */
  buffered: BufferedEvent[];
  activities: Map<number, ActivityState>;
  timers: Map<string, { startedEventId: number; at: number; cancel: () => void }>;
  children: Map<number, ChildRef>;
  updates: Map<string, UpdateState>;
  pendingQueries: QueryState[];
  signalRequestIds: Set<string>;
  cancelRequested: boolean;
  closeWaiters: Array<() => void>;
  eventWaiters: Array<() => void>;
  runTimers: Array<() => void>;
  newRunId?: string;
  /** the latest run a reset of this run created (reset.ts) */
  resetRunId?: string;
  /** when this run was created by a reset */
  lastResetTime?: number;
}
