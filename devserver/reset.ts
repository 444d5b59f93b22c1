// ResetWorkflowExecution, as the real server's workflow resetter does it: the new run (same
// workflow id, new run id) starts from a copy of the base run's events up to the reset point
// (through the WorkflowTaskStarted of the task being reset), fails that task with cause
// RESET_WORKFLOW (naming the base and new runs), reapplies the signals (and updates) the base
// run and its continued-as-new successors received after that point, and schedules a new
// workflow task. What was pending at the reset point is pending again (reset-rebuild.ts). The
// current run, if still running, is terminated by "history-resetter" with the request's reason.
import { randomUUID } from 'node:crypto';
import { enqueueActivity } from './activities.js';
import { armTimer } from './commands.js';
import type { Engine } from './engine.js';
import { pushEvent } from './history.js';
import { type Msg, invalidArgument, ts, tsToMs, unimplemented } from './proto.js';
import { type PrefixState, activityFromScheduled, readPrefix } from './reset-rebuild.js';
import { clearNotCurrent, emptyRunState } from './runs.js';
import type { HistoryEvent, Run } from './types.js';

/** Identities the real server writes on the events of a reset (service/history/consts). */
const HISTORY_SERVICE = 'history-service';
const RESETTER = 'history-resetter';

const FIELD = 'workflow_task_finish_event_id';

/** The event types not reapplied, from the request's exclude list and the deprecated reapply type. */
export function excludedReapplyTypes(req: Msg): Set<string> {
  const excluded = new Set<string>((req.resetReapplyExcludeTypes ?? []) as string[]);
  const signal = 'RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL';
  const update = 'RESET_REAPPLY_EXCLUDE_TYPE_UPDATE';
  if (req.resetReapplyType === 'RESET_REAPPLY_TYPE_SIGNAL') excluded.add(update);
  if (req.resetReapplyType === 'RESET_REAPPLY_TYPE_NONE') {
    excluded.add(signal);
    excluded.add(update);
  }
  return excluded;
}

export function resetWorkflowExecution(engine: Engine, req: Msg): Msg {
  const ns = engine.namespace(req.namespace).name;
  if (!req.requestId) throw invalidArgument('RequestId is not set on request.');
  const base = engine.findRun(ns, req.workflowExecution);
  const runs = engine.runsOf(ns, base.workflowId);
  const current = runs[runs.length - 1]!;

  const finishId = Number(req.workflowTaskFinishEventId ?? 0);
  if (!Number.isInteger(finishId) || finishId <= 1 || finishId > base.history.length) {
    throw invalidArgument(
      `${FIELD} ${finishId} is out of range: Workflow task finish ID must be > 1 && <= workflow last event ID (${base.history.length}).`,
    );
  }
  // a retried request answers with the run it created
  if (current.startRequestId === req.requestId) return { runId: current.runId };

  const prefix = base.history.slice(0, finishId - 1);
  const state = readPrefix(engine, prefix);
  if (!state.workflowTask) {
    const named = base.history[finishId - 1]!.eventType.replace('EVENT_TYPE_', '');
    throw invalidArgument(
      `${FIELD} ${finishId} (${named}) does not finish a workflow task: it must name a WorkflowTaskCompleted, WorkflowTaskFailed, ` +
        `WorkflowTaskTimedOut or WorkflowTaskStarted event (can only reset workflow to event ID in range [WorkflowTaskScheduled +1, WorkflowTaskStarted + 1]).`,
    );
  }
  if (state.pendingChildren > 0) throw invalidArgument('WorkflowResetter encountered pending child workflows.');
  const postResetSignals = postResetOperationSignals(req);

  const newRunId = randomUUID();
  const reason = (req.reason as string | undefined) ?? '';
  if (engine.isOpen(current)) terminateForReset(engine, current, reason, newRunId);
  const reapplied = eventsToReapply(engine, base, finishId, excludedReapplyTypes(req));

  const run = newRun(engine, base, newRunId, req.requestId, state);
  engine.runsById.set(newRunId, run);
  clearNotCurrent(engine, runs);
  runs.push(run);
  base.resetRunId = newRunId;
  if (current !== base) current.resetRunId = newRunId;
  engine.onRunChange(base); // a closed base run gets no event: --db must store the link
  engine.onRunChange(current);
  followedByParent(engine, current, run);

  writeHistory(engine, run, prefix, state, { baseRunId: base.runId, reason, reapplied, postResetSignals, identity: req.identity });
  handOutPending(engine, run, state);
  engine.changed();
  return { runId: newRunId };
}

/**
 * The new run's history: the copied prefix, the reset task failed, activities started in the
 * prefix failed, the reapplied events, the post-reset signals, and a new workflow task.
 */
function writeHistory(
  engine: Engine,
  run: Run,
  prefix: HistoryEvent[],
  state: PrefixState,
  o: { baseRunId: string; reason: string; reapplied: HistoryEvent[]; postResetSignals: Msg[]; identity?: string },
): void {
  for (const e of prefix) pushEvent(engine, run, { ...e });
  failResetWorkflowTask(engine, run, state, o.baseRunId, o.reason);
  failStartedActivities(engine, run, state, o.reason);
  for (const e of o.reapplied) reapply(engine, run, e);
  for (const signal of o.postResetSignals) {
    engine.append(run, 'WORKFLOW_EXECUTION_SIGNALED', 'workflowExecutionSignaledEventAttributes', {
      signalName: signal.signalName,
      input: signal.input,
      identity: o.identity,
      header: signal.header,
    });
  }
  engine.scheduleWorkflowTask(run);
}

/** Activities not started at the reset point are scheduled anew; timers fire at their original time. */
function handOutPending(engine: Engine, run: Run, state: PrefixState): void {
  for (const a of state.activities) {
    if (a.started) continue;
    const activity = activityFromScheduled(engine, run.taskQueue, a);
    run.activities.set(activity.scheduledEventId, activity);
    enqueueActivity(engine, run, activity);
  }
  for (const t of state.timers) armTimer(engine, run, t.timerId, t.startedEventId, t.at);
}

/**
 * The post-reset operations, checked before anything is done: signals are sent to the new run
 * before its first task; workflow option updates (worker-versioning overrides) are not supported.
 */
function postResetOperationSignals(req: Msg): Msg[] {
  const signals: Msg[] = [];
  for (const [i, op] of ((req.postResetOperations ?? []) as Msg[]).entries()) {
    if (op.updateWorkflowOptions) {
      throw unimplemented(`ResetWorkflowExecution post_reset_operations[${i}].update_workflow_options (worker versioning)`);
    }
    if (!op.signalWorkflow) throw invalidArgument(`post_reset_operations[${i}]: unsupported post reset operation.`);
    if (!op.signalWorkflow.signalName) throw invalidArgument(`post_reset_operations[${i}].signal_workflow.signal_name is not set.`);
    signals.push(op.signalWorkflow);
  }
  return signals;
}

/**
 * The current run ends as the real server's resetter ends it: a started workflow task fails
 * (force close), events buffered behind it are written (so their signals are reapplied), then
 * WorkflowExecutionTerminated by "history-resetter". It names the reset run as its successor, so
 * a parent does not see its child end but follows it to the new run.
 */
function terminateForReset(engine: Engine, run: Run, reason: string, newRunId: string): void {
  const wft = run.wft;
  if (wft) {
    engine.finishWorkflowTask(run, wft);
    if (wft.startedEventId > 0 && !wft.unwritten) {
      engine.append(run, 'WORKFLOW_TASK_FAILED', 'workflowTaskFailedEventAttributes', {
        scheduledEventId: wft.scheduledEventId,
        startedEventId: wft.startedEventId,
        cause: 'WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND',
        identity: HISTORY_SERVICE,
      });
    }
  }
  engine.flushBuffered(run);
  run.newRunId = newRunId;
  engine.terminate(run, reason, undefined, RESETTER);
}

/** Signals and updates received after the reset point, by the base run and the runs it continued as. */
function eventsToReapply(engine: Engine, base: Run, finishId: number, excluded: Set<string>): HistoryEvent[] {
  const wanted = (e: HistoryEvent) =>
    (e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED' && !excluded.has('RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL')) ||
    (isReappliedUpdate(e) && !excluded.has('RESET_REAPPLY_EXCLUDE_TYPE_UPDATE'));
  const events = base.history.slice(finishId - 1).filter(wanted);
  let run: Run | undefined = base;
  while (run) {
    const last: HistoryEvent | undefined = run.history[run.history.length - 1];
    const next = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId as string | undefined;
    run = next ? engine.runsById.get(next) : undefined;
    if (run) events.push(...run.history.filter(wanted));
  }
  return events;
}

/** An update the real server reapplies: admitted, or accepted with its request (not after an admitted one). */
function isReappliedUpdate(e: HistoryEvent): boolean {
  return e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED' ||
    (e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED' && !!e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest);
}

function reapply(engine: Engine, run: Run, e: HistoryEvent): void {
  if (e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED') {
    const a = e.workflowExecutionSignaledEventAttributes ?? {};
    // the request id goes along, so a retry of that signal to the new run is still recognised
    if (a.requestId) run.signalRequestIds.add(a.requestId);
    engine.append(run, 'WORKFLOW_EXECUTION_SIGNALED', 'workflowExecutionSignaledEventAttributes', {
      signalName: a.signalName,
      input: a.input,
      identity: a.identity,
      header: a.header,
      requestId: a.requestId,
    });
    return;
  }
  reapplyUpdate(engine, run, e);
}

/**
 * An update reapplied is written as UpdateAdmitted (origin REAPPLY): the worker reads its request
 * from that event, not from a protocol message, and answers it like any other update.
 */
function reapplyUpdate(engine: Engine, run: Run, e: HistoryEvent): void {
  const request: Msg = e.workflowExecutionUpdateAdmittedEventAttributes?.request ?? e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
  const id = request?.meta?.updateId as string | undefined;
  if (!id || run.updates.has(id)) return;
  engine.append(run, 'WORKFLOW_EXECUTION_UPDATE_ADMITTED', 'workflowExecutionUpdateAdmittedEventAttributes', {
    request,
    origin: 'UPDATE_ADMITTED_EVENT_ORIGIN_REAPPLY',
  });
  run.updates.set(id, { id, request, stage: 'admitted', waiters: [], durable: true });
}

function failResetWorkflowTask(engine: Engine, run: Run, state: PrefixState, baseRunId: string, reason: string): void {
  const wft = state.workflowTask!;
  let startedEventId = wft.startedEventId;
  if (!startedEventId) {
    startedEventId = engine.append(run, 'WORKFLOW_TASK_STARTED', 'workflowTaskStartedEventAttributes', {
      scheduledEventId: wft.scheduledEventId,
      identity: HISTORY_SERVICE,
      requestId: randomUUID(),
      historySizeBytes: run.historySizeBytes,
    });
  }
  engine.append(run, 'WORKFLOW_TASK_FAILED', 'workflowTaskFailedEventAttributes', {
    scheduledEventId: wft.scheduledEventId,
    startedEventId,
    cause: 'WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW',
    failure: { message: reason, resetWorkflowFailureInfo: {} },
    identity: HISTORY_SERVICE,
    baseRunId,
    newRunId: run.runId,
    forkEventVersion: 0,
  });
}

/** An activity whose started event is in the prefix cannot go on: it fails with the reset (not retried). */
function failStartedActivities(engine: Engine, run: Run, state: PrefixState, reason: string): void {
  for (const a of state.activities) {
    if (!a.started) continue;
    engine.append(run, 'ACTIVITY_TASK_FAILED', 'activityTaskFailedEventAttributes', {
      scheduledEventId: a.scheduled.eventId,
      startedEventId: a.started.eventId,
      failure: { message: reason, resetWorkflowFailureInfo: {} },
      retryState: 'RETRY_STATE_NON_RETRYABLE_FAILURE',
      identity: a.started.activityTaskStartedEventAttributes?.identity,
    });
  }
}

function newRun(engine: Engine, base: Run, runId: string, requestId: string, state: PrefixState): Run {
  const started = base.history[0]?.workflowExecutionStartedEventAttributes ?? {};
  const now = engine.clock.now();
  const run: Run = {
    namespace: base.namespace,
    workflowId: base.workflowId,
    runId,
    firstRunId: started.firstExecutionRunId || base.firstRunId,
    workflowType: base.workflowType,
    taskQueue: base.taskQueue,
    status: 'WORKFLOW_EXECUTION_STATUS_RUNNING',
    history: [],
    historySizeBytes: 0,
    startTime: now,
    executionTime: now,
    wftTimeoutMs: base.wftTimeoutMs,
    runTimeoutMs: base.runTimeoutMs,
    executionTimeoutMs: base.executionTimeoutMs,
    memo: state.memo,
    searchAttributes: state.searchAttributes,
    parent: base.parent,
    root: base.root,
    // the reset's request id: a retried request finds the run it created
    startRequestId: requestId,
    nextWftAttempt: 1,
    lastCompletedStartedEventId: state.lastCompletedStartedEventId,
    cancelRequested: state.cancelRequested,
    ...emptyRunState(),
    lastResetTime: now,
  };
  for (const u of state.acceptedUpdates) {
    run.updates.set(u.id, { id: u.id, request: u.request, stage: 'accepted', acceptedEventId: u.acceptedEventId, waiters: [] });
  }
  if (run.runTimeoutMs > 0) run.runTimers.push(engine.clock.after(run.runTimeoutMs, () => engine.timeOut(run, 'run')));
  const expiration = tsToMs(started.workflowExecutionExpirationTime) ?? 0;
  if (expiration > 0) run.runTimers.push(engine.clock.at(expiration, () => engine.timeOut(run, 'execution')));
  return run;
}

/** A reset child: its parent now waits for the new run. */
function followedByParent(engine: Engine, old: Run, next: Run): void {
  if (!old.parent) return;
  const ref = engine.runsById.get(old.parent.runId)?.children.get(old.parent.initiatedEventId);
  if (ref) ref.runId = next.runId;
}

/** The reset links describe() shows (temporal.api.workflow.v1.WorkflowExecutionExtendedInfo). */
export function resetExtendedInfo(run: Run): Msg {
  return {
    originalStartTime: run.history[0]?.eventTime,
    resetRunId: run.resetRunId,
    lastResetTime: run.lastResetTime !== undefined ? ts(run.lastResetTime) : undefined,
  };
}
