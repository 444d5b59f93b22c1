// A run as the --db log stores it (one record with everything needed to resume it), and how a
// restored run is resumed: work in flight is handed out again (a started workflow task is recorded
// as timed out and rescheduled, a started activity attempt is dispatched again), user timers,
// the run timeout, the workflow execution timeout and a delayed first workflow task are re-armed.
import { armTimer } from './commands.js';
import { enqueueActivity, rearmTimers } from './activities.js';
import type { Engine } from './engine.js';
import { type Msg, tsToMs } from './proto.js';
import type { ActivityState, ChildRef, Run, UpdateState, WorkflowTask } from './types.js';
import { workflowTaskTimedOut } from './workflow-tasks.js';

/** The stored form of a run: its plain fields, and its maps as arrays without timers or waiters. */
export interface SavedRun extends Omit<Run, 'wft' | 'buffered' | 'activities' | 'timers' | 'children' | 'updates' | 'pendingQueries' | 'signalRequestIds' | 'closeWaiters' | 'eventWaiters' | 'runTimers' | 'sticky'> {
  wft?: { scheduledEventId: number; startedEventId: number; attempt: number; unwritten?: boolean; speculative?: boolean };
  activities: Array<Omit<ActivityState, 'timers' | 'deadlineTimer'>>;
  timers: Array<{ timerId: string; startedEventId: number; at: number }>;
  children: ChildRef[];
  /** a completed update is only its id and accepted event: its request and outcome are read back from history */
  updates: Array<{ id: string; request?: Msg; stage: string; outcome?: Msg; acceptedEventId?: number; durable?: boolean }>;
  /** written by dbs before the ids were read back from the signal events (persist-runs.ts restore) */
  signalRequestIds?: string[];
  /** the events buffered behind a started workflow task (absent in dbs written before they were kept) */
  buffered?: Run['buffered'];
}

export function saveRun(r: Run): SavedRun {
  const {
    wft, activities, timers, children, updates, pendingQueries: _p, signalRequestIds: _ids,
    closeWaiters: _c, eventWaiters: _e, runTimers: _r, sticky: _s, ...plain
  } = r;
  return {
    ...plain,
    wft: wft ? { scheduledEventId: wft.scheduledEventId, startedEventId: wft.startedEventId, attempt: wft.attempt, unwritten: wft.unwritten, speculative: wft.speculative } : undefined,
    activities: [...activities.values()].map(({ timers: _t, deadlineTimer: _d, ...a }) => a),
    timers: [...timers.entries()].map(([timerId, t]) => ({ timerId, startedEventId: t.startedEventId, at: t.at })),
    children: [...children.values()],
    updates: [...updates.values()].map((u) =>
      u.stage === 'completed' && u.acceptedEventId
        ? { id: u.id, stage: u.stage, acceptedEventId: u.acceptedEventId, durable: u.durable }
        : { id: u.id, request: u.request, stage: u.stage, outcome: u.outcome, acceptedEventId: u.acceptedEventId, durable: u.durable }),
  };
}

/** Puts saved runs back into the engine (oldest first, so chains keep their order) and resumes the open ones. */
export function restoreRuns(engine: Engine, saved: Iterable<SavedRun>): number {
  const sorted = [...saved].sort((a, b) => a.startTime - b.startTime);
  const open: Array<{ run: Run; saved: SavedRun }> = [];
  for (const s of sorted) {
    const run: Run = {
      ...s,
      historySizeBytes: s.historySizeBytes ?? 0,
      wft: undefined,
      sticky: undefined,
      buffered: s.buffered ?? [],
      activities: new Map(),
      timers: new Map(),
      children: new Map(s.children.map((c) => [c.initiatedEventId, c])),
      updates: restoredUpdates(s),
      pendingQueries: [],
      signalRequestIds: signalRequestIdsOf(s),
      closeWaiters: [],
      eventWaiters: [],
      runTimers: [],
    };
    engine.runsById.set(run.runId, run);
    const key = `${run.namespace}/${run.workflowId}`;
    const chain = engine.executions.get(key) ?? [];
    chain.push(run);
    engine.executions.set(key, chain);
    if (engine.isOpen(run)) open.push({ run, saved: s });
  }
  for (const { run, saved: s } of open) resume(engine, run, s);
  return sorted.length;
}

/** Hands out again what was in flight and re-arms every timer of an open run. */
function resume(engine: Engine, run: Run, saved: SavedRun): void {
  for (const t of saved.timers) armTimer(engine, run, t.timerId, t.startedEventId, t.at);
  if (run.runTimeoutMs > 0) run.runTimers.push(engine.clock.at(run.startTime + run.runTimeoutMs, () => engine.timeOut(run)));
  // the execution timeout spans the whole chain: its deadline is in the first event of every run
  const expiration = tsToMs(run.history[0]?.workflowExecutionStartedEventAttributes?.workflowExecutionExpirationTime);
  if (expiration) run.runTimers.push(engine.clock.at(expiration, () => engine.timeOut(run, 'execution')));
  for (const a of saved.activities) {
    const state: ActivityState = { ...a, state: a.paused ? 'backoff' : 'scheduled', timers: [], nonce: engine.nextNonce(), resetRequested: false };
    run.activities.set(state.scheduledEventId, state);
    // a paused activity stays held back, but its overall deadline runs on
    if (state.paused) rearmTimers(engine, run, state);
    else enqueueActivity(engine, run, state);
  }
  const w = saved.wft;
  if (!w) {
    // a retry or cron run waiting for its first workflow task
    if (run.history.length === 1) run.runTimers.push(engine.clock.at(run.executionTime, () => engine.scheduleWorkflowTask(run)));
  } else if (w.unwritten) {
    // kept off history: simply handed out again
    run.nextWftAttempt = w.attempt;
    engine.scheduleWorkflowTask(run, { speculative: w.speculative });
  } else if (w.startedEventId > 0) {
    engine.append(run, 'WORKFLOW_TASK_TIMED_OUT', 'workflowTaskTimedOutEventAttributes', {
      scheduledEventId: w.scheduledEventId,
      startedEventId: w.startedEventId,
      timeoutType: 'TIMEOUT_TYPE_START_TO_CLOSE',
    });
    run.nextWftAttempt = w.attempt + 1;
    // what arrived while that task ran, kept with the run, is written now (as its timeout does live)
    engine.flushBuffered(run);
    engine.scheduleWorkflowTask(run);
  } else {
    const wft: WorkflowTask = {
      scheduledEventId: w.scheduledEventId,
      startedEventId: 0,
      attempt: w.attempt,
      queue: run.taskQueue,
      sticky: false,
      scheduledTime: engine.clock.now(),
      nonce: engine.nextNonce(),
      updates: [],
    };
    run.wft = wft;
    engine.enqueueWorkflowTask(run, wft);
  }
}

/**
 * On shutdown: a workflow task still running with events buffered behind it is timed out now (as
 * the restart would find it), so those events are written and kept; the task is scheduled again.
 */
export function handBackStartedTasks(engine: Engine): void {
  for (const run of engine.runsById.values()) {
    const wft = run.wft;
    if (run.buffered.length === 0 || !wft || wft.startedEventId === 0 || wft.unwritten || !engine.isOpen(run)) continue;
    workflowTaskTimedOut(engine, run, wft, true);
  }
}

/**
 * The request ids of the signals a run has had (a retried signal is not written twice): read from
 * its signal events and those buffered, not stored with every change of the run (a long-lived
 * workflow's state record would grow with each signal).
 */
function signalRequestIdsOf(s: SavedRun): Set<string> {
  const ids = new Set(s.signalRequestIds ?? []);
  for (const e of s.history) {
    const id = e.workflowExecutionSignaledEventAttributes?.requestId as string | undefined;
    if (id) ids.add(id);
  }
  for (const e of s.buffered ?? []) if (e.eventType === 'WORKFLOW_EXECUTION_SIGNALED' && e.attrs.requestId) ids.add(e.attrs.requestId as string);
  return ids;
}

/**
 * A run's updates; a completed one's request and outcome come from its Accepted and Completed
 * events (not stored with every change of the run, whose state record would grow with each update).
 */
function restoredUpdates(s: SavedRun): Map<string, UpdateState> {
  let outcomes: Map<string, Msg> | undefined;
  const outcomeOf = (id: string): Msg | undefined => {
    if (!outcomes) {
      outcomes = new Map();
      for (const e of s.history) {
        const c = e.workflowExecutionUpdateCompletedEventAttributes;
        if (c?.meta?.updateId) outcomes.set(c.meta.updateId as string, c.outcome as Msg);
      }
    }
    return outcomes.get(id);
  };
  return new Map(
    s.updates.map((u) => {
      const accepted = u.acceptedEventId ? s.history[u.acceptedEventId - 1]?.workflowExecutionUpdateAcceptedEventAttributes : undefined;
      const fromHistory = u.request ? { request: u.request } : { request: (accepted?.acceptedRequest as Msg | undefined) ?? {}, outcome: outcomeOf(u.id) };
      return [u.id, { ...u, ...fromHistory, stage: u.stage as UpdateState['stage'], waiters: [] }];
    }),
  );
}
