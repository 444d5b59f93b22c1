// Conformance at the protocol edge: status codes the SDK maps to its typed errors, UNIMPLEMENTED,
// unsupported commands, the OperatorService search attributes and the TestService clock.
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import { parseServerArgs } from '../../devserver/main.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import { errorOf } from './error-of.js';

const EventType = temporal.api.enums.v1.EventType;
let t: TestEnv;
let worker: Worker;
let running: Promise<void>;
const taskQueue = 'conformance-protocol';

beforeAll(async () => {
  t = await createTestEnv();
  worker = await t.worker({ taskQueue, activities: { greet: async (n: string) => `hello, ${n}` } });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await t?.teardown();
});

test('a method the server does not implement answers UNIMPLEMENTED naming the method', async () => {
  const err = await errorOf(t.env.connection.workflowService.listWorkers({ namespace: 'default' }));
  expect(err.code).toBe(12);
  expect(err.message).toContain('WorkflowService.ListWorkers is not implemented');
});

test('an unknown namespace is NamespaceNotFoundError', async () => {
  const client = new Client({ connection: t.env.connection, namespace: 'no-such-namespace' });
  const err = await errorOf(client.workflow.start('greeting', { taskQueue, workflowId: 'ns-test', args: ['x'] }));
  expect(err.name).toBe('NamespaceNotFoundError');
  expect(err.message).toContain('no-such-namespace');
});

test('a start without a workflow type is INVALID_ARGUMENT with a message naming the field', async () => {
  const err = await errorOf(
    t.env.connection.workflowService.startWorkflowExecution({ namespace: 'default', workflowId: 'x', taskQueue: { name: taskQueue }, requestId: 'r1' }),
  );
  expect(err.code).toBe(3);
  expect(err.message).toContain('WorkflowType is not set');
});

test('an unknown run id is WorkflowNotFoundError; a garbage task token is INVALID_ARGUMENT', async () => {
  const handle = await t.env.client.workflow.start('greeting', { taskQueue, workflowId: 'run-id-test', args: ['x'] });
  await handle.result();
  const err = await errorOf(t.env.client.workflow.getHandle('run-id-test', '00000000-0000-0000-0000-000000000000').describe());
  expect(err.name).toBe('WorkflowNotFoundError');
  const bad = await errorOf(t.env.connection.workflowService.respondWorkflowTaskCompleted({ namespace: 'default', taskToken: Buffer.from('garbage') }));
  expect(bad.code).toBe(3);
  expect(bad.message).toContain('Task token is malformed');
});

test('a command the server does not support fails the workflow task visibly instead of hanging', async () => {
  const handle = await t.env.client.workflow.start('usesNexus', { taskQueue, workflowId: 'nexus-test' });
  let failed: temporal.api.history.v1.IWorkflowTaskFailedEventAttributes | undefined;
  for (let i = 0; i < 100 && !failed; i++) {
    const events = (await handle.fetchHistory()).events!;
    failed = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)?.workflowTaskFailedEventAttributes ?? undefined;
    if (!failed) await new Promise((r) => setTimeout(r, 50));
  }
  expect(failed?.failure?.message).toBe('the stratus embedded Temporal server does not support COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION');
  await handle.terminate('done');
});

test('custom search attributes: the dev defaults are there, new ones must be registered first', async () => {
  const op = t.env.connection.operatorService;
  const listed = await op.listSearchAttributes({ namespace: 'default' });
  expect(Object.keys(listed.customAttributes ?? {})).toEqual(expect.arrayContaining([
    'CustomKeywordField', 'CustomIntField', 'CustomBoolField', 'CustomDoubleField', 'CustomDatetimeField', 'CustomTextField',
  ]));
  const unregistered = await errorOf(
    t.env.client.workflow.start('greeting', { taskQueue, workflowId: 'sa-test', args: ['x'], searchAttributes: { StratusRelease: ['v31'] } }),
  );
  expect(unregistered.message + String((unregistered.cause as Error | undefined)?.message)).toContain('search attribute StratusRelease is not defined');
  await op.addSearchAttributes({ namespace: 'default', searchAttributes: { StratusRelease: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD } });
  const ok = await t.env.client.workflow.start('greeting', { taskQueue, workflowId: 'sa-test', args: ['x'], searchAttributes: { StratusRelease: ['v31'] } });
  await ok.result();
  expect((await t.env.client.workflow.count(`StratusRelease = 'v31'`)).count).toBe(1);
  const bad = await errorOf(op.addSearchAttributes({ namespace: 'default', searchAttributes: { WorkflowId: 2 } }));
  expect(bad.message).toContain('reserved by the system');
});

test('the TestService clock moves only when asked (sleep) or when a waited-on workflow sleeps', async () => {
  const before = await t.env.currentTimeMs();
  await t.env.sleep(3 * 3600 * 1000);
  const after = await t.env.currentTimeMs();
  expect(after - before).toBeGreaterThanOrEqual(3 * 3600 * 1000);
  expect(after - before).toBeLessThan(3 * 3600 * 1000 + 60_000);
});

test('a visibility query with an unknown attribute is rejected with its name', async () => {
  const err = await errorOf(t.env.client.workflow.count(`Nope = 'x'`));
  expect(`${err.message} ${String((err.cause as Error | undefined)?.message)}`).toContain('search attribute Nope is not defined');
});

describe('stratus-temporal arguments', () => {
  test('a bare port is the time-skipping test server (as the SDK launches it)', () => {
    expect(parseServerArgs(['7999'])).toMatchObject({ port: 7999, timeSkipping: true });
  });
  test('server start-dev takes the dev server flags the SDK passes', () => {
    expect(
      parseServerArgs(['server', 'start-dev', '--port', '7300', '--namespace', 'stratus', '--ip', '127.0.0.1', '--db-filename', '/tmp/x.db', '--ui-port', '8300', '--headless', '--search-attribute', 'Repo=Keyword']),
    ).toEqual({ port: 7300, namespaces: ['stratus'], host: '127.0.0.1', dbFile: '/tmp/x.db', searchAttributes: { Repo: 'Keyword' } });
  });
  test('bad arguments are named', () => {
    expect(() => parseServerArgs(['--port', 'abc'])).toThrow('--port must be a port number, got "abc"');
    expect(() => parseServerArgs(['--frobnicate'])).toThrow('unknown argument "--frobnicate"');
  });
});

test('a plain client connects to the in-process server and sees its version', async () => {
  const connection = await Connection.connect({ address: t.server?.address ?? 'localhost:7233' });
  const info = await connection.workflowService.getSystemInfo({});
  expect(info.serverVersion).toContain('stratus');
  await connection.close();
});

test('bytes that do not decode as the request message are INVALID_ARGUMENT', async () => {
  const grpc = await import('@grpc/grpc-js');
  const client = new grpc.Client(t.server!.address, grpc.credentials.createInsecure());
  const err = await new Promise<Error & { code?: number }>((resolve) => {
    client.makeUnaryRequest(
      '/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution',
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
      (e) => resolve(e as Error & { code?: number }),
    );
  });
  client.close();
  expect(err.code).toBe(3);
  expect(err.message).toContain('StartWorkflowExecution: the request could not be decoded');
});

test('a workflow task nobody completes times out and is handed to another worker', async () => {
  const workflowId = 'wft-timeout';
  const handle = await t.env.client.workflow.start('greeting', {
    taskQueue: 'wft-timeout-queue',
    workflowId,
    args: ['late'],
    workflowTaskTimeout: '1s',
  });
  // a "worker" that takes the task and dies without answering
  const task = await t.env.connection.workflowService.pollWorkflowTaskQueue({
    namespace: 'default',
    taskQueue: { name: 'wft-timeout-queue' },
    identity: 'doomed-worker',
  });
  expect(task.workflowExecution?.workflowId).toBe(workflowId);
  const healthy = await t.worker({ taskQueue: 'wft-timeout-queue', activities: { greet: async (n: string) => `hello, ${n}` } });
  expect(await healthy.runUntil(handle.result())).toBe('hello, late');
  const events = (await handle.fetchHistory()).events!;
  const timedOut = events.find((e) => e.workflowTaskTimedOutEventAttributes)!.workflowTaskTimedOutEventAttributes!;
  expect(temporal.api.enums.v1.TimeoutType[timedOut.timeoutType!]).toBe('TIMEOUT_TYPE_START_TO_CLOSE');
  const identities = events.filter((e) => e.workflowTaskStartedEventAttributes).map((e) => e.workflowTaskStartedEventAttributes!.identity);
  expect(identities[0]).toBe('doomed-worker');
  expect(identities[1]).not.toBe('doomed-worker');
});

test('DescribeTaskQueue lists the workers polling a queue', async () => {
  const { pollers } = await t.env.connection.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  expect(pollers?.length).toBeGreaterThanOrEqual(1);
  expect(pollers![0]!.identity).toMatch(/@/);
  const none = await t.env.connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: 'nobody-here' } });
  expect(none.pollers ?? []).toEqual([]);
});

test('a query task taken by a worker that dies is handed to another worker', async () => {
  const queue = 'query-retry-queue';
  const handle = await t.env.client.workflow.start('counter', { taskQueue: queue, workflowId: 'query-retry', args: [41] });
  const first = await t.worker({ taskQueue: queue });
  await first.runUntil(async () => {
    expect(await handle.query('count')).toBe(41);
  });
  const answer = handle.query('count');
  const taken = await t.env.connection.workflowService.pollWorkflowTaskQueue({
    namespace: 'default',
    taskQueue: { name: queue },
    identity: 'doomed-worker',
  });
  expect(taken.query?.queryType).toBe('count');
  const second = await t.worker({ taskQueue: queue });
  expect(await second.runUntil(answer)).toBe(41);
  await handle.terminate('done');
});
