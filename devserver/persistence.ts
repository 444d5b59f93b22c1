// Optional persistence (--db FILE): the engine's state is written as a JSON snapshot (atomically:
// temp file + rename) shortly after every change and on close, and restored on start. Work that
// was in flight when the server stopped is handed out again: a started workflow task is recorded
// as timed out and rescheduled, a started activity attempt is dispatched again, timers re-armed.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { armTimer } from './commands.js';
import { enqueueActivity } from './activities.js';
import type { Engine } from './engine.js';
import type { Msg } from './proto.js';
import type { ActivityState, Run, WorkflowTask } from './types.js';

const VERSION = 1;
const DEBOUNCE_MS = 250;

export interface Persistence {
  flush(): Promise<void>;
  stop(): void;
}

interface SavedRun extends Omit<Run, 'wft' | 'buffered' | 'activities' | 'timers' | 'children' | 'updates' | 'pendingQueries' | 'signalRequestIds' | 'closeWaiters' | 'eventWaiters' | 'runTimers' | 'sticky'> {
  wft?: { scheduledEventId: number; startedEventId: number; attempt: number; unwritten?: boolean; speculative?: boolean };
  activities: Array<Omit<ActivityState, 'timers' | 'deadlineTimer'>>;
  timers: Array<{ timerId: string; startedEventId: number; at: number }>;
  children: Array<Run['children'] extends Map<number, infer C> ? C : never>;
  updates: Array<{ id: string; request: Msg; stage: string; outcome?: Msg; acceptedEventId?: number }>;
  signalRequestIds: string[];
}

interface Snapshot {
  version: number;
  savedAt: string;
  namespaces: Array<{ name: string; id: string; retentionMs: number; description?: string }>;
  searchAttributes: Record<string, string>;
  runs: SavedRun[];
}

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Uint8Array) return { $b64: Buffer.from(raw).toString('base64') };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && '$b64' in value && Object.keys(value).length === 1) {
    return Buffer.from((value as { $b64: string }).$b64, 'base64');
  }
  return value;
}

function snapshot(engine: Engine): Snapshot {
  const runs: SavedRun[] = [];
  for (const r of engine.runsById.values()) {
    const {
      wft, buffered: _b, activities, timers, children, updates, pendingQueries: _p, signalRequestIds,
      closeWaiters: _c, eventWaiters: _e, runTimers: _r, sticky: _s, ...plain
    } = r;
    runs.push({
      ...plain,
      wft: wft ? { scheduledEventId: wft.scheduledEventId, startedEventId: wft.startedEventId, attempt: wft.attempt, unwritten: wft.unwritten, speculative: wft.speculative } : undefined,
      activities: [...activities.values()].map(({ timers: _t, deadlineTimer: _d, ...a }) => a),
      timers: [...timers.entries()].map(([timerId, t]) => ({ timerId, startedEventId: t.startedEventId, at: t.at })),
      children: [...children.values()],
      updates: [...updates.values()].map((u) => ({ id: u.id, request: u.request, stage: u.stage, outcome: u.outcome, acceptedEventId: u.acceptedEventId })),
      signalRequestIds: [...signalRequestIds],
    });
  }
  return {
    version: VERSION,
    savedAt: new Date().toISOString(),
    namespaces: [...engine.namespaces.values()],
    searchAttributes: Object.fromEntries(engine.searchAttributes.custom),
    runs,
  };
}

function restore(engine: Engine, snap: Snapshot): void {
  if (snap.version !== VERSION) throw new Error(`state file version ${snap.version} is not supported (expected ${VERSION})`);
  for (const ns of snap.namespaces) engine.namespaces.set(ns.name, ns);
  engine.searchAttributes.custom.clear();
  for (const [k, v] of Object.entries(snap.searchAttributes)) engine.searchAttributes.custom.set(k, v as never);
  const sorted = [...snap.runs].sort((a, b) => a.startTime - b.startTime);
  const open: Array<{ run: Run; saved: SavedRun }> = [];
  for (const saved of sorted) {
    const run: Run = {
      ...saved,
      historySizeBytes: saved.historySizeBytes ?? 0,
      wft: undefined,
      sticky: undefined,
      buffered: [],
      activities: new Map(),
      timers: new Map(),
      children: new Map(saved.children.map((c) => [c.initiatedEventId, c])),
      updates: new Map(saved.updates.map((u) => [u.id, { ...u, stage: u.stage as 'admitted', waiters: [] }])),
      pendingQueries: [],
      signalRequestIds: new Set(saved.signalRequestIds),
      closeWaiters: [],
      eventWaiters: [],
      runTimers: [],
    };
    engine.runsById.set(run.runId, run);
    const key = `${run.namespace}/${run.workflowId}`;
    const chain = engine.executions.get(key) ?? [];
    chain.push(run);
    engine.executions.set(key, chain);
    if (engine.isOpen(run)) open.push({ run, saved });
  }
  for (const { run, saved } of open) resume(engine, run, saved);
}

/** Hands out again what was in flight and re-arms every timer of an open run. */
function resume(engine: Engine, run: Run, saved: SavedRun): void {
  for (const t of saved.timers) armTimer(engine, run, t.timerId, t.startedEventId, t.at);
  if (run.runTimeoutMs > 0) run.runTimers.push(engine.clock.at(run.startTime + run.runTimeoutMs, () => engine.timeOut(run)));
  for (const a of saved.activities) {
    const state: ActivityState = { ...a, state: a.paused ? 'backoff' : 'scheduled', timers: [], nonce: engine.nextNonce(), resetRequested: false };
    run.activities.set(state.scheduledEventId, state);
    enqueueActivity(engine, run, state); // a paused activity stays held back
  }
  const w = saved.wft;
  if (w?.unwritten) {
    // kept off history: simply handed out again
    run.nextWftAttempt = w.attempt;
    engine.scheduleWorkflowTask(run, { speculative: w.speculative });
  } else if (w && w.startedEventId > 0) {
    engine.append(run, 'WORKFLOW_TASK_TIMED_OUT', 'workflowTaskTimedOutEventAttributes', {
      scheduledEventId: w.scheduledEventId,
      startedEventId: w.startedEventId,
      timeoutType: 'TIMEOUT_TYPE_START_TO_CLOSE',
    });
    run.nextWftAttempt = w.attempt + 1;
    engine.scheduleWorkflowTask(run);
  } else if (w) {
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

export function attachPersistence(engine: Engine, file: string): Persistence {
  engine.persistent = true;
  if (existsSync(file)) {
    let snap: Snapshot;
    try {
      snap = JSON.parse(readFileSync(file, 'utf8'), reviver) as Snapshot;
    } catch (err) {
      throw new Error(`cannot read the state file ${file}: ${(err as Error).message}`, { cause: err });
    }
    restore(engine, snap);
    engine.log(`restored ${snap.runs.length} workflow runs from ${file}`);
  } else {
    mkdirSync(dirname(file), { recursive: true });
  }
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const save = () => {
    timer = undefined;
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(snapshot(engine), replacer));
    renameSync(tmp, file);
  };
  const previous = engine.onChange;
  engine.onChange = () => {
    previous();
    if (stopped || timer) return;
    timer = setTimeout(save, DEBOUNCE_MS);
    timer.unref?.();
  };
  return {
    async flush() {
      if (timer) clearTimeout(timer);
      save();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
