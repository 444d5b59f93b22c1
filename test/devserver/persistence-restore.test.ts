// --db restarts after each kind of change that writes no event (an admitted update, an activity
// heartbeat and retry, a workflow-task retry kept off history), a signal buffered behind a running
// workflow task, and the workflow timeouts of a
// restored run (re-armed from their original deadlines).
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietRuntime } from '../support/temporal.js';
import { REMOTE_QUEUE } from './conformance-persist-workflows.js';
import { readDb, withServer, withWorker } from './persistence-support.js';

const dir = mkdtempSync(join(tmpdir(), 'stratus-dbrestore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => quietRuntime());

const q = 'persist-restore';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const payloads = (v: unknown) => ({ payloads: [defaultPayloadConverter.toPayload(v)] });
const firstValue = (p: { payloads?: unknown[] | null } | null | undefined) => defaultPayloadConverter.fromPayload((p?.payloads ?? [])[0] as never);

test('an update admitted while no worker ran is delivered after a restart', async () => {
  const dbFile = join(dir, 'update.db');
  await withServer(dbFile, async (server, client) => {
    const handle = await client.workflow.start('counter', { taskQueue: q, workflowId: 'upd', args: [1] });
    void handle.executeUpdate('add', { args: [3], updateId: 'add-3' }).catch(() => undefined);
    // admitted: it waits in the server (no event yet) for a worker
    while (!server.engine.findRun('default', { workflowId: 'upd' }).updates.has('add-3')) await pause(20);
  });
  await withServer(dbFile, async (server, client) => {
    const handle = client.workflow.getHandle('upd');
    await withWorker(server, q, async () => {
      expect(await handle.getUpdateHandle<number>('add-3').result()).toBe(4);
      await handle.signal('done');
      expect(await handle.result()).toBe(4);
    });
  });
}, 60_000);

test('an activity retry and its last heartbeat survive a restart', async () => {
  const dbFile = join(dir, 'activity.db');
  const poll = (client: Parameters<Parameters<typeof withServer>[1]>[1]) =>
    client.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: REMOTE_QUEUE }, identity: 'test-poller' });
  await withServer(dbFile, async (server, client) => {
    await withWorker(server, q, async () => {
      await client.workflow.start('remoteActivity', { taskQueue: q, workflowId: 'remote' });
      const first = await poll(client);
      expect(first.attempt).toBe(1);
      await client.workflowService.respondActivityTaskFailed({
        taskToken: first.taskToken,
        failure: { message: 'first try fails', applicationFailureInfo: { type: 'Flaky' } },
      });
      const second = await poll(client);
      expect(second.attempt).toBe(2);
      await pause(300); // the heartbeat is a change of its own, not part of the start's commit
      await client.workflowService.recordActivityTaskHeartbeat({ taskToken: second.taskToken, details: payloads('step-2') });
    });
  });
  await withServer(dbFile, async (server, client) => {
    const again = await poll(client);
    expect(again.attempt).toBe(2);
    expect(firstValue(again.heartbeatDetails)).toBe('step-2');
    await client.workflowService.respondActivityTaskCompleted({ taskToken: again.taskToken, result: payloads('done') });
    await withWorker(server, q, async () => {
      expect(await client.workflow.getHandle('remote').result()).toBe('done');
    });
    const events = (await client.workflow.getHandle('remote').fetchHistory()).events!;
    const started = events.find((e) => e.activityTaskStartedEventAttributes)!.activityTaskStartedEventAttributes!;
    expect(started.attempt).toBe(2);
    expect(started.lastFailure?.message).toBe('first try fails');
  });
}, 60_000);

test('a workflow-task retry kept off history keeps its attempt number across a restart', async () => {
  const dbFile = join(dir, 'wft.db');
  const rawQueue = 'persist-raw';
  const poll = (client: Parameters<Parameters<typeof withServer>[1]>[1]) =>
    client.workflowService.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: rawQueue }, identity: 'test-poller' });
  await withServer(dbFile, async (_server, client) => {
    await client.workflow.start('greeting', { taskQueue: rawQueue, workflowId: 'wft-retry', args: ['x'] });
    for (const attempt of [1, 2]) {
      const task = await poll(client);
      expect(task.attempt).toBe(attempt);
      await pause(300); // each failure a commit of its own
      await client.workflowService.respondWorkflowTaskFailed({
        taskToken: task.taskToken,
        cause: temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
        failure: { message: `attempt ${attempt} broke` },
        identity: 'test-poller',
      });
    }
  });
  await withServer(dbFile, async (_server, client) => {
    const task = await poll(client);
    expect(task.attempt).toBe(3);
    const types = (await client.workflow.getHandle('wft-retry').fetchHistory()).events!.map((e) => e.eventType);
    // only the first failure is written (the retries after it stay transient)
    expect(types.filter((t) => t === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)).toHaveLength(1);
    await client.workflow.getHandle('wft-retry').terminate('done with it');
  });
}, 60_000);

test('a signal buffered behind a running workflow task is kept across a stop', async () => {
  const dbFile = join(dir, 'buffered.db');
  const rawQueue = 'persist-buffered';
  await withServer(dbFile, async (_server, client) => {
    const handle = await client.workflow.start('counter', { taskQueue: rawQueue, workflowId: 'buffered', args: [1] });
    // a workflow task handed out and not answered: the signal waits behind it
    const task = await client.workflowService.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: rawQueue }, identity: 'test-poller' });
    expect(task.attempt).toBe(1);
    await handle.signal('increment', 41);
  });
  await withServer(dbFile, async (server, client) => {
    const handle = client.workflow.getHandle('buffered');
    await withWorker(server, rawQueue, async () => {
      expect(await handle.query('count')).toBe(42);
      await handle.signal('done');
      expect(await handle.result()).toBe(42);
    });
  });
}, 60_000);

test('a restored run keeps its execution and run timeouts; a deadline passed while stopped fires at once', async () => {
  const dbFile = join(dir, 'timeouts.db');
  const started = await withServer(dbFile, async (_server, client) => {
    // no worker: the runs can only end by their timeouts
    await client.workflow.start('waitForever', { taskQueue: q, workflowId: 'exec-timeout', workflowExecutionTimeout: '3s' });
    await client.workflow.start('waitForever', { taskQueue: q, workflowId: 'run-timeout', workflowRunTimeout: '3s' });
    await client.workflow.start('waitForever', { taskQueue: q, workflowId: 'past-deadline', workflowExecutionTimeout: '1s' });
    return Date.now();
  });
  while (Date.now() < started + 1500) await pause(100); // the 1 s deadline passes while the server is down
  await withServer(dbFile, async (_server, client) => {
    for (const [id, ms] of [['past-deadline', 1000], ['exec-timeout', 3000], ['run-timeout', 3000]] as const) {
      const handle = client.workflow.getHandle(id);
      await expect(handle.result()).rejects.toThrow('Workflow execution timed out');
      const d = await handle.describe();
      expect(d.status.name).toBe('TIMED_OUT');
      expect(d.closeTime!.getTime() - d.startTime.getTime()).toBeGreaterThanOrEqual(ms);
    }
  });
}, 60_000);

test('completed updates come back from history after a restart (their result, a repeat answered the same), not from the run record', async () => {
  const dbFile = join(dir, 'updates-done.db');
  await withServer(dbFile, async (server, client) => {
    await withWorker(server, q, async () => {
      const handle = await client.workflow.start('counter', { taskQueue: q, workflowId: 'upd-done', args: [0] });
      for (let i = 1; i <= 20; i++) expect(await handle.executeUpdate('add', { args: [1], updateId: `add-${i}` })).toBe(i);
    });
  });
  // the run's record names its completed updates by id and accepted event only
  const runRecord = readDb(dbFile).records.filter((r) => r.t === 'run' && r.run?.workflowId === 'upd-done').at(-1) as unknown as { run: { updates: Array<Record<string, unknown>> } };
  expect(runRecord.run.updates).toHaveLength(20);
  expect(runRecord.run.updates.every((u) => u.request === undefined && u.outcome === undefined && typeof u.acceptedEventId === 'number')).toBe(true);
  await withServer(dbFile, async (server, client) => {
    const handle = client.workflow.getHandle('upd-done');
    expect(await handle.getUpdateHandle<number>('add-7').result()).toBe(7);
    await withWorker(server, q, async () => {
      // the same update id again: answered with the first outcome, not run a second time
      expect(await handle.executeUpdate('add', { args: [1], updateId: 'add-20' })).toBe(20);
      expect(await handle.query('count')).toBe(20);
      await handle.signal('done');
      expect(await handle.result()).toBe(20);
    });
  });
}, 60_000);
