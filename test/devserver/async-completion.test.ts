// Conformance: activities completed from outside the worker (AsyncCompletionClient), by task
// token and by workflow id + activity id, and the errors for tokens and ids that name nothing.
import type { Info } from '@temporalio/activity';
import type { Worker } from '@temporalio/worker';
import protobuf from 'protobufjs';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import { conformanceActivities } from './conformance-activities.js';
import { errorOf } from './error-of.js';

let t: TestEnv;
let worker: Worker;
let running: Promise<void>;
const acts = conformanceActivities();
const taskQueue = 'conformance-async';
let n = 0;

beforeAll(async () => {
  t = await createTestEnv();
  const { attemptsOf: _a, asyncInfo: _i, ...activities } = acts;
  worker = await t.worker({ taskQueue, activities });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await t?.teardown();
});

async function startAsync(): Promise<{ handle: ReturnType<TestEnv['env']['client']['workflow']['getHandle']>; info: Info }> {
  const workflowId = `async-${++n}`;
  const handle = await t.env.client.workflow.start('asyncCompleted', { taskQueue, workflowId });
  for (let i = 0; i < 200; i++) {
    const info = acts.asyncInfo(workflowId);
    if (info) return { handle, info };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the activity of ${workflowId} never started`);
}

/** A token in the real server's layout (temporal.server.api.token.v1.Task) naming no activity. */
function realServerStyleToken(): Uint8Array {
  return protobuf.Writer.create()
    .uint32((1 << 3) | 2).string('3f1c2a9e-0000-4000-8000-000000000001') // namespace id
    .uint32((2 << 3) | 2).string('no-such-workflow')
    .uint32((3 << 3) | 2).string('5b0e7d4c-0000-4000-8000-000000000002') // run id
    .uint32(4 << 3).int64(5) // scheduled event id
    .uint32(5 << 3).int32(1) // attempt
    .uint32((6 << 3) | 2).string('1') // activity id
    .finish();
}

test('an activity completed by its task token returns its result to the workflow', async () => {
  const { handle, info } = await startAsync();
  await t.env.client.activity.complete(info.taskToken, 'done by token');
  expect(await handle.result()).toBe('done by token');
});

test('an activity completed by workflow id and activity id returns its result', async () => {
  const { handle, info } = await startAsync();
  await t.env.client.activity.complete({ workflowId: info.workflowExecution!.workflowId, activityId: info.activityId }, 'done by id');
  expect(await handle.result()).toBe('done by id');
});

test('an activity failed by id fails the workflow with that message', async () => {
  const { handle, info } = await startAsync();
  await t.env.client.activity.fail({ workflowId: info.workflowExecution!.workflowId, activityId: info.activityId }, new Error('failed from outside'));
  const err = (await errorOf(handle.result())) as Error & { cause?: Error & { cause?: Error } };
  expect(err.name).toBe('WorkflowFailedError');
  expect(err.cause?.cause?.message).toBe('failed from outside');
});

test.each(['token', 'id'] as const)('a heartbeat by %s learns of cancellation; the cancellation report ends the workflow', async (by) => {
  const { handle, info } = await startAsync();
  const byId = { workflowId: info.workflowExecution!.workflowId, activityId: info.activityId };
  const client = t.env.client.activity;
  const heartbeat = () => (by === 'token' ? client.heartbeat(info.taskToken, 'progress') : client.heartbeat(byId, 'progress'));
  await heartbeat();
  const described = await handle.describe();
  expect(described.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads).toHaveLength(1);
  await handle.cancel();
  let err: Error | undefined;
  for (let i = 0; i < 100 && !err; i++) {
    err = await heartbeat().then(() => undefined, (e: Error) => e);
    if (!err) await new Promise((r) => setTimeout(r, 25));
  }
  expect(err?.name).toBe('ActivityCancelledError');
  await (by === 'token' ? client.reportCancellation(info.taskToken, 'cancelled') : client.reportCancellation(byId, 'cancelled'));
  const failure = (await errorOf(handle.result())) as Error & { cause?: Error };
  expect(failure.name).toBe('WorkflowFailedError');
  expect(failure.cause?.name).toBe('CancelledFailure');
});

test('a token of an activity that already completed is not found (ActivityNotFoundError)', async () => {
  const { handle, info } = await startAsync();
  await t.env.client.activity.complete(info.taskToken, 'once');
  await handle.result();
  expect((await errorOf(t.env.client.activity.complete(info.taskToken, 'twice'))).name).toBe('ActivityNotFoundError');
  expect((await errorOf(t.env.client.activity.heartbeat(info.taskToken))).name).toBe('ActivityNotFoundError');
});

test('a well-formed token naming no activity is not found, for every call', async () => {
  const token = realServerStyleToken();
  const client = t.env.client.activity;
  expect((await errorOf(client.complete(token, 'x'))).name).toBe('ActivityNotFoundError');
  expect((await errorOf(client.fail(token, new Error('x')))).name).toBe('ActivityNotFoundError');
  expect((await errorOf(client.reportCancellation(token, 'x'))).name).toBe('ActivityNotFoundError');
  expect((await errorOf(client.heartbeat(token))).name).toBe('ActivityNotFoundError');
});

test('ids naming no workflow or no activity are not found', async () => {
  const client = t.env.client.activity;
  const missing = { workflowId: 'no-such-workflow', activityId: '1' };
  expect((await errorOf(client.complete(missing, 'x'))).name).toBe('ActivityNotFoundError');
  expect((await errorOf(client.fail(missing, new Error('x')))).name).toBe('ActivityNotFoundError');
  expect((await errorOf(client.reportCancellation(missing, 'x'))).name).toBe('ActivityNotFoundError');
  expect((await errorOf(client.heartbeat(missing))).name).toBe('ActivityNotFoundError');
  const { handle, info } = await startAsync();
  const err = await errorOf(client.complete({ workflowId: info.workflowExecution!.workflowId, activityId: 'not-this-one' }, 'x'));
  expect(err.name).toBe('ActivityNotFoundError');
  await client.complete(info.taskToken, 'cleanup');
  await handle.result();
});

test('bytes that are not a task token are INVALID_ARGUMENT "Task token is malformed."', async () => {
  const err = await errorOf(t.env.client.activity.complete(new Uint8Array([1]), 'x'));
  expect(err.name).toBe('ActivityCompletionError');
  expect(err.message).toContain('Task token is malformed.');
});
