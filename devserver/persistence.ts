// Optional persistence (--db FILE): an append log (db-log.ts) of what changed. A run is marked
// dirty wherever its stored state changes (every event through pushEvent, and the changes that
// write none: an activity started, retried or heartbeating, an update admitted or rejected, a
// workflow task kept off history); the dirty runs of a short window are appended as one write and
// one fsync, each as its whole record, so a closed run that does not change is never rewritten.
// Namespaces and the search attribute registry are their own records, written when they differ.
// On start the log is read (last record per key wins), the runs restored and resumed
// (persist-runs.ts), and the file compacted if most of it is replaced records.
import { existsSync } from 'node:fs';
import { AppendLog, type DbRecord, type LoadedLog, readLog } from './db-log.js';
import type { Engine, Namespace } from './engine.js';
import { type SavedRun, handBackStartedTasks, restoreRuns, saveRun } from './persist-runs.js';
import type { Run } from './types.js';

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

const runRecord = (run: Run): DbRecord => ({ t: 'run', k: `run:${run.runId}`, run: saveRun(run) });
const nsRecord = (ns: Namespace): DbRecord => ({ t: 'ns', k: `ns:${ns.name}`, ns });
const saRecord = (engine: Engine): DbRecord => ({ t: 'sa', k: 'sa', custom: Object.fromEntries(engine.searchAttributes.custom) });

function globalRecords(engine: Engine): DbRecord[] {
  return [...[...engine.namespaces.values()].map(nsRecord), saRecord(engine)];
}

/** Every live record of the engine, as a compaction writes them. */
function* liveRecords(engine: Engine): Iterable<DbRecord> {
  yield* globalRecords(engine);
  for (const run of engine.runsById.values()) yield runRecord(run);
}

/** Puts the records read from the log into the engine; returns the number of runs. */
function restore(engine: Engine, loaded: LoadedLog): number {
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
  for (const rec of loaded.records.values()) {
    if (rec.t === 'ns') engine.namespaces.set((rec.ns as Namespace).name, rec.ns as Namespace);
    else if (rec.t === 'sa') restoreSearchAttributes(rec.custom as Record<string, string>);
    else if (rec.t === 'run') runs.push(rec.run as SavedRun);
  }
  return restoreRuns(engine, runs);
}

export function attachPersistence(engine: Engine, file: string, stats?: PersistenceStats): Persistence {
  engine.persistent = true;
  const dirty = new Set<Run>();
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
    dirty.add(run);
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
    const n = restore(engine, loaded);
    engine.log(`restored ${n} workflow runs from ${file}${loaded.legacySnapshot ? ' (a version 1 snapshot, now rewritten as a log)' : ''}`);
  }
  const lastGlobal = new Map<string, string>();
  if (loaded && !loaded.legacySnapshot) {
    for (const rec of loaded.records.values()) if (rec.t !== 'run') lastGlobal.set(rec.k, JSON.stringify(rec));
  }
  const open = AppendLog.open(file, loaded);
  opened = true;

  const compact = () => {
    dirty.clear();
    lastGlobal.clear();
    for (const rec of globalRecords(engine)) lastGlobal.set(rec.k, JSON.stringify(rec));
    open.compact(liveRecords(engine));
    if (stats) stats.compactions++;
  };
  function commit(): void {
    timer = undefined;
    const records: DbRecord[] = [];
    for (const rec of globalRecords(engine)) {
      const text = JSON.stringify(rec);
      if (lastGlobal.get(rec.k) === text) continue;
      lastGlobal.set(rec.k, text);
      records.push(rec);
    }
    const runs = [...dirty];
    for (const run of runs) records.push(runRecord(run));
    dirty.clear();
    let bytes: number;
    try {
      bytes = open.append(records);
    } catch (err) {
      // e.g. a full disk: the server goes on, and the same changes are tried again
      engine.log(`cannot write the state file ${file}: ${(err as Error).message}; retrying in ${RETRY_MS} ms`);
      for (const run of runs) dirty.add(run);
      for (const rec of records) if (rec.t !== 'run') lastGlobal.delete(rec.k);
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
  if (open.needsCompaction() || loaded?.legacySnapshot) compact();
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
