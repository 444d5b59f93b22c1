// Conformance: priority (priorityKey, fairnessKey, fairnessWeight) as the SDK user sees it — in the
// history, in workflowInfo() and activityInfo(), in describe(), and inherited field by field by
// activities and children that set none of their own, as the real server does.
import { Context } from '@temporalio/activity';
import type { Worker } from '@temporalio/worker';
import { createTestEnv, type TestEnv } from '../support/temporal.js';

const taskQueue = 'conformance-priority';
let t: TestEnv;
let worker: Worker;
let running: Promise<void>;
let n = 0;
const id = (name: string) => `${name}-${++n}`;

beforeAll(async () => {
  t = await createTestEnv();
  worker = await t.worker({ taskQueue, activities: { ownPriority: async () => Context.current().info.priority } });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await t?.teardown();
});

const report = async (workflowId: string, priority: object | undefined, own?: object) => {
  const handle = await t.env.client.workflow.start('priorityReport', { taskQueue, workflowId, args: [own], ...(priority ? { priority } : {}) });
  return { handle, out: await handle.result() as { workflow?: Record<string, unknown>; activity?: Record<string, unknown>; child?: Record<string, unknown> } };
};

test('the priority given at start is in the history, workflowInfo() and describe()', async () => {
  const { handle, out } = await report(id('prio'), { priorityKey: 2, fairnessKey: 'tenant-a', fairnessWeight: 1.5 });
  const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
  expect(started?.priority?.priorityKey).toBe(2);
  expect(started?.priority?.fairnessKey).toBe('tenant-a');
  expect(started?.priority?.fairnessWeight).toBeCloseTo(1.5);
  expect(out.workflow).toMatchObject({ priorityKey: 2, fairnessKey: 'tenant-a' });
  expect(out.workflow?.fairnessWeight).toBeCloseTo(1.5);
  expect((await handle.describe()).raw.workflowExecutionInfo?.priority?.priorityKey).toBe(2);
});

test('activities and children without a priority of their own inherit the workflow\'s', async () => {
  const { out } = await report(id('inherit'), { priorityKey: 4, fairnessKey: 'tenant-b' });
  expect(out.activity).toMatchObject({ priorityKey: 4, fairnessKey: 'tenant-b' });
  expect(out.child).toMatchObject({ priorityKey: 4, fairnessKey: 'tenant-b' });
});

test('what an activity or child sets itself wins, field by field', async () => {
  const { out } = await report(id('override'), { priorityKey: 4, fairnessKey: 'tenant-b' }, { activity: { priorityKey: 1 }, child: { fairnessKey: 'tenant-c' } });
  expect(out.activity).toMatchObject({ priorityKey: 1, fairnessKey: 'tenant-b' });
  expect(out.child).toMatchObject({ priorityKey: 4, fairnessKey: 'tenant-c' });
});

test('a workflow started without a priority has none, nor do its activities', async () => {
  const { out } = await report(id('none'), undefined);
  expect(out.workflow?.priorityKey).toBeUndefined();
  expect(out.activity?.priorityKey).toBeUndefined();
});
