// --db through a real crash: bin/stratus-temporal is SIGKILLed (no shutdown, no final flush)
// and restarted on the same file; what was committed before the kill is all there.
import { Client, Connection } from '@temporalio/client';
import { google, temporal } from '@temporalio/proto';
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

test('events buffered behind a running workflow task survive a SIGKILL (an activity result, a signal)', async () => {
  const first = await spawnServer();
  const connection = await Connection.connect({ address: first.address });
  const svc = connection.workflowService;
  const namespace = 'default';
  const taskQueue = { name: 'crash-buffered' };
  const workflowId = 'crash-buffered';
  const poll = async () => {
    const task = await svc.pollWorkflowTaskQueue({ namespace, taskQueue, identity: 'test' });
    if (!task.taskToken?.length) throw new Error('no workflow task');
    return task;
  };
  const signal = (input: string) =>
    svc.signalWorkflowExecution({ namespace, workflowExecution: { workflowId }, signalName: 'note', identity: 'test', input: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(input)) }] } });
  await svc.startWorkflowExecution({ namespace, workflowId, workflowType: { name: 'handDriven' }, taskQueue, requestId: 'crash-buffered-start' });
  // the first task schedules an activity; a signal brings a second task, which the test holds
  const firstTask = await poll();
  await svc.respondWorkflowTaskCompleted({
    taskToken: firstTask.taskToken, identity: 'test',
    commands: [{
      commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
      scheduleActivityTaskCommandAttributes: { activityId: 'a1', activityType: { name: 'work' }, taskQueue, startToCloseTimeout: google.protobuf.Duration.fromObject({ seconds: 600 }) },
    }],
  });
  const activity = await svc.pollActivityTaskQueue({ namespace, taskQueue, identity: 'test' });
  await signal('wake');
  await poll(); // started, never answered
  await svc.respondActivityTaskCompleted({ taskToken: activity.taskToken, identity: 'test', result: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"done"') }] } });
  await signal('while the task runs');
  await connection.close();
  // wait for the group commit that holds both buffered events, then kill
  const buffered = () => readDb(dbFile).records.filter((r) => r.k === `run:${firstTask.workflowExecution!.runId}`).at(-1) as { run?: { buffered?: unknown[] } } | undefined;
  while ((buffered()?.run?.buffered?.length ?? 0) < 3) await new Promise((r) => setTimeout(r, 50));
  first.proc.kill('SIGKILL');
  await new Promise((r) => first.proc.once('exit', r));

  const second = await spawnServer();
  try {
    const c = await Connection.connect({ address: second.address });
    const history = await c.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId } });
    const events = history.history!.events!;
    const types = events.map((e) => temporal.api.enums.v1.EventType[e.eventType!]!.replace('EVENT_TYPE_', ''));
    expect(types.slice(-4)).toEqual(['WORKFLOW_TASK_TIMED_OUT', 'ACTIVITY_TASK_STARTED', 'ACTIVITY_TASK_COMPLETED', 'WORKFLOW_EXECUTION_SIGNALED']);
    expect(Number(events.at(-2)!.activityTaskCompletedEventAttributes!.startedEventId)).toBe(Number(events.at(-3)!.eventId));
    const signalled = events.at(-1)!.workflowExecutionSignaledEventAttributes!;
    expect(Buffer.from(signalled.input!.payloads![0]!.data!).toString()).toBe('"while the task runs"');
    // and the workflow is not left waiting: a worker gets a task that carries them
    const again = await c.workflowService.pollWorkflowTaskQueue({ namespace, taskQueue, identity: 'test' });
    expect(Number(again.attempt)).toBe(2);
    expect(again.history!.events!.some((e) => e.activityTaskCompletedEventAttributes)).toBe(true);
    await c.close();
  } finally {
    second.proc.kill('SIGTERM');
    await new Promise((r) => second.proc.once('exit', r));
  }
}, 90_000);
