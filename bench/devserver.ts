// Benchmark of the embedded Temporal server (bin/stratus-temporal as its own process):
// start-up time, round trip of a one-activity workflow, throughput of 1,000 at once, peak memory.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, Runtime, DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const exe = fileURLToPath(new URL('../bin/stratus-temporal', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Spawns the executable; start-up = until it says it listens and answers GetSystemInfo. */
async function startServer(): Promise<{ proc: ChildProcess; address: string; startupMs: number; listeningMs: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const proc = spawn(exe, ['server', 'start-dev', '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
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
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

export async function benchDevserver(opts: { roundTrips?: number; burst?: number } = {}): Promise<Record<string, string | number>> {
  const roundTrips = opts.roundTrips ?? 200;
  const burst = opts.burst ?? 1000;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } } });
  } catch {
    /* already installed */
  }
  const startups: number[] = [];
  const listening: number[] = [];
  for (let i = 0; i < 3; i++) {
    const s = await startServer();
    startups.push(s.startupMs);
    listening.push(s.listeningMs);
    s.proc.kill('SIGTERM');
    await new Promise((r) => s.proc.once('exit', r));
  }

  const { proc, address } = await startServer();
  const { code } = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never });
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue: 'bench',
    workflowBundle: { code },
    activities: { echo: async (x: number) => x },
    maxConcurrentWorkflowTaskExecutions: 100,
    maxConcurrentActivityTaskExecutions: 200,
  });
  const result: Record<string, string | number> = {};
  await worker.runUntil(async () => {
    for (let i = 0; i < 20; i++) await client.workflow.execute('oneActivity', { taskQueue: 'bench', workflowId: `warm-${i}`, args: [i] });
    const rtts: number[] = [];
    for (let i = 0; i < roundTrips; i++) {
      const t0 = performance.now();
      await client.workflow.execute('oneActivity', { taskQueue: 'bench', workflowId: `rtt-${i}`, args: [i] });
      rtts.push(performance.now() - t0);
    }
    const cpu0 = cpuSeconds(proc.pid!);
    const t0 = performance.now();
    const handles = await Promise.all(
      Array.from({ length: burst }, (_, i) => client.workflow.start('oneActivity', { taskQueue: 'bench', workflowId: `burst-${i}`, args: [i] })),
    );
    await Promise.all(handles.map((h) => h.result()));
    const burstMs = performance.now() - t0;
    const serverCpu = cpuSeconds(proc.pid!) - cpu0;
    result['server start-up to listening, median of 3 (ms)'] = Math.round(pct(listening, 50));
    result['server start-up to first answer (incl. client connect) (ms)'] = Math.round(pct(startups, 50));
    result['round trip, one-activity workflow, median (ms)'] = +pct(rtts, 50).toFixed(1);
    result['round trip, one-activity workflow, p95 (ms)'] = +pct(rtts, 95).toFixed(1);
    result[`throughput, ${burst} started at once (workflows/s)`] = Math.round(burst / (burstMs / 1000));
    result[`server CPU per workflow in the burst (ms)`] = +((serverCpu * 1000) / burst).toFixed(2);
    result['server-bound throughput, 1 core (workflows/s)'] = Math.round(burst / serverCpu);
    result['server peak memory (MB RSS)'] = Math.round(peakRssMb(proc.pid!));
    result['machine load average (1 min) at the end'] = readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
  });
  await connection.close();
  await nativeConnection.close();
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchDevserver();
  for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(52)} ${v}`);
}
