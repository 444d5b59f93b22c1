// Activity tasks: dispatch, heartbeats, the four timeouts, retries with backoff, cancellation.
// As on the real server, ActivityTaskStarted is written only when the activity closes, together
// with its close event, carrying the final attempt number and the last failure.
import { randomUUID } from 'node:crypto';
import { pauseFields } from './activity-control.js';
import { decideRetry } from './activity-rules.js';
import type { Engine } from './engine.js';
import { type Msg, invalidArgument, notFound, ts } from './proto.js';
import { type TokenData, decodeToken, encodeToken } from './tokens.js';
import type { ActivityState, BufferedEvent, Run } from './types.js';

const dur = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

export function enqueueActivity(engine: Engine, run: Run, a: ActivityState): void {
  if (!armSchedule(engine, run, a)) return;
  const nonce = a.nonce;
  engine.activityQueues.add(a.taskQueue, {
    valid: () => a.state === 'scheduled' && a.nonce === nonce && engine.isOpen(run),
    start: (identity) => startActivity(engine, run, a, nonce, identity),
  });
  engine.changed();
}

/**
 * Eager dispatch: starts the scheduled activity at once for `identity` (the worker completing the
 * workflow task) instead of queueing it; returns its poll response, or undefined if it cannot run.
 */
export function startActivityEagerly(engine: Engine, run: Run, a: ActivityState, identity: string): Msg | undefined {
  if (!armSchedule(engine, run, a)) return undefined;
  const task = startActivity(engine, run, a, a.nonce, identity);
  engine.changed();
  return task;
}

/** Marks the attempt scheduled and arms its schedule-to-close/-start timers; false if it cannot run. */
function armSchedule(engine: Engine, run: Run, a: ActivityState): boolean {
  if (!engine.isOpen(run) || a.nonce < 0 || a.paused) return false;
  a.state = 'scheduled';
  a.attemptScheduledTime = engine.clock.now();
  const nonce = a.nonce;
  if (a.scheduleToCloseMs > 0 && !a.deadlineTimer) {
    a.deadlineTimer = engine.clock.at(a.firstScheduledTime + a.scheduleToCloseMs, () => timeOut(engine, run, a, 'TIMEOUT_TYPE_SCHEDULE_TO_CLOSE'));
  }
  if (a.scheduleToStartMs > 0) {
    const cancel = engine.clock.after(a.scheduleToStartMs, () => {
      if (a.state === 'scheduled' && a.nonce === nonce) timeOut(engine, run, a, 'TIMEOUT_TYPE_SCHEDULE_TO_START');
    });
    a.timers.push(cancel);
  }
  return true;
}

function startActivity(engine: Engine, run: Run, a: ActivityState, nonce: number, identity: string): Msg | undefined {
  if (a.state !== 'scheduled' || a.nonce !== nonce || !engine.isOpen(run)) return undefined;
  const now = engine.clock.now();
  a.state = 'started';
  a.startedTime = now;
  a.identity = identity;
  a.requestId = randomUUID();
  a.nonce = engine.nextNonce();
  engine.activityStarted();
  armAttemptTimers(engine, run, a);
  engine.onRunChange(run);
  return {
    taskToken: encodeToken({ k: 'a', ns: run.namespace, wid: run.workflowId, rid: run.runId, n: a.nonce, e: a.scheduledEventId, attempt: a.attempt, activityId: a.activityId }),
    workflowNamespace: run.namespace,
    workflowType: { name: run.workflowType },
    workflowExecution: { workflowId: run.workflowId, runId: run.runId },
    activityType: { name: a.activityType },
    activityId: a.activityId,
    header: a.header,
    input: a.input,
    heartbeatDetails: a.heartbeatDetails,
    priority: a.priority,
    scheduledTime: ts(a.firstScheduledTime),
    currentAttemptScheduledTime: ts(a.attemptScheduledTime),
    startedTime: ts(now),
    attempt: a.attempt,
    scheduleToCloseTimeout: dur(a.scheduleToCloseMs),
    startToCloseTimeout: dur(a.startToCloseMs),
    heartbeatTimeout: dur(a.heartbeatMs),
    retryPolicy: a.retryPolicy,
  };
}

/** start-to-close and heartbeat timers of the current attempt */
function armAttemptTimers(engine: Engine, run: Run, a: ActivityState): void {
  const nonce = a.nonce;
  if (a.startToCloseMs > 0) {
    a.timers.push(engine.clock.after(a.startToCloseMs, () => {
      if (a.nonce === nonce && a.state === 'started') attemptFailed(engine, run, a, timeoutFailure('TIMEOUT_TYPE_START_TO_CLOSE', a));
    }));
  }
  armHeartbeatTimer(engine, run, a);
}

/**
 * New options took effect (UpdateActivityOptions): the overall deadline follows them, and so do a
 * running attempt's start-to-close (from its start) and heartbeat timers.
 */
export function rearmTimers(engine: Engine, run: Run, a: ActivityState): void {
  a.deadlineTimer?.();
  a.deadlineTimer = undefined;
  if (a.scheduleToCloseMs > 0) {
    a.deadlineTimer = engine.clock.at(a.firstScheduledTime + a.scheduleToCloseMs, () => timeOut(engine, run, a, 'TIMEOUT_TYPE_SCHEDULE_TO_CLOSE'));
  }
  if (a.state !== 'started') return;
  for (const cancel of a.timers.splice(0)) cancel();
  const nonce = a.nonce;
  if (a.startToCloseMs > 0) {
    a.timers.push(engine.clock.at((a.startedTime ?? engine.clock.now()) + a.startToCloseMs, () => {
      if (a.nonce === nonce && a.state === 'started') attemptFailed(engine, run, a, timeoutFailure('TIMEOUT_TYPE_START_TO_CLOSE', a));
    }));
  }
  armHeartbeatTimer(engine, run, a);
}

function armHeartbeatTimer(engine: Engine, run: Run, a: ActivityState): void {
  if (a.heartbeatMs <= 0) return;
  const nonce = a.nonce;
  const beat = a.lastHeartbeatTime ?? 0;
  a.timers.push(engine.clock.after(a.heartbeatMs, () => {
    if (a.nonce === nonce && a.state === 'started' && (a.lastHeartbeatTime ?? 0) === beat) {
      attemptFailed(engine, run, a, timeoutFailure('TIMEOUT_TYPE_HEARTBEAT', a));
    }
  }));
}

function timeoutFailure(timeoutType: string, a: ActivityState): Msg {
  const kind = timeoutType.replace('TIMEOUT_TYPE_', '').toLowerCase().split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  return {
    message: `activity ${kind} timeout`,
    source: 'Server',
    timeoutFailureInfo: { timeoutType, lastHeartbeatDetails: a.heartbeatDetails },
  };
}

/** An attempt ended in failure (worker-reported or a start-to-close/heartbeat timeout). */
function attemptFailed(engine: Engine, run: Run, a: ActivityState, failure: Msg, identity?: string): void {
  const decision = decideRetry({
    policy: a.retryPolicy,
    attempt: a.attempt,
    failure,
    now: engine.clock.now(),
    firstScheduledTime: a.firstScheduledTime,
    scheduleToCloseMs: a.scheduleToCloseMs,
  });
  const isTimeout = !!failure.timeoutFailureInfo;
  if (decision.retry) {
    endAttempt(engine, a);
    a.lastFailure = failure;
    a.attempt++;
    a.state = 'backoff';
    a.nonce = engine.nextNonce();
    if (a.resetHeartbeatOnRetry) a.heartbeatDetails = a.lastHeartbeatTime = undefined;
    a.resetRequested = a.resetHeartbeatOnRetry = false;
    a.lastAttemptCompleteTime = engine.clock.now();
    a.retryIntervalMs = decision.delayMs;
    a.nextAttemptTime = a.lastAttemptCompleteTime + decision.delayMs;
    // a paused activity waits for UnpauseActivity / ResetActivity instead of its retry timer
    if (!a.paused) a.timers.push(engine.clock.after(decision.delayMs, () => enqueueActivity(engine, run, a)));
    engine.changed(run);
    return;
  }
  close(
    engine, run, a,
    isTimeout
      ? ['ACTIVITY_TASK_TIMED_OUT', 'activityTaskTimedOutEventAttributes', { failure: { ...failure, cause: a.lastFailure }, scheduledEventId: a.scheduledEventId, retryState: decision.retryState }]
      : ['ACTIVITY_TASK_FAILED', 'activityTaskFailedEventAttributes', { failure, scheduledEventId: a.scheduledEventId, identity: identity ?? a.identity, retryState: decision.retryState }],
  );
}

function timeOut(engine: Engine, run: Run, a: ActivityState, timeoutType: string): void {
  if (!run.activities.has(a.scheduledEventId) || !engine.isOpen(run)) return;
  close(engine, run, a, [
    'ACTIVITY_TASK_TIMED_OUT',
    'activityTaskTimedOutEventAttributes',
    { failure: { ...timeoutFailure(timeoutType, a), cause: a.lastFailure }, scheduledEventId: a.scheduledEventId, retryState: 'RETRY_STATE_TIMEOUT' },
  ]);
}

/** Ends the current attempt: stops its timers (not the overall deadline). */
function endAttempt(engine: Engine, a: ActivityState): void {
  if (a.state === 'started') engine.activityStopped();
  a.state = 'backoff';
  for (const cancel of a.timers.splice(0)) cancel();
}

/**
 * Closes the activity: writes Started (if it ran) and the close event `[type, field, attrs]`
 * (its startedEventId filled in), then wakes the workflow.
 */
function close(engine: Engine, run: Run, a: ActivityState, [eventType, attrsField, attrs]: [string, string, Msg]): void {
  const wasStarted = a.state === 'started';
  engine.dropActivity(a);
  run.activities.delete(a.scheduledEventId);
  const closeEvent: BufferedEvent = { eventType, attrsField, attrs: { ...attrs, startedEventId: 0 } };
  if (!wasStarted) {
    engine.deliver(run, [closeEvent]);
  } else {
    const started: BufferedEvent = {
      eventType: 'ACTIVITY_TASK_STARTED',
      attrsField: 'activityTaskStartedEventAttributes',
      attrs: { scheduledEventId: a.scheduledEventId, identity: a.identity, requestId: a.requestId, attempt: a.attempt, lastFailure: a.lastFailure },
    };
    engine.deliver(run, [started, { ...closeEvent, previousIdInto: 'startedEventId' }]);
  }
  engine.changed(run);
}

const ACTIVITY_NOT_FOUND = 'invalid activityID or activity already timed out or invoking workflow is completed';

function activityFor(engine: Engine, token: TokenData): { run: Run; a: ActivityState } {
  const run = engine.runsById.get(token.rid);
  const a = run?.activities.get(token.e ?? -1);
  if (!run || !a || token.k !== 'a' || a.nonce !== token.n || a.state !== 'started' || !engine.isOpen(run)) {
    throw notFound(ACTIVITY_NOT_FOUND);
  }
  return { run, a };
}

/** The ...ById requests: the started attempt of activity `activityId` in the named run. */
function activityById(engine: Engine, req: Msg): { run: Run; a: ActivityState } {
  if (!req.workflowId) throw invalidArgument('WorkflowId is not set on request.');
  if (!req.activityId) throw invalidArgument('ActivityId is not set on request.');
  let run: Run;
  try {
    run = engine.findRun(engine.namespace(req.namespace).name, { workflowId: req.workflowId, runId: req.runId });
  } catch (err) {
    if ((err as { code?: number }).code === 5) throw notFound(ACTIVITY_NOT_FOUND);
    throw err;
  }
  const a = [...run.activities.values()].find((x) => x.activityId === req.activityId);
  if (!a || a.state !== 'started' || !engine.isOpen(run)) throw notFound(ACTIVITY_NOT_FOUND);
  return { run, a };
}

type Target = { run: Run; a: ActivityState };

function complete(engine: Engine, { run, a }: Target, req: Msg): Msg {
  close(engine, run, a, ['ACTIVITY_TASK_COMPLETED', 'activityTaskCompletedEventAttributes', { result: req.result, scheduledEventId: a.scheduledEventId, identity: req.identity }]);
  return {};
}

function fail(engine: Engine, { run, a }: Target, req: Msg): Msg {
  if (req.lastHeartbeatDetails) a.heartbeatDetails = req.lastHeartbeatDetails;
  attemptFailed(engine, run, a, req.failure ?? { message: 'activity failed' }, req.identity);
  return { failures: [] };
}

function canceled(engine: Engine, { run, a }: Target, req: Msg): Msg {
  close(engine, run, a, [
    'ACTIVITY_TASK_CANCELED',
    'activityTaskCanceledEventAttributes',
    { details: req.details, latestCancelRequestedEventId: a.cancelRequestedEventId ?? 0, scheduledEventId: a.scheduledEventId, identity: req.identity },
  ]);
  return {};
}

function heartbeat(engine: Engine, { run, a }: Target, req: Msg): Msg {
  if (req.details) a.heartbeatDetails = req.details;
  a.lastHeartbeatTime = engine.clock.now();
  armHeartbeatTimer(engine, run, a);
  engine.onRunChange(run);
  return { cancelRequested: a.cancelRequested, activityPaused: !!a.paused, activityReset: !!a.resetRequested };
}

const byToken = (engine: Engine, req: Msg) => activityFor(engine, decodeToken(req.taskToken));

export const respondActivityCompleted = (engine: Engine, req: Msg): Msg => complete(engine, byToken(engine, req), req);
export const respondActivityFailed = (engine: Engine, req: Msg): Msg => fail(engine, byToken(engine, req), req);
export const respondActivityCanceled = (engine: Engine, req: Msg): Msg => canceled(engine, byToken(engine, req), req);
export const recordHeartbeat = (engine: Engine, req: Msg): Msg => heartbeat(engine, byToken(engine, req), req);
export const respondActivityCompletedById = (engine: Engine, req: Msg): Msg => complete(engine, activityById(engine, req), req);
export const respondActivityFailedById = (engine: Engine, req: Msg): Msg => fail(engine, activityById(engine, req), req);
export const respondActivityCanceledById = (engine: Engine, req: Msg): Msg => canceled(engine, activityById(engine, req), req);
export const recordHeartbeatById = (engine: Engine, req: Msg): Msg => heartbeat(engine, activityById(engine, req), req);

/** RequestCancelActivityTask: an activity not yet running is canceled at once; returns true if so. */
export function requestCancelActivity(engine: Engine, run: Run, scheduledEventId: number, cancelEventId: number): boolean {
  const a = run.activities.get(scheduledEventId);
  if (!a) return false;
  a.cancelRequested = true;
  a.cancelRequestedEventId = cancelEventId;
  if (a.state === 'started') return false;
  engine.dropActivity(a);
  run.activities.delete(scheduledEventId);
  engine.append(run, 'ACTIVITY_TASK_CANCELED', 'activityTaskCanceledEventAttributes', {
    latestCancelRequestedEventId: cancelEventId,
    scheduledEventId,
    startedEventId: 0,
  });
  return true;
}

/** For DescribeWorkflowExecution. */
export function describePendingActivity(a: ActivityState): Msg {
  return {
    activityId: a.activityId,
    activityType: { name: a.activityType },
    state: a.cancelRequested
      ? 'PENDING_ACTIVITY_STATE_CANCEL_REQUESTED'
      : a.state === 'started'
        ? 'PENDING_ACTIVITY_STATE_STARTED'
        : 'PENDING_ACTIVITY_STATE_SCHEDULED',
    heartbeatDetails: a.heartbeatDetails,
    lastHeartbeatTime: a.lastHeartbeatTime ? ts(a.lastHeartbeatTime) : undefined,
    lastStartedTime: a.startedTime ? ts(a.startedTime) : undefined,
    attempt: a.attempt,
    maximumAttempts: a.retryPolicy.maximumAttempts ?? 0,
    scheduledTime: ts(a.attemptScheduledTime),
    expirationTime: a.scheduleToCloseMs > 0 ? ts(a.firstScheduledTime + a.scheduleToCloseMs) : undefined,
    lastFailure: a.lastFailure,
    lastWorkerIdentity: a.identity,
    ...retryFields(a),
    ...pauseFields(a),
    activityOptions: activityOptions(a),
  };
}

/** The options of `a` as ActivityOptions (describe, UpdateActivityOptions). */
export function activityOptions(a: ActivityState): Msg {
  const optional = (ms: number): Msg | undefined => (ms > 0 ? dur(ms) : undefined);
  return {
    taskQueue: { name: a.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
    scheduleToCloseTimeout: optional(a.scheduleToCloseMs),
    scheduleToStartTimeout: optional(a.scheduleToStartMs),
    startToCloseTimeout: optional(a.startToCloseMs),
    heartbeatTimeout: optional(a.heartbeatMs),
    retryPolicy: a.retryPolicy,
    priority: a.priority,
  };
}

/** An activity waiting for its retry, as the real server describes it (no next time while paused). */
function retryFields(a: ActivityState): Msg {
  if (a.state !== 'backoff' || a.lastAttemptCompleteTime === undefined) return {};
  return {
    lastAttemptCompleteTime: ts(a.lastAttemptCompleteTime),
    currentRetryInterval: a.retryIntervalMs !== undefined ? dur(a.retryIntervalMs) : undefined,
    nextAttemptScheduleTime: !a.paused && a.nextAttemptTime !== undefined ? ts(a.nextAttemptTime) : undefined,
  };
}
