// Optional persistence (--db FILE): an append log (db-log.ts) of what changed. A run is marked
// dirty wherever its stored state changes (every event through pushEvent, and the changes that
// write none: an activity started, retried or heartbeating, an update admitted or rejected, a
// workflow task kept off history, an event buffered behind a running task); the dirty runs of a short window are appended as one write and
// one fsync. A run is two kinds of record: its state without the history (small, rewritten on each
// change) and pieces of its history, each holding the events written since the run's last record,
// so a change costs what changed, not the length of the history, and a closed run that does not
// change is never rewritten. A deleted run's state record is replaced by a 'gone' record.
// Namespaces, the search attribute registry and each schedule are their own records, written when
// they differ; one that no longer exists (a deleted schedule) is written 'gone'.
// On start the log is read (last record per key wins), the runs restored and resumed
// (persist-runs.ts), and the file compacted if most of it is replaced records.
import { existsSync } from 'node:fs';
import { AppendLog, DB_VERSION, type DbRecord, DbFileError, type LoadedLog, readLog } from './db-log.js';
import type { Engine, Namespace } from './engine.js';
import { type SavedRun, handBackStartedTasks, restoreRuns, saveRun } from './persist-runs.js';
import type { SavedSchedule } from './schedules.js';
import type { HistoryEvent, Run } from './types.js';

/** How long changes gather before they are written together. */
const GROUP_COMMIT_MS = 100;
/** How long after a failed write (a full disk) it is tried again. */
const RETRY_MS = 1000;

export interface Persistence {
  /**
   * On shutdown: writes what changed now; a workflow task still running with events buffered
   * behind it is timed out first, so those events are kept.
   */
  flush(): Promise<void>;
  stop(): void;
}

/** Counters for tests and the benchmark. */
export interface PersistenceStats {
  commits: number;
  recordsWritten: number;
  bytesAppended: number;
  compactions: number;
}

/**
 * What the log holds of a run's history: `count` events, the last of them `last`, in pieces of
 * generation `epoch`. A history that is not the one recorded plus new events (never, as history
 * is append-only, but a failed write leaves the log behind) is written whole in a new generation,
 * and the pieces of older generations are ignored (and dropped by the next compaction).
 */
interface Written {
  count: number;
  last: HistoryEvent | undefined;
  epoch: number;
}

/** The records of a run's change: the new piece of its history (if any), then its state. */
function runRecords(run: Run, written: Map<string, Written>, whole: boolean): DbRecord[] {
  const history = run.history;
  let w = written.get(run.runId);
  const extends_ = !!w && w.count >= 0 && history.length >= w.count && (w.count === 0 || history[w.count - 1] === w.last);
  if (!w) written.set(run.runId, (w = { count: 0, last: undefined, epoch: 0 }));
  else if (!extends_) w.epoch++;
  const from = extends_ && !whole ? w.count : 0;
  const records: DbRecord[] = [];
  // the piece first: a write torn after it leaves the previous state record, which ignores it
  if (history.length > from) {
    records.push({ t: 'ev', k: `ev:${run.runId}:${from}`, run: run.runId, epoch: w.epoch, from, events: history.slice(from) });
  }
  const { history: _h, ...state } = saveRun(run);
  records.push({ t: 'run', k: `run:${run.runId}`, run: state, historyLength: history.length, epoch: w.epoch });
  w.count = history.length;
  w.last = history[history.length - 1];
  return records;
}

/** A run's history from its pieces of generation `epoch`, `count` events long. */
function historyOf(file: string, runId: string, pieces: DbRecord[] | undefined, epoch: number, count: number): HistoryEvent[] {
  const history: HistoryEvent[] = [];
  const mine = (pieces ?? []).filter((p) => p.epoch === epoch).sort((a, b) => (a.from as number) - (b.from as number));
  for (const p of mine) {
    const from = p.from as number;
    if (from > history.length) break;
    history.length = from;
    for (const e of p.events as HistoryEvent[]) history.push(e);
  }
  if (history.length < count) {
    throw new DbFileError(file, `the history of run ${runId} is incomplete (${history.length} of ${count} events); restore the file from a backup or move it away (or pass another --db FILE) to start with an empty db`);
  }
  history.length = count;
  return history;
}

const nsRecord = (ns: Namespace): DbRecord => ({ t: 'ns', k: `ns:${ns.name}`, ns });
const saRecord = (engine: Engine): DbRecord => ({ t: 'sa', k: 'sa', custom: Object.fromEntries(engine.searchAttributes.custom) });

function scheduleRecords(engine: Engine): DbRecord[] {
  return [...engine.schedules.map].map(([k, s]) => ({ t: 'sched', k: `sched:${k}`, schedule: s.saved }));
}

/** The kinds of record kept in step with the engine by comparing (a key that vanishes, a deleted schedule, is written 'gone'). */
const GLOBAL_KINDS = new Set(['ns', 'sa', 'sched']);

function globalRecords(engine: Engine): DbRecord[] {
  return [...[...engine.namespaces.values()].map(nsRecord), saRecord(engine), ...scheduleRecords(engine)];
}

/** Every live record of the engine, as a compaction writes them (each history in one piece). */
function* liveRecords(engine: Engine, written: Map<string, Written>): Iterable<DbRecord> {
  yield* globalRecords(engine);
  for (const run of engine.runsById.values()) yield* runRecords(run, written, true);
}

/** Puts the records read from the log into the engine; returns the number of runs. */
function restore(engine: Engine, file: string, loaded: LoadedLog, written: Map<string, Written>): number {
  const legacy = loaded.legacySnapshot as { namespaces: Namespace[]; searchAttributes: Record<string, string>; runs: SavedRun[] } | undefined;
  const runs: SavedRun[] = legacy ? legacy.runs : [];
  const restoreSearchAttributes = (custom: Record<string, string>) => {
    engine.searchAttributes.custom.clear();
    for (const [k, v] of Object.entries(custom)) engine.searchAttributes.custom.set(k, v as never);
  };
  if (legacy) {
    for (const ns of legacy.namespaces) engine.namespaces.set(ns.name, ns);
    restoreSearchAttributes(legacy.searchAttributes);
  }
  const schedules: SavedSchedule[] = [];
  const pieces = new Map<string, DbRecord[]>();
  for (const rec of loaded.records.values()) {
    if (rec.t !== 'ev') continue;
    const list = pieces.get(rec.run as string);
    if (list) list.push(rec);
    else pieces.set(rec.run as string, [rec]);
  }
  for (const rec of loaded.records.values()) {
    if (rec.t === 'ns') engine.namespaces.set((rec.ns as Namespace).name, rec.ns as Namespace);
    else if (rec.t === 'sa') restoreSearchAttributes(rec.custom as Record<string, string>);
    else if (rec.t === 'sched') schedules.push(rec.schedule as SavedSchedule);
    else if (rec.t === 'run') {
      const saved = rec.run as SavedRun;
      // version 2 kept the whole history in the run record
      const epoch = typeof rec.epoch === 'number' ? rec.epoch : 0;
      if (!Array.isArray(saved.history)) saved.history = historyOf(file, saved.runId, pieces.get(saved.runId), epoch, rec.historyLength as number);
      // what the log holds, before resuming the open runs writes anything
      written.set(saved.runId, { count: saved.history.length, last: saved.history[saved.history.length - 1], epoch });
      runs.push(saved);
    }
  }
  const n = restoreRuns(engine, runs);
  engine.schedules.restore(schedules);
  return n;
}

export function attachPersistence(engine: Engine, file: string, stats?: PersistenceStats): Persistence {
  engine.persistent = true;
  const dirty = new Set<Run>();
  const deletedRuns = new WeakSet<Run>();
  const written = new Map<string, Written>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let opened = false;
  const schedule = () => {
    if (stopped || timer || !opened) return;
    timer = setTimeout(commit, GROUP_COMMIT_MS);
    timer.unref?.();
  };
  // hooked first: what resuming restored runs writes (timed-out workflow tasks) is committed too
  const previousRun = engine.onRunChange;
  engine.onRunChange = (run) => {
    previousRun(run);
    if (deletedRuns.has(run)) return; // a late change to a deleted run must not write it back
    dirty.add(run);
    schedule();
  };
  // a deleted run: its state record is replaced by a 'gone' one (its history pieces are left to
  // the next compaction, which writes only live runs)
  const deleted = new Set<string>();
  const previousDeleted = engine.onRunDeleted;
  engine.onRunDeleted = (run) => {
    previousDeleted(run);
    deletedRuns.add(run);
    dirty.delete(run);
    written.delete(run.runId);
    deleted.add(run.runId);
    schedule();
  };
  const previous = engine.onChange;
  engine.onChange = () => {
    previous();
    schedule();
  };

  let loaded: LoadedLog | undefined;
  if (existsSync(file)) {
    loaded = readLog(file, (msg) => engine.log(`warning: ${msg}`));
    const n = restore(engine, file, loaded, written);
    engine.log(`restored ${n} workflow runs from ${file}${loaded.legacySnapshot ? ' (a version 1 snapshot, now rewritten as a log)' : ''}`);
  }
  const lastGlobal = new Map<string, string>();
  if (loaded && !loaded.legacySnapshot) {
    for (const rec of loaded.records.values()) if (GLOBAL_KINDS.has(rec.t)) lastGlobal.set(rec.k, JSON.stringify(rec));
  }
  const open = AppendLog.open(file, loaded);
  opened = true;

  // runs right after a successful append (or at start), so the log holds everything: a failed
  // rewrite leaves it as it is and is tried again after a later append
  const compact = () => {
    try {
      open.compact(liveRecords(engine, written));
    } catch (err) {
      engine.log(`cannot compact the state file ${file}: ${(err as Error).message}; it keeps growing until a later try succeeds`);
      // what the rewrite took as written is not: each run's next record writes its history whole
      for (const w of written.values()) w.count = -1;
      return;
    }
    lastGlobal.clear();
    for (const rec of globalRecords(engine)) lastGlobal.set(rec.k, JSON.stringify(rec));
    if (stats) stats.compactions++;
  };
  function commit(): void {
    timer = undefined;
    const records: DbRecord[] = [];
    const live = new Set<string>();
    for (const rec of globalRecords(engine)) {
      live.add(rec.k);
      const text = JSON.stringify(rec);
      if (lastGlobal.get(rec.k) === text) continue;
      lastGlobal.set(rec.k, text);
      records.push(rec);
    }
    const vanished = [...lastGlobal.keys()].filter((k) => !live.has(k));
    for (const k of vanished) {
      lastGlobal.delete(k);
      records.push({ t: 'gone', k });
    }
    const runs = [...dirty];
    for (const run of runs) records.push(...runRecords(run, written, false));
    dirty.clear();
    const gone = [...deleted];
    for (const runId of gone) records.push({ t: 'gone', k: `run:${runId}` });
    deleted.clear();
    let bytes: number;
    try {
      bytes = open.append(records);
    } catch (err) {
      // e.g. a full disk: the server goes on, and the same changes are tried again
      engine.log(`cannot write the state file ${file}: ${(err as Error).message}; retrying in ${RETRY_MS} ms`);
      for (const run of runs) {
        dirty.add(run);
        written.get(run.runId)!.count = -1; // not in the log: its history is written whole next time
      }
      for (const runId of gone) deleted.add(runId);
      for (const rec of records) if (GLOBAL_KINDS.has(rec.t)) lastGlobal.delete(rec.k);
      for (const k of vanished) lastGlobal.set(k, ''); // still to be written 'gone'
      if (!stopped && !timer) timer = setTimeout(commit, RETRY_MS);
      timer?.unref?.();
      return;
    }
    if (stats && records.length) {
      stats.commits++;
      stats.recordsWritten += records.length;
      stats.bytesAppended += bytes;
    }
    if (open.needsCompaction()) compact();
  }
  if (open.needsCompaction() || (loaded && loaded.version < DB_VERSION)) compact();
  else commit();

  return {
    async flush() {
      if (stopped) return;
      if (timer) clearTimeout(timer);
      handBackStartedTasks(engine);
      commit();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      open.close();
    },
  };
}
