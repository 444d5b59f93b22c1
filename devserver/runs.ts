// Runs: starting one (id reuse and conflict policies, timeouts, start delay), signals,
// cancellation requests, termination, timing out and closing.
import { randomUUID } from 'node:crypto';
import { fillRetryPolicy } from './activity-rules.js';
import { applyParentClosePolicy, notifyParent } from './children.js';
import { cronBackoffMs, parseCron } from './cron.js';
import type { Engine } from './engine.js';
import { dur } from './history.js';
import { closeWithNextRun } from './next-run.js';
import { abortUpdates } from './updates.js';
import { type Msg, alreadyExists, invalidArgument, notFound, ts, durationToMs } from './proto.js';
import type { Run, RunStatus } from './types.js';

export const DEFAULT_WFT_TIMEOUT_MS = 10_000;
const MAX_WFT_TIMEOUT_MS = 120_000;

export interface StartOptions {
  parent?: Run['parent'];
  continuedFrom?: Run;
  /** continue-as-new attributes (also used for retries and cron: initiator, failure, backoff) */
  canAttrs?: Msg;
  newRunId?: string;
  /** the attempt of this run (a workflow retry counts up from 1) */
  attempt?: number;
  /** a retry keeps the execution's expiration time */
  expirationTime?: number;
  /** when the first workflow task is due (a cron run's scheduled time) */
  runAt?: number;
  onStarted?: (run: Run) => void;
  /** eager workflow start: the first workflow task is started for this identity and returned */
  eagerFor?: string;
}

const FAILED_LIKE = new Set([
  'WORKFLOW_EXECUTION_STATUS_FAILED',
  'WORKFLOW_EXECUTION_STATUS_CANCELED',
  'WORKFLOW_EXECUTION_STATUS_TERMINATED',
  'WORKFLOW_EXECUTION_STATUS_TIMED_OUT',
]);

/**
 * Applies the id reuse / conflict policies against the current run of the workflow id.
 * Returns the run to answer with when the start is a no-op (same request, or USE_EXISTING).
 */
function checkIdPolicies(engine: Engine, req: Msg, current: Run | undefined): { run: Run; started: boolean } | undefined {
  if (!current) return undefined;
  const workflowId = current.workflowId;
  const alreadyStarted = (message: string) =>
    alreadyExists(message, {
      typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
      value: { startRequestId: current.startRequestId ?? '', runId: current.runId },
    });
  if (engine.isOpen(current)) {
    if (req.requestId && current.startRequestId === req.requestId) return { run: current, started: true };
    const conflict = req.workflowIdConflictPolicy as string | undefined;
    const legacyTerminate = req.workflowIdReusePolicy === 'WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING';
    if (conflict === 'WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING') return { run: current, started: false };
    if (conflict === 'WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING' || legacyTerminate) {
      terminate(engine, current, 'terminated by a new start (workflow id conflict policy)', undefined, req.identity);
      return undefined;
    }
    throw alreadyStarted(`Workflow execution is already running. WorkflowId: ${workflowId}, RunId: ${current.runId}.`);
  }
  const reuse = (req.workflowIdReusePolicy as string | undefined) ?? 'WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE';
  if (
    reuse === 'WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE' ||
    (reuse === 'WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY' && !FAILED_LIKE.has(current.status))
  ) {
    throw alreadyStarted(`Workflow execution already finished and WorkflowIdReusePolicy prevents a new start. WorkflowId: ${workflowId}, RunId: ${current.runId}.`);
  }
  return undefined;
}

/** What a new run starts with besides its identity: nothing pending, nobody waiting. */
export function emptyRunState(): Pick<Run, 'buffered' | 'activities' | 'timers' | 'children' | 'updates' | 'pendingQueries' | 'signalRequestIds' | 'closeWaiters' | 'eventWaiters' | 'runTimers'> {
  return {
    buffered: [],
    activities: new Map(),
    timers: new Map(),
    children: new Map(),
    updates: new Map(),
    pendingQueries: [],
    signalRequestIds: new Set(),
    closeWaiters: [],
    eventWaiters: [],
    runTimers: [],
  };
}

export function startWorkflow(engine: Engine, req: Msg, opts: StartOptions = {}): { run: Run; started: boolean; eagerTask?: Msg } {
  const ns = req.namespace as string;
  engine.namespace(ns);
  const workflowId = req.workflowId as string;
  if (!workflowId) throw invalidArgument('WorkflowId is not set on request.');
  if (workflowId.length > 1000) throw invalidArgument('WorkflowId length exceeds limit.');
  const typeName = req.workflowType?.name as string | undefined;
  if (!typeName) throw invalidArgument('WorkflowType is not set on request.');
  const taskQueue = req.taskQueue?.name as string | undefined;
  if (!taskQueue) throw invalidArgument('TaskQueue is not set on request.');
  const searchAttributes = engine.searchAttributes.validate(req.searchAttributes?.indexedFields ?? {});
  if (typeof searchAttributes === 'string') throw invalidArgument(searchAttributes);
  const cron = req.cronSchedule ? parseCronSchedule(req.cronSchedule) : undefined;
  if (cron && durationToMs(req.workflowStartDelay)) throw invalidArgument('CronSchedule and WorkflowStartDelay may not be used together.');
  const retryPolicy = req.retryPolicy ? checkedRetryPolicy(req.retryPolicy) : undefined;

  const runs = engine.runsOf(ns, workflowId);
  if (!opts.continuedFrom) {
    const existing = checkIdPolicies(engine, req, engine.currentRun(ns, workflowId));
    if (existing) return existing;
  }

  const now = engine.clock.now();
  const runId = opts.newRunId ?? randomUUID();
  const wftTimeoutMs = Math.min(durationToMs(req.workflowTaskTimeout) || DEFAULT_WFT_TIMEOUT_MS, MAX_WFT_TIMEOUT_MS);
  const runTimeoutMs = durationToMs(req.workflowRunTimeout) ?? 0;
  const executionTimeoutMs = durationToMs(req.workflowExecutionTimeout) ?? 0;
  const from = opts.continuedFrom;
  const run: Run = {
    namespace: ns,
    workflowId,
    runId,
    firstRunId: from?.firstRunId ?? runId,
    workflowType: typeName,
    taskQueue,
    status: 'WORKFLOW_EXECUTION_STATUS_RUNNING',
    history: [],
    historySizeBytes: 0,
    startTime: now,
    executionTime: now,
    wftTimeoutMs,
    runTimeoutMs,
    executionTimeoutMs,
    memo: req.memo,
    searchAttributes,
    parent: opts.parent,
    root: rootOf(engine, opts.parent),
    startRequestId: req.requestId,
    nextWftAttempt: 1,
    lastCompletedStartedEventId: 0,
    cancelRequested: false,
    ...emptyRunState(),
  };
  const cronBackoff = cron && !from ? cronBackoffMs(cron, now, now) : 0;
  const backoffMs = opts.runAt !== undefined
    ? Math.max(0, opts.runAt - now)
    : (durationToMs(req.workflowStartDelay) ?? durationToMs(opts.canAttrs?.backoffStartInterval) ?? cronBackoff);
  const expirationTime = opts.expirationTime ?? (executionTimeoutMs > 0 ? now + executionTimeoutMs : 0);
  const parent = opts.parent;
  engine.append(run, 'WORKFLOW_EXECUTION_STARTED', 'workflowExecutionStartedEventAttributes', {
    workflowType: { name: typeName },
    parentWorkflowNamespace: parent?.namespace,
    parentWorkflowExecution: parent ? { workflowId: parent.workflowId, runId: parent.runId } : undefined,
    parentInitiatedEventId: parent?.initiatedEventId,
    taskQueue: { name: taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
    input: req.input,
    workflowExecutionTimeout: req.workflowExecutionTimeout,
    workflowRunTimeout: req.workflowRunTimeout,
    workflowTaskTimeout: dur(wftTimeoutMs),
    continuedExecutionRunId: from?.runId,
    initiator: from ? (opts.canAttrs?.initiator ?? 'CONTINUE_AS_NEW_INITIATOR_WORKFLOW') : undefined,
    continuedFailure: opts.canAttrs?.failure,
    lastCompletionResult: opts.canAttrs?.lastCompletionResult,
    originalExecutionRunId: runId,
    identity: req.identity,
    firstExecutionRunId: run.firstRunId,
    retryPolicy,
    attempt: opts.attempt ?? 1,
    workflowExecutionExpirationTime: expirationTime > 0 ? ts(expirationTime) : undefined,
    cronSchedule: req.cronSchedule,
    // a retry or cron run reports the backoff it was planned with (time moved on by a millisecond or so)
    firstWorkflowTaskBackoff: backoffMs > 0 ? dur(opts.runAt !== undefined ? (durationToMs(opts.canAttrs?.backoffStartInterval) ?? backoffMs) : backoffMs) : undefined,
    memo: req.memo,
    searchAttributes: Object.keys(searchAttributes).length ? { indexedFields: searchAttributes } : undefined,
    header: req.header,
    workflowId,
    // temporal.api.common.v1.Priority as given (a child's already merged over its parent's: children.ts)
    priority: req.priority,
  }, req.userMetadata ? { userMetadata: req.userMetadata } : {});
  if (runs.length === 0) engine.executions.set(`${ns}/${workflowId}`, runs);
  clearNotCurrent(engine, runs);
  runs.push(run);
  engine.runsById.set(runId, run);
  opts.onStarted?.(run);

  if (runTimeoutMs > 0) run.runTimers.push(engine.clock.after(runTimeoutMs, () => timeOut(engine, run, 'run')));
  if (expirationTime > 0) run.runTimers.push(engine.clock.at(expirationTime, () => timeOut(engine, run, 'execution')));
  if (backoffMs > 0) {
    run.executionTime = now + backoffMs;
    run.runTimers.push(engine.clock.after(backoffMs, () => engine.scheduleWorkflowTask(run)));
    engine.changed();
    return { run, started: true };
  }
  const eagerTask = engine.scheduleWorkflowTask(run, { eagerFor: opts.eagerFor });
  engine.changed();
  return { run, started: true, eagerTask };
}

function rootOf(engine: Engine, parent: Run['parent']): Run['root'] {
  if (!parent) return undefined;
  const p = engine.runsById.get(parent.runId);
  return p?.root ?? { workflowId: parent.workflowId, runId: parent.runId };
}

export function signal(engine: Engine, run: Run, req: Msg): void {
  if (req.requestId) {
    if (run.signalRequestIds.has(req.requestId)) return;
    run.signalRequestIds.add(req.requestId);
  }
  engine.deliver(run, [{
    eventType: 'WORKFLOW_EXECUTION_SIGNALED',
    attrsField: 'workflowExecutionSignaledEventAttributes',
    // the request id is in the event, as on the real server: a restored run rebuilds its dedup set from history
    attrs: { signalName: req.signalName, input: req.input, identity: req.identity, header: req.header, requestId: req.requestId },
  }]);
  engine.changed();
}

export function requestCancel(engine: Engine, run: Run, req: Msg, external?: { initiatedEventId: number; execution: Msg }): void {
  if (run.cancelRequested) return;
  run.cancelRequested = true;
  engine.deliver(run, [{
    eventType: 'WORKFLOW_EXECUTION_CANCEL_REQUESTED',
    attrsField: 'workflowExecutionCancelRequestedEventAttributes',
    attrs: { cause: req.reason, identity: req.identity, externalInitiatedEventId: external?.initiatedEventId, externalWorkflowExecution: external?.execution },
  }]);
  engine.changed();
}

export function terminate(engine: Engine, run: Run, reason: string | undefined, details: Msg | undefined, identity: string | undefined): void {
  if (!engine.isOpen(run)) throw notFound('workflow execution already completed');
  if (run.wft) engine.finishWorkflowTask(run, run.wft);
  run.buffered = [];
  engine.append(run, 'WORKFLOW_EXECUTION_TERMINATED', 'workflowExecutionTerminatedEventAttributes', { reason, details, identity });
  close(engine, run, 'WORKFLOW_EXECUTION_STATUS_TERMINATED');
}

/** The run (or the whole execution) timed out: a run timeout may still be retried or run by cron. */
export function timeOut(engine: Engine, run: Run, kind: 'run' | 'execution'): void {
  if (!engine.isOpen(run)) return;
  if (run.wft) engine.finishWorkflowTask(run, run.wft);
  run.buffered = [];
  if (kind === 'run') {
    closeWithNextRun(engine, run, 'TIMED_OUT', {}, { message: 'workflow run timed out', timeoutFailureInfo: { timeoutType: 'TIMEOUT_TYPE_START_TO_CLOSE' } });
    return;
  }
  engine.append(run, 'WORKFLOW_EXECUTION_TIMED_OUT', 'workflowExecutionTimedOutEventAttributes', {
    retryState: 'RETRY_STATE_TIMEOUT',
  });
  close(engine, run, 'WORKFLOW_EXECUTION_STATUS_TIMED_OUT');
}

function parseCronSchedule(spec: string) {
  try {
    return parseCron(spec);
  } catch (err) {
    throw invalidArgument(`Invalid CronSchedule "${spec}": ${(err as Error).message}.`);
  }
}

/** The real server validates a workflow retry policy and fills in its defaults. */
function checkedRetryPolicy(policy: Msg): Msg {
  if (Number(policy.maximumAttempts ?? 0) < 0) throw invalidArgument('MaximumAttempts cannot be negative on retry policy.');
  if (policy.backoffCoefficient !== undefined && policy.backoffCoefficient !== 0 && policy.backoffCoefficient < 1) {
    throw invalidArgument('BackoffCoefficient cannot be less than 1 on retry policy.');
  }
  return fillRetryPolicy(policy);
}

/** Marks a run closed after its close event was written; cleans up and notifies. */
export function close(engine: Engine, run: Run, status: RunStatus): void {
  run.status = status;
  run.closeTime = engine.clock.now();
  for (const cancel of run.runTimers.splice(0)) cancel();
  for (const t of run.timers.values()) t.cancel();
  run.timers.clear();
  for (const a of run.activities.values()) engine.dropActivity(a);
  run.activities.clear();
  if (run.wft) engine.finishWorkflowTask(run, run.wft);
  abortUpdates(run);
  for (const w of run.closeWaiters.splice(0)) w();
  for (const w of run.eventWaiters.splice(0)) w();
  applyParentClosePolicy(engine, run);
  // a run followed by another (continue-as-new, retry, cron) is not the child's end
  if (!run.newRunId) notifyParent(engine, run);
  engine.dispatchQueries(run);
  for (const listener of engine.closeListeners) listener(run);
  engine.changed();
}

/** A new run becomes the current one: the run left without a current one after a delete is just an older run again. */
export function clearNotCurrent(engine: Engine, runs: Run[]): void {
  const last = runs[runs.length - 1];
  if (!last?.notCurrent) return;
  delete last.notCurrent;
  engine.changed(last);
}
