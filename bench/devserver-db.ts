// Benchmark of --db persistence (the append log of devserver/persistence.ts): a db holding 10,000
// closed workflows, then bin/stratus-temporal restarted on it as its own process: file size, time
// to restart until it answers, the cost of each new one-activity workflow with that db and with an
// empty one (should be the same: closed runs are never rewritten), and bytes appended per workflow.
//
// The 10,000 closed runs are written through the module's own API: one real one-activity workflow
// is run on an in-process server with --db, then 10,000 copies of its closed run (new ids) are put
// into the engine and marked changed, so persistence appends them as it does any changed run.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, Runtime, DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedServer } from '../devserver/index.js';
import type { Run } from '../devserver/types.js';
import { benchWorkflowCode, cpuSeconds, freePort, withBenchWorker } from './devserver-support.js';

const exe = fileURLToPath(new URL('../bin/stratus-temporal', import.meta.url));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A db file with `count` closed one-activity workflows (see the top of the file). */
export async function seedDb(dbFile: string, count: number, code: string): Promise<void> {
  const server = await startEmbeddedServer({ port: 0, dbFile, log: () => undefined });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const worker = await Worker.create({ connection: nativeConnection, taskQueue: 'bench-db', workflowBundle: { code }, activities: { echo: async (x: number) => x } });
  await worker.runUntil(new Client({ connection }).workflow.execute('oneActivity', { taskQueue: 'bench-db', workflowId: 'seed', args: [1] }));
  await connection.close();
  await nativeConnection.close();
  const engine = server.engine;
  const model = engine.runsOf('default', 'seed')[0]!;
  for (let i = 0; i < count; i++) {
    const run: Run = { ...structuredClone({ ...model, closeWaiters: [], eventWaiters: [], runTimers: [], buffered: [] }), workflowId: `closed-${i}`, runId: `closed-run-${i}`, firstRunId: `closed-run-${i}` };
    run.startTime += i;
    engine.runsById.set(run.runId, run);
    engine.executions.set(`default/${run.workflowId}`, [run]);
    engine.onRunChange(run);
  }
  await server.close();
}

/** Spawns bin/stratus-temporal on `dbFile`; ready = it answers a describe of `probeId` (or GetSystemInfo). */
async function spawnServer(dbFile: string, probeId?: string): Promise<{ proc: ChildProcess; address: string; readyMs: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const proc = spawn(exe, ['--port', String(port), '--db', dbFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.once('data', () => resolve());
    proc.once('exit', (code) => reject(new Error(`stratus-temporal exited with ${code}`)));
  });
  const address = `127.0.0.1:${port}`;
  const c = await Connection.connect({ address });
  if (probeId) await new Client({ connection: c }).workflow.getHandle(probeId).describe();
  else await c.workflowService.getSystemInfo({});
  const readyMs = performance.now() - t0;
  await c.close();
  return { proc, address, readyMs };
}

async function stop(proc: ChildProcess): Promise<void> {
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
}

/** New one-activity workflows on a server: sequential round trips, then a burst; server CPU per workflow. */
async function newWorkflows(address: string, pid: number, code: string, prefix: string, n: number): Promise<{ rttMs: number; cpuMs: number; perSecond: number }> {
  return await withBenchWorker(address, 'bench-db', code, async (client) => {
    for (let i = 0; i < 20; i++) await client.workflow.execute('oneActivity', { taskQueue: 'bench-db', workflowId: `${prefix}-warm-${i}`, args: [i] });
    const cpu0 = cpuSeconds(pid);
    const rtts: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await client.workflow.execute('oneActivity', { taskQueue: 'bench-db', workflowId: `${prefix}-seq-${i}`, args: [i] });
      rtts.push(performance.now() - t0);
    }
    const t0 = performance.now();
    const handles = await Promise.all(Array.from({ length: n }, (_, i) => client.workflow.start('oneActivity', { taskQueue: 'bench-db', workflowId: `${prefix}-burst-${i}`, args: [i] })));
    await Promise.all(handles.map((h) => h.result()));
    const burstMs = performance.now() - t0;
    const cpuMs = ((cpuSeconds(pid) - cpu0) * 1000) / (2 * n);
    return { rttMs: median(rtts), cpuMs, perSecond: n / (burstMs / 1000) };
  });
}

export async function benchDevserverDb(opts: { closed?: number; perPhase?: number } = {}): Promise<Record<string, string | number>> {
  const closed = opts.closed ?? 10_000;
  const n = opts.perPhase ?? 300;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } } });
  } catch {
    /* already installed */
  }
  const dir = mkdtempSync(join(tmpdir(), 'stratus-bench-db-'));
  const result: Record<string, string | number> = {};
  try {
    const code = await benchWorkflowCode();
    const full = join(dir, 'full.db');
    const t0 = performance.now();
    await seedDb(full, closed, code);
    const seedMs = performance.now() - t0;
    const seededBytes = statSync(full).size;

    const emptyStarts: number[] = [];
    const fullStarts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const e = await spawnServer(join(dir, `empty-${i}.db`));
      emptyStarts.push(e.readyMs);
      await stop(e.proc);
      const f = await spawnServer(full, `closed-${closed - 1}`);
      fullStarts.push(f.readyMs);
      await stop(f.proc);
    }

    const emptyFile = join(dir, 'empty.db');
    const empty = await spawnServer(emptyFile);
    const onEmpty = await newWorkflows(empty.address, empty.proc.pid!, code, 'empty', n);
    await stop(empty.proc);

    const before = statSync(full).size;
    const server = await spawnServer(full, `closed-${closed - 1}`);
    const onFull = await newWorkflows(server.address, server.proc.pid!, code, 'full', n);
    await stop(server.proc);
    const appended = statSync(full).size - before;

    result[`db file with ${closed} closed one-activity workflows (MB)`] = +(seededBytes / 1e6).toFixed(1);
    result['seeding: one real workflow + the copies, appended in one commit (ms)'] = Math.round(seedMs);
    result['restart on an empty db until it answers, median of 3 (ms)'] = Math.round(median(emptyStarts));
    result[`restart on the ${closed}-run db until a describe answers, median of 3 (ms)`] = Math.round(median(fullStarts));
    result['new workflow round trip, empty db, median (ms)'] = +onEmpty.rttMs.toFixed(1);
    result[`new workflow round trip, ${closed}-run db, median (ms)`] = +onFull.rttMs.toFixed(1);
    result[`${n} started at once, empty db (workflows/s)`] = Math.round(onEmpty.perSecond);
    result[`${n} started at once, ${closed}-run db (workflows/s)`] = Math.round(onFull.perSecond);
    result['server CPU per new workflow, empty db (ms)'] = +onEmpty.cpuMs.toFixed(2);
    result[`server CPU per new workflow, ${closed}-run db (ms)`] = +onFull.cpuMs.toFixed(2);
    result[`bytes appended per new workflow (${closed}-run db)`] = appended > 0 ? Math.round(appended / (2 * n + 20)) : 'compacted during the run';
    result['machine load average (1 min) at the end'] = readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchDevserverDb();
  for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(64)} ${v}`);
  process.exit(0);
}
