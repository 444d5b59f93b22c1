// Activity pause, unpause and reset by an operator (WorkflowService PauseActivity, UnpauseActivity,
// ResetActivity), as the real server does them:
// - Pause marks the activity paused. One waiting to be dispatched or waiting for its retry is held
//   back; a running attempt goes on, and its heartbeats answer `activityPaused` (the SDK then
//   cancels it and reports an "Activity paused" failure). A paused activity whose attempt fails
//   counts the attempt but schedules no retry; one that completes, completes.
// - Unpause dispatches it again at once (or within `jitter`), optionally from attempt 1 and
//   without its heartbeat details.
// - Reset sets the attempt back to 1. A running attempt goes on, its heartbeats answer
//   `activityReset` (`resetHeartbeat` applies to the attempt after it); one not running is
//   dispatched at once as attempt 1 (unpaused, unless `keepPaused`).
// Activities are selected by id, by type (every pending activity of that type) or all of them.
import { randomInt } from 'node:crypto';
import { enqueueActivity } from './activities.js';
import { restoreOriginal } from './activity-options.js';
import { selected, withdraw } from './activity-select.js';
import type { Engine } from './engine.js';
import { type Msg, durationToMs, ts } from './proto.js';
import type { ActivityState, Run } from './types.js';

/** Takes a not-running activity off its queue or retry timer and dispatches it after `jitter`. */
function redispatch(engine: Engine, run: Run, a: ActivityState, jitter: Msg | undefined): void {
  withdraw(engine, a);
  const jitterMs = durationToMs(jitter) ?? 0;
  const delay = jitterMs >= 1 ? randomInt(Math.floor(jitterMs)) : 0;
  if (delay > 0) a.timers.push(engine.clock.after(delay, () => enqueueActivity(engine, run, a)));
  else enqueueActivity(engine, run, a);
}

function clearHeartbeat(a: ActivityState): void {
  a.heartbeatDetails = undefined;
  a.lastHeartbeatTime = undefined;
}

export function pauseActivity(engine: Engine, req: Msg): Msg {
  const { run, activities } = selected(engine, req);
  for (const a of activities) {
    if (a.paused) continue;
    a.paused = true;
    a.pauseInfo = { time: engine.clock.now(), identity: req.identity ?? '', reason: req.reason ?? '' };
    // a running attempt is left to finish; it learns of the pause from its next heartbeat
    if (a.state !== 'started') withdraw(engine, a);
  }
  engine.changed(run); // no event records it
  return {};
}

export function unpauseActivity(engine: Engine, req: Msg): Msg {
  const { run, activities } = selected(engine, req, 'unpauseAll');
  for (const a of activities) {
    if (!a.paused) continue;
    a.paused = false;
    a.pauseInfo = undefined;
    if (req.resetAttempts) a.attempt = 1;
    if (req.resetHeartbeat) clearHeartbeat(a);
    if (a.state !== 'started') redispatch(engine, run, a, req.jitter);
  }
  engine.changed(run); // no event records it
  return {};
}

export function resetActivity(engine: Engine, req: Msg): Msg {
  const { run, activities } = selected(engine, req, 'matchAll');
  for (const a of activities) {
    if (req.restoreOriginalOptions) restoreOriginal(engine, run, a);
    a.attempt = 1;
    if (a.state === 'started') {
      a.resetRequested = true;
      if (req.resetHeartbeat) a.resetHeartbeatOnRetry = true;
      continue;
    }
    if (req.resetHeartbeat) clearHeartbeat(a);
    if (a.paused && req.keepPaused) continue;
    a.paused = false;
    a.pauseInfo = undefined;
    redispatch(engine, run, a, req.jitter);
  }
  engine.changed(run); // no event records it
  return {};
}

/** What DescribeWorkflowExecution adds to a paused activity's PendingActivityInfo. */
export function pauseFields(a: ActivityState): Msg {
  if (!a.paused) return {};
  const state = a.cancelRequested
    ? 'PENDING_ACTIVITY_STATE_CANCEL_REQUESTED'
    : a.state === 'started'
      ? 'PENDING_ACTIVITY_STATE_PAUSE_REQUESTED'
      : 'PENDING_ACTIVITY_STATE_PAUSED';
  const info = a.pauseInfo;
  return {
    state,
    paused: true,
    pauseInfo: info ? { pauseTime: ts(info.time), manual: { identity: info.identity, reason: info.reason } } : undefined,
  };
}
