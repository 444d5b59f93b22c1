// Conformance: timers, signals, queries, updates, children, cancellation, termination,
// continue-as-new, id policies, describe/memo/search attributes and markers on the embedded server.
import { WorkflowIdConflictPolicy, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { createTestEnv, workflowBundle, type TestEnv } from '../support/temporal.js';
import { conformanceActivities } from './conformance-activities.js';

const EventType = temporal.api.enums.v1.EventType;
let t: TestEnv;
let worker: Worker;
let running: Promise<void>;
const taskQueue = 'conformance-workflows';
let n = 0;
const id = (name: string) => `${name}-${++n}`;

beforeAll(async () => {
  t = await createTestEnv({ searchAttributes: { StratusStream: 'Keyword' } });
  const { attemptsOf: _a, asyncInfo: _i, ...activities } = conformanceActivities();
  worker = await t.worker({ taskQueue, activities });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await t?.teardown();
});

const start = (type: string, args: unknown[] = [], workflowId = id(type), extra: object = {}) =>
  t.env.client.workflow.start(type, { taskQueue, workflowId, args, ...extra });

async function eventTypes(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return history.events!.map((e) => EventType[e.eventType!]!.replace('EVENT_TYPE_', ''));
}

async function failureOf(p: Promise<unknown>): Promise<Error & { cause?: Error & { type?: string; details?: unknown[] } }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { cause?: Error };
  }
  throw new Error('expected a failure');
}

test('a one-day timer completes in well under a second of real time', async () => {
  const before = Date.now();
  const handle = await start('sleeper', [24 * 3600 * 1000]);
  const { started, ended } = await handle.result();
  expect(ended - started).toBeGreaterThanOrEqual(24 * 3600 * 1000);
  expect(Date.now() - before).toBeLessThan(5000);
  expect(await eventTypes(handle)).toEqual([
    'WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED',
    'TIMER_STARTED', 'TIMER_FIRED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED',
    'WORKFLOW_EXECUTION_COMPLETED',
  ]);
});

test('signals, queries and updates reach a running workflow; validators reject bad updates', async () => {
  const handle = await start('counter', [1]);
  await handle.signal('increment', 2);
  expect(await handle.query('count')).toBe(3);
  expect(await handle.executeUpdate('add', { args: [4] })).toBe(7);
  const rejected = await failureOf(handle.executeUpdate('add', { args: [-1] }));
  expect(rejected.name).toBe('WorkflowUpdateFailedError');
  expect(rejected.cause?.message).toBe('cannot add a negative number (-1)');
  const accepted = await handle.startUpdate('add', { args: [10], waitForStage: 'ACCEPTED' });
  expect(await accepted.result()).toBe(17);
  await handle.signal('done');
  expect(await handle.result()).toBe(17);
  const types = await eventTypes(handle);
  expect(types.filter((e) => e === 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toHaveLength(2);
  expect(types.filter((e) => e === 'WORKFLOW_EXECUTION_UPDATE_COMPLETED')).toHaveLength(2);
  expect(types.filter((e) => e === 'WORKFLOW_EXECUTION_SIGNALED')).toHaveLength(2);
});

test('an unknown query is a QueryNotRegisteredError naming the query', async () => {
  const handle = await start('counter');
  const err = await failureOf(handle.query('nope'));
  expect(err.name).toBe('QueryNotRegisteredError');
  expect(err.message).toContain('nope');
  await handle.terminate('done');
});

test('queries work on a closed workflow', async () => {
  const handle = await start('counter', [5]);
  await handle.signal('done');
  await handle.result();
  expect(await handle.query('count')).toBe(5);
});

test('signal-with-start starts a workflow and delivers the signal before its first task', async () => {
  const workflowId = id('counter');
  const handle = await t.env.client.workflow.signalWithStart('counter', {
    taskQueue, workflowId, args: [0], signal: 'increment', signalArgs: [7],
  });
  expect(await handle.query('count')).toBe(7);
  await t.env.client.workflow.signalWithStart('counter', { taskQueue, workflowId, args: [0], signal: 'increment', signalArgs: [1] });
  expect(await handle.query('count')).toBe(8);
  await handle.signal('done');
  expect(await handle.result()).toBe(8);
  expect((await eventTypes(handle)).slice(0, 3)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_EXECUTION_SIGNALED', 'WORKFLOW_TASK_SCHEDULED']);
});

test('a signal cancels a pending timer', async () => {
  const handle = await start('raceTimer');
  await handle.query('__stack_trace').catch(() => undefined); // wait for the first task
  await handle.signal('done');
  expect(await handle.result()).toBe('signal won');
  expect(await eventTypes(handle)).toContain('TIMER_CANCELED');
});

test('child workflows return results and propagate failures', async () => {
  expect(await (await start('parent', ['x'])).result()).toBe('parent saw: child got x');
  const err = await failureOf((await start('parent', ['fail'])).result());
  expect(err.name).toBe('WorkflowFailedError');
  expect(err.cause?.name).toBe('ChildWorkflowFailure');
  expect((err.cause as Error & { cause?: Error }).cause?.message).toBe('child failed on purpose');
});

test('a parent cancels its child', async () => {
  expect(await (await start('parentCancellingChild')).result()).toBe('child cancelled');
});

test.each([
  ['terminate', 'TERMINATED'],
  ['abandon', 'RUNNING'],
  ['request-cancel', 'CANCELLED'],
])('parent close policy %s leaves the child %s', async (policy, status) => {
  const parentHandle = await start('parentLeavingChild', [policy]);
  const childId = await parentHandle.result();
  const childHandle = t.env.client.workflow.getHandle(childId);
  if (status === 'CANCELLED') await childHandle.result().catch(() => undefined);
  expect((await childHandle.describe()).status.name).toBe(status);
  if (status === 'RUNNING') await childHandle.terminate('cleanup');
});

test('a workflow signals another one by id', async () => {
  const target = await start('counter');
  await expect((await start('signaller', [target.workflowId])).result()).resolves.toBe('signalled');
  expect(await target.result()).toBe(5);
});

test('signalling a workflow that does not exist fails in the sender, not silently', async () => {
  const handle = await start('signalMissing');
  expect(await handle.result()).toBe('failed: ApplicationFailure: Unable to signal external workflow because it was not found');
  expect(await eventTypes(handle)).toContain('SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED');
});

test('cancellation and termination close the workflow as the client expects', async () => {
  const cancelled = await start('waitForever');
  await cancelled.cancel();
  const err = await failureOf(cancelled.result());
  expect(err.name).toBe('WorkflowFailedError');
  expect(err.cause?.name).toBe('CancelledFailure');

  const terminated = await start('waitForever');
  await terminated.terminate('operator said so');
  const err2 = await failureOf(terminated.result());
  expect(err2.cause?.name).toBe('TerminatedFailure');
  expect(err2.message).toBe('operator said so');
  expect((await terminated.describe()).status.name).toBe('TERMINATED');
});

test('continue-as-new chains runs and the client follows them to the result', async () => {
  const handle = await start('looping', [3]);
  expect(await handle.result()).toEqual({ total: 6, runs: -1 });
  const desc = await handle.describe();
  expect(desc.runId).not.toBe(handle.firstExecutionRunId);
  const first = t.env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
  expect((await first.describe()).status.name).toBe('CONTINUED_AS_NEW');
});

test('a second start with the same id is WorkflowExecutionAlreadyStartedError; USE_EXISTING returns the running one', async () => {
  const workflowId = id('counter');
  const first = await start('counter', [], workflowId);
  const err = await failureOf(start('counter', [], workflowId));
  expect(err.name).toBe('WorkflowExecutionAlreadyStartedError');
  const again = await start('counter', [], workflowId, { workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING });
  expect(again.firstExecutionRunId).toBe(first.firstExecutionRunId);
  await first.terminate('done');
  const reuse = await failureOf(start('counter', [], workflowId, { workflowIdReusePolicy: 'REJECT_DUPLICATE' }));
  expect(reuse.name).toBe('WorkflowExecutionAlreadyStartedError');
  const next = await start('counter', [], workflowId);
  expect(next.firstExecutionRunId).not.toBe(first.firstExecutionRunId);
  await next.terminate('done');
});

test('describe shows memo and search attributes; list and count filter on them', async () => {
  const stream = `stream-${Date.now()}`;
  const handle = await start('searchable', [stream], id('searchable'), {
    memo: { owner: 'release-team' },
    searchAttributes: { StratusStream: [stream] },
  });
  await handle.query('__stack_trace').catch(() => undefined);
  const desc = await handle.describe();
  expect(desc.memo).toEqual({ owner: 'release-team' });
  expect(desc.searchAttributes.StratusStream).toEqual([stream]);
  expect(desc.searchAttributes.CustomKeywordField).toEqual([stream]);
  const listed: string[] = [];
  for await (const wf of t.env.client.workflow.list({ query: `WorkflowType = 'searchable' AND ExecutionStatus = 'Running' AND StratusStream = '${stream}'` })) {
    listed.push(wf.workflowId);
  }
  expect(listed).toEqual([handle.workflowId]);
  expect((await t.env.client.workflow.count(`CustomKeywordField = '${stream}'`)).count).toBe(1);
  expect((await t.env.client.workflow.count(`WorkflowId = '${handle.workflowId}' AND ExecutionStatus = 'Completed'`)).count).toBe(0);
  await handle.terminate('done');
});

test('an unregistered search attribute is rejected as a real cluster does', async () => {
  const err = await failureOf(start('searchable', ['x'], id('searchable'), { searchAttributes: { NotRegistered: ['x'] } }));
  expect(err.message + String((err.cause as Error | undefined)?.message)).toMatch(/NotRegistered is not defined/);
});

test('patches and local activities are recorded as markers', async () => {
  const handle = await start('patchedAndMarked');
  expect(await handle.result()).toBe('patched hello, local');
  const history = await handle.fetchHistory();
  const markers = history.events!.filter((e) => e.markerRecordedEventAttributes).map((e) => e.markerRecordedEventAttributes!.markerName);
  expect(markers).toEqual(expect.arrayContaining(['core_patch', 'core_local_activity']));
});

test('a bug in workflow code fails the workflow task (visible in history) and the workflow stays open', async () => {
  const handle = await start('brokenTask');
  for (let i = 0; i < 50 && !(await eventTypes(handle)).includes('WORKFLOW_TASK_FAILED'); i++) await new Promise((r) => setTimeout(r, 100));
  expect(await eventTypes(handle)).toContain('WORKFLOW_TASK_FAILED');
  expect((await handle.describe()).status.name).toBe('RUNNING');
  const history = await handle.fetchHistory();
  const failed = history.events!.find((e) => e.workflowTaskFailedEventAttributes)!.workflowTaskFailedEventAttributes!;
  expect(failed.failure?.message).toContain('a bug in workflow code');
  await handle.terminate('done');
});

test('an ApplicationFailure fails the workflow with its type and details', async () => {
  const err = await failureOf((await start('businessFailure')).result());
  expect(err.name).toBe('WorkflowFailedError');
  expect(err.cause?.type).toBe('ReleaseBlocked');
  expect(err.cause?.details).toEqual([{ repo: 'atmosphere' }]);
});

test('an unknown workflow id is WorkflowNotFoundError', async () => {
  const err = await failureOf(t.env.client.workflow.getHandle('no-such-workflow').describe());
  expect(err.name).toBe('WorkflowNotFoundError');
});

test('workflows see their history length and encoded size grow, as on the real server', async () => {
  const seen = (await (await start('historyInfo')).result()) as Array<{ length: number; size: number; suggested: boolean }>;
  expect(seen.map((s) => s.length)).toEqual([3, 8, 13]);
  expect(seen[0]!.size).toBeGreaterThan(0);
  expect(seen[1]!.size).toBeGreaterThan(seen[0]!.size);
  expect(seen.every((s) => !s.suggested)).toBe(true);
});

test('every closed history this suite produced replays deterministically on the SDK', async () => {
  const histories = [];
  for await (const wf of t.env.client.workflow.list({ query: `ExecutionStatus != 'Running' AND TaskQueue = '${taskQueue}'` })) {
    if (wf.type === 'brokenTask') continue; // its task fails on purpose
    histories.push({ workflowId: wf.workflowId, history: await t.env.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory() });
  }
  expect(histories.length).toBeGreaterThan(20);
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: workflowBundle('conformance') }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
});
