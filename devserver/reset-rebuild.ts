// What a reset run inherits from the events it copies: the real server rebuilds mutable state
// by replaying the base run's history up to the reset point, so what was pending there (the
// workflow task being reset, activities not yet closed, timers not yet fired, accepted updates
// not yet completed, children) is pending again in the new run. This file reads that state out
// of the copied prefix; reset.ts writes the new run's events and hands the work out again.
import { fillRetryPolicy } from './activity-rules.js';
import type { Engine } from './engine.js';
import { type Msg, durationToMs, tsToMs } from './proto.js';
import type { ActivityState, HistoryEvent } from './types.js';

/** The workflow task open at the end of the prefix: the one the reset fails. */
export interface PendingWorkflowTask {
  scheduledEventId: number;
  /** 0 when the prefix ends before it was started (the server then writes its Started event) */
  startedEventId: number;
}

/** An activity scheduled in the prefix and not closed in it. */
export interface PendingActivity {
  scheduled: HistoryEvent;
  /** its ActivityTaskStarted, when that is in the prefix (the activity then fails with the reset) */
  started?: HistoryEvent;
  cancelRequestedEventId?: number;
}

export interface PrefixState {
  workflowTask?: PendingWorkflowTask;
  activities: PendingActivity[];
  timers: Array<{ timerId: string; startedEventId: number; at: number }>;
  /** accepted and not completed: the worker completes them in the new run */
  acceptedUpdates: Array<{ id: string; request: Msg; acceptedEventId: number }>;
  pendingChildren: number;
  lastCompletedStartedEventId: number;
  cancelRequested: boolean;
  memo?: Msg;
  searchAttributes: Record<string, Msg>;
}

const WFT_CLOSED = new Set(['EVENT_TYPE_WORKFLOW_TASK_COMPLETED', 'EVENT_TYPE_WORKFLOW_TASK_FAILED', 'EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT']);
const ACTIVITY_CLOSED: Record<string, string> = {
  EVENT_TYPE_ACTIVITY_TASK_COMPLETED: 'activityTaskCompletedEventAttributes',
  EVENT_TYPE_ACTIVITY_TASK_FAILED: 'activityTaskFailedEventAttributes',
  EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: 'activityTaskTimedOutEventAttributes',
  EVENT_TYPE_ACTIVITY_TASK_CANCELED: 'activityTaskCanceledEventAttributes',
};
const CHILD_CLOSED: Record<string, string> = {
  EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED: 'startChildWorkflowExecutionFailedEventAttributes',
  EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: 'childWorkflowExecutionCompletedEventAttributes',
  EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: 'childWorkflowExecutionFailedEventAttributes',
  EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: 'childWorkflowExecutionCanceledEventAttributes',
  EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: 'childWorkflowExecutionTimedOutEventAttributes',
  EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: 'childWorkflowExecutionTerminatedEventAttributes',
};

/** Replays the prefix into the state a rebuilt run starts from. */
export function readPrefix(engine: Engine, prefix: HistoryEvent[]): PrefixState {
  const started = prefix[0]?.workflowExecutionStartedEventAttributes ?? {};
  let workflowTask: PendingWorkflowTask | undefined;
  const activities = new Map<number, PendingActivity>();
  const timers = new Map<string, { timerId: string; startedEventId: number; at: number }>();
  const updates = new Map<string, { id: string; request: Msg; acceptedEventId: number }>();
  const children = new Set<number>();
  let lastCompletedStartedEventId = 0;
  let cancelRequested = false;
  const memoFields: Record<string, Msg> = { ...(started.memo?.fields ?? {}) };
  const searchAttributes = typedSearchAttributes(engine, started.searchAttributes);

  for (const e of prefix) {
    const type = e.eventType;
    if (type === 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED') workflowTask = { scheduledEventId: e.eventId, startedEventId: 0 };
    else if (type === 'EVENT_TYPE_WORKFLOW_TASK_STARTED' && workflowTask) workflowTask.startedEventId = e.eventId;
    else if (WFT_CLOSED.has(type)) {
      if (type === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED') lastCompletedStartedEventId = e.workflowTaskCompletedEventAttributes?.startedEventId ?? 0;
      workflowTask = undefined;
    } else if (type === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED') activities.set(e.eventId, { scheduled: e });
    else if (type === 'EVENT_TYPE_ACTIVITY_TASK_STARTED') {
      const a = activities.get(e.activityTaskStartedEventAttributes?.scheduledEventId);
      if (a) a.started = e;
    } else if (type === 'EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED') {
      const a = activities.get(e.activityTaskCancelRequestedEventAttributes?.scheduledEventId);
      if (a) a.cancelRequestedEventId = e.eventId;
    } else if (ACTIVITY_CLOSED[type]) activities.delete(e[ACTIVITY_CLOSED[type]!]?.scheduledEventId);
    else if (type === 'EVENT_TYPE_TIMER_STARTED') {
      const a = e.timerStartedEventAttributes ?? {};
      const at = (tsToMs(e.eventTime) ?? 0) + (durationToMs(a.startToFireTimeout) ?? 0);
      timers.set(a.timerId, { timerId: a.timerId, startedEventId: e.eventId, at });
    } else if (type === 'EVENT_TYPE_TIMER_FIRED') timers.delete(e.timerFiredEventAttributes?.timerId);
    else if (type === 'EVENT_TYPE_TIMER_CANCELED') timers.delete(e.timerCanceledEventAttributes?.timerId);
    else if (type === 'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED') children.add(e.eventId);
    else if (CHILD_CLOSED[type]) children.delete(e[CHILD_CLOSED[type]!]?.initiatedEventId);
    else if (type === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED') {
      const a = e.workflowExecutionUpdateAcceptedEventAttributes ?? {};
      updates.set(a.protocolInstanceId, { id: a.protocolInstanceId, request: a.acceptedRequest ?? {}, acceptedEventId: e.eventId });
    } else if (type === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED') {
      updates.delete(e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId);
    } else if (type === 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED') cancelRequested = true;
    else if (type === 'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES') {
      const typed = typedSearchAttributes(engine, e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes);
      for (const [k, v] of Object.entries(typed)) {
        if (!v?.data || (v.data as Uint8Array).length === 0) delete searchAttributes[k];
        else searchAttributes[k] = v;
      }
    } else if (type === 'EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED') {
      for (const [k, v] of Object.entries((e.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields ?? {}) as Record<string, Msg>)) {
        if (!v?.data || (v.data as Uint8Array).length === 0) delete memoFields[k];
        else memoFields[k] = v;
      }
    }
  }
  return {
    workflowTask,
    activities: [...activities.values()],
    timers: [...timers.values()],
    acceptedUpdates: [...updates.values()],
    pendingChildren: children.size,
    lastCompletedStartedEventId,
    cancelRequested,
    memo: started.memo || Object.keys(memoFields).length ? { fields: memoFields } : undefined,
    searchAttributes,
  };
}

function typedSearchAttributes(engine: Engine, sa: Msg | undefined): Record<string, Msg> {
  const typed = engine.searchAttributes.validate(sa?.indexedFields ?? {});
  return typeof typed === 'string' ? {} : { ...typed };
}

/** The activity state of a pending activity, scheduled anew now (as the real server does on reset). */
export function activityFromScheduled(engine: Engine, runTaskQueue: string, a: PendingActivity): ActivityState {
  const s = a.scheduled.activityTaskScheduledEventAttributes ?? {};
  const now = engine.clock.now();
  return {
    scheduledEventId: a.scheduled.eventId,
    activityId: s.activityId,
    activityType: s.activityType?.name,
    taskQueue: s.taskQueue?.name || runTaskQueue,
    input: s.input,
    header: s.header,
    scheduleToCloseMs: durationToMs(s.scheduleToCloseTimeout) ?? 0,
    scheduleToStartMs: durationToMs(s.scheduleToStartTimeout) ?? 0,
    startToCloseMs: durationToMs(s.startToCloseTimeout) ?? 0,
    heartbeatMs: durationToMs(s.heartbeatTimeout) ?? 0,
    retryPolicy: fillRetryPolicy(s.retryPolicy),
    priority: s.priority,
    attempt: 1,
    state: 'scheduled',
    firstScheduledTime: now,
    attemptScheduledTime: now,
    cancelRequested: a.cancelRequestedEventId !== undefined,
    cancelRequestedEventId: a.cancelRequestedEventId,
    nonce: engine.nextNonce(),
    timers: [],
  };
}
