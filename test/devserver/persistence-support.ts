// Shared set-up of the --db tests: a server on a db file, restarted at will, a real client and
// worker, and a reader of the file's records (what a user would see with `jq`).
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedServer, type EmbeddedServer } from '../../devserver/index.js';
import { workflowBundle } from '../support/temporal.js';

/** Runs `fn` with the path of a db file in a new temporary directory, removed afterwards. */
export async function withDbFile<T>(fn: (dbFile: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-db-'));
  try {
    return await fn(join(dir, 'dev.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts a server on `dbFile`, hands it and a client to `fn`, then stops it (which flushes). */
export async function withServer<T>(dbFile: string, fn: (server: EmbeddedServer, client: Client) => Promise<T>, log: (m: string) => void = () => undefined): Promise<T> {
  const server = await startEmbeddedServer({ port: 0, dbFile, log });
  const connection = await Connection.connect({ address: server.address });
  try {
    return await fn(server, new Client({ connection }));
  } finally {
    await connection.close();
    await server.close();
  }
}

/** Runs a conformance worker on `taskQueue` while `fn` runs. */
export async function withWorker<T>(server: EmbeddedServer, taskQueue: string, fn: () => Promise<T>): Promise<T> {
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: workflowBundle('conformance'),
    activities: { greet: async (n: string) => `hello, ${n}` },
  });
  try {
    return await worker.runUntil(fn());
  } finally {
    await connection.close();
  }
}

export interface FileRecord {
  t: string;
  k: string;
  /** a run's state record: the run without its history; a piece of history: the run's id */
  run?: { workflowId: string; runId: string; status: string; history?: unknown[] } & string;
  historyLength?: number;
  epoch?: number;
  from?: number;
  events?: { eventId: number; eventType: string }[];
}

/** The history of run `runId` as the last records of the file hold it (its pieces, in order). */
export function historyInDb(records: FileRecord[], runId: string): { eventId: number; eventType: string }[] {
  const last = new Map(records.map((r) => [r.k, r]));
  const state = last.get(`run:${runId}`)!;
  const pieces = [...last.values()].filter((r) => r.t === 'ev' && r.run === runId && r.epoch === state.epoch).sort((a, b) => a.from! - b.from!);
  return pieces.flatMap((p) => p.events!).slice(0, state.historyLength);
}

/** The header and the records of a db file, in order. */
export function readDb(dbFile: string): { header: Record<string, unknown>; records: FileRecord[] } {
  const lines = readFileSync(dbFile, 'utf8').split('\n').filter((l) => l !== '');
  return { header: JSON.parse(lines[0]!) as Record<string, unknown>, records: lines.slice(1).map((l) => JSON.parse(l) as FileRecord) };
}

/** How many records the file holds for each workflow id. */
export function recordsPerWorkflow(dbFile: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of readDb(dbFile).records) {
    if (r.t === 'run' && r.run) counts.set(r.run.workflowId, (counts.get(r.run.workflowId) ?? 0) + 1);
  }
  return counts;
}
