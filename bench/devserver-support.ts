// What the two embedded-server benchmarks share: a free port, a process's CPU time, the bench
// workflows' bundle, and a client with a worker running the bench workflows on a server.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** User + system CPU seconds of process `pid` so far (all its threads). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

/** The bundle of bench/workflows.ts. */
export async function benchWorkflowCode(): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)), logger: quietLogger as never });
  return code;
}

/** Runs `fn` with a client while a worker runs the bench workflows on `taskQueue` of the server at `address`. */
export async function withBenchWorker<T>(address: string, taskQueue: string, code: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  try {
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowBundle: { code },
      activities: { echo: async (x: number) => x },
      maxConcurrentWorkflowTaskExecutions: 100,
      maxConcurrentActivityTaskExecutions: 200,
    });
    return await worker.runUntil(fn(new Client({ connection })));
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
}
