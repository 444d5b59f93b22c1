// --db through a real crash: bin/stratus-temporal is SIGKILLed (no shutdown, no final flush)
// and restarted on the same file; what was committed before the kill is all there.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quietRuntime, workflowBundle } from '../support/temporal.js';
import { readDb } from './persistence-support.js';

const exe = fileURLToPath(new URL('../../bin/stratus-temporal', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'stratus-dbcrash-'));
const dbFile = join(dir, 'dev.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => quietRuntime());

/** Starts the executable on a free port; it prints its address on its first line. */
async function spawnServer(): Promise<{ proc: ChildProcess; address: string }> {
  const proc = spawn(exe, ['--port', '0', '--db', dbFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const line = await new Promise<string>((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve(d.toString()));
    proc.once('exit', (code) => reject(new Error(`stratus-temporal exited with ${code}`)));
  });
  const address = /listening on (\S+)/.exec(line)?.[1];
  if (!address) throw new Error(`no address in ${JSON.stringify(line)}`);
  return { proc, address };
}

const committed = (workflowId: string, status: string) =>
  readDb(dbFile).records.some((r) => r.run?.workflowId === workflowId && r.run.status === status);

test('a SIGKILLed server comes back with every workflow it had committed', async () => {
  const first = await spawnServer();
  let connection = await Connection.connect({ address: first.address });
  let client = new Client({ connection });
  const nativeConnection = await NativeConnection.connect({ address: first.address });
  const worker = await Worker.create({ connection: nativeConnection, taskQueue: 'crash', workflowBundle: workflowBundle('conformance'), activities: { greet: async (n: string) => `hello, ${n}` } });
  await worker.runUntil(async () => {
    for (const n of ['one', 'two']) await client.workflow.execute('greeting', { taskQueue: 'crash', workflowId: `crash-${n}`, args: [n] });
    await client.workflow.start('counter', { taskQueue: 'crash', workflowId: 'crash-counter', args: [10] });
    expect(await client.workflow.getHandle('crash-counter').query('count')).toBe(10);
  });
  await nativeConnection.close();
  await connection.close();
  // group commits are fsynced about 100 ms after a change: wait for them to be in the file
  while (!committed('crash-two', 'WORKFLOW_EXECUTION_STATUS_COMPLETED') || !committed('crash-counter', 'WORKFLOW_EXECUTION_STATUS_RUNNING')) await new Promise((r) => setTimeout(r, 50));
  first.proc.kill('SIGKILL');
  await new Promise((r) => first.proc.once('exit', r));

  const second = await spawnServer();
  try {
    connection = await Connection.connect({ address: second.address });
    client = new Client({ connection });
    expect(await client.workflow.getHandle('crash-one').result()).toBe('hello, one');
    expect(await client.workflow.getHandle('crash-two').result()).toBe('hello, two');
    const counter = client.workflow.getHandle('crash-counter');
    expect((await counter.describe()).status.name).toBe('RUNNING');
    const native = await NativeConnection.connect({ address: second.address });
    const w = await Worker.create({ connection: native, taskQueue: 'crash', workflowBundle: workflowBundle('conformance'), activities: { greet: async (n: string) => `hello, ${n}` } });
    await w.runUntil(async () => {
      await counter.signal('increment', 5);
      await counter.signal('done');
      expect(await counter.result()).toBe(15);
    });
    await native.close();
    await connection.close();
  } finally {
    second.proc.kill('SIGTERM');
    await new Promise((r) => second.proc.once('exit', r));
  }
}, 90_000);
