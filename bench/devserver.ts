// Benchmark of the embedded Temporal server (bin/stratus-temporal as its own process):
// start-up time, round trip of a one-activity workflow, throughput of 1,000 at once, peak memory,
// and the server's CPU per workflow task for a short and a long history (sticky worker).
// STRATUS_BENCH_SERVER_NODE_ARGS (space-separated, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`)
// runs the server as `node ARGS bin/stratus-temporal …` to profile it; STRATUS_BENCH_SERVER_ARGS adds
// arguments of the server's own (e.g. `--db-filename /tmp/bench.db` to measure it with persistence).
import { type Client, Connection } from '@temporalio/client';
import { Runtime, DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchWorkflowCode, cpuSeconds, freePort, withBenchWorker } from './devserver-support.js';

// STRATUS_BENCH_SERVER: another build of the server to measure (e.g. a checkout of an older commit)
const exe = process.env.STRATUS_BENCH_SERVER ?? fileURLToPath(new URL('../bin/stratus-temporal', import.meta.url));

/** Spawns the executable; start-up = until it says it listens and answers GetSystemInfo. */
async function startServer(): Promise<{ proc: ChildProcess; address: string; startupMs: number; listeningMs: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const nodeArgs = process.env.STRATUS_BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const args = ['server', 'start-dev', '--port', String(port), ...(process.env.STRATUS_BENCH_SERVER_ARGS?.split(' ').filter(Boolean) ?? [])];
  const [cmd, argv] = nodeArgs.length ? [process.execPath, [...nodeArgs, exe, ...args]] : [exe, args];
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.once('data', () => resolve());
    proc.once('exit', (code) => reject(new Error(`stratus-temporal exited with ${code}`)));
  });
  const listeningMs = performance.now() - t0;
  const address = `127.0.0.1:${port}`;
  const c = await Connection.connect({ address });
  await c.workflowService.getSystemInfo({});
  const startupMs = performance.now() - t0;
  await c.close();
  return { proc, address, startupMs, listeningMs };
}

/** user+system CPU seconds a process has used so far (Linux /proc). */

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** Server CPU per workflow task of `tasks` tasks run after a history of about `pad` events. */
async function cpuPerTaskAfter(client: Client, pid: number, pad: number, tasks: number): Promise<{ cpuMs: number; historyLength: number }> {
  const handle = await client.workflow.start('paddedHistory', { taskQueue: 'bench', workflowId: `padded-${pad}-${Date.now()}`, args: [pad, tasks] });
  let historyLength = 0;
  while (historyLength < pad) {
    await new Promise((r) => setTimeout(r, 20));
    historyLength = Number((await handle.describe()).historyLength);
  }
  const cpu0 = cpuSeconds(pid);
  await handle.signal('go');
  await handle.result();
  const cpuMs = ((cpuSeconds(pid) - cpu0) * 1000) / tasks;
  return { cpuMs, historyLength };
}

export interface DevserverBenchOptions {
  /** start-ups to time (median reported); default 7 */
  startups?: number;
  /** sequential one-activity workflows for the round trip; default 200 */
  roundTrips?: number;
  /** workflows started at once; default 1000 */
  burst?: number;
  /** timed workflow tasks after a short and a long history (0 = skip); default 300 */
  historyTasks?: number;
}

export async function benchDevserver(opts: DevserverBenchOptions = {}): Promise<Record<string, string | number>> {
  const { startups: startupRuns = 7, roundTrips = 200, burst = 1000, historyTasks = 300 } = opts;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } } });
  } catch {
    /* already installed */
  }
  const result: Record<string, string | number> = {};
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
  if (startupRuns > 0) {
    const startups: number[] = [];
    const listening: number[] = [];
    for (let i = 0; i < startupRuns; i++) {
      const s = await startServer();
      startups.push(s.startupMs);
      listening.push(s.listeningMs);
      s.proc.kill('SIGTERM');
      await new Promise((r) => s.proc.once('exit', r));
    }
    result[`server start-up to listening, median of ${startupRuns} (ms)`] = Math.round(pct(listening, 50));
    result[`server start-up to listening, min–max (ms)`] = `${Math.round(Math.min(...listening))}–${Math.round(Math.max(...listening))}`;
    result['server start-up to first answer (incl. client connect) (ms)'] = Math.round(pct(startups, 50));
    result['machine load average (1 min) after the start-ups'] = load();
  }

  const { proc, address } = await startServer();
  const code = await benchWorkflowCode();
  await withBenchWorker(address, 'bench', code, async (client) => {
    for (let i = 0; i < 20; i++) await client.workflow.execute('oneActivity', { taskQueue: 'bench', workflowId: `warm-${i}`, args: [i] });
    if (roundTrips > 0) {
      const rtts: number[] = [];
      for (let i = 0; i < roundTrips; i++) {
        const t0 = performance.now();
        await client.workflow.execute('oneActivity', { taskQueue: 'bench', workflowId: `rtt-${i}`, args: [i] });
        rtts.push(performance.now() - t0);
      }
      result['round trip, one-activity workflow, median (ms)'] = +pct(rtts, 50).toFixed(1);
      result['round trip, one-activity workflow, p95 (ms)'] = +pct(rtts, 95).toFixed(1);
    }
    const cpu0 = cpuSeconds(proc.pid!);
    const benchCpu0 = process.cpuUsage();
    const t0 = performance.now();
    const handles = await Promise.all(
      Array.from({ length: burst }, (_, i) => client.workflow.start('oneActivity', { taskQueue: 'bench', workflowId: `burst-${i}`, args: [i] })),
    );
    await Promise.all(handles.map((h) => h.result()));
    const burstMs = performance.now() - t0;
    const serverCpu = cpuSeconds(proc.pid!) - cpu0;
    const benchCpu = process.cpuUsage(benchCpu0);
    result[`throughput, ${burst} started at once (workflows/s)`] = Math.round(burst / (burstMs / 1000));
    result[`server CPU per workflow in the burst (ms)`] = +((serverCpu * 1000) / burst).toFixed(2);
    result['server-bound throughput, 1 core (workflows/s)'] = Math.round(burst / serverCpu);
    // the other side of the two shared cores: the SDK worker (Rust core + workflow threads) and client
    result['SDK worker + client CPU per workflow in the burst (ms)'] = +((benchCpu.user + benchCpu.system) / 1000 / burst).toFixed(2);
    result['server peak memory up to the end of the burst (MB RSS)'] = Math.round(peakRssMb(proc.pid!));
    result['machine load average (1 min) after the burst'] = load();
    if (historyTasks > 0) {
      for (const pad of [10, 2000]) {
        const r = await cpuPerTaskAfter(client, proc.pid!, pad, historyTasks);
        result[`server CPU per workflow task after ${r.historyLength} events, sticky (ms)`] = +r.cpuMs.toFixed(2);
      }
    }
  });
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // e.g. `node --import tsx bench/devserver.ts startups=0 roundTrips=0 historyTasks=0` for the burst alone
  const opts = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')).map(([k, v]) => [k, Number(v)]));
  const r = await benchDevserver(opts);
  for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(60)} ${v}`);
}
