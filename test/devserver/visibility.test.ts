// Conformance: what describe(), list() and count() show, the cluster endpoints tools call, and
// signal-with-start's conflict policy.
import { useConformanceWorker } from './conformance-env.js';

const taskQueue = 'conformance-visibility';
const conformance = useConformanceWorker(taskQueue);
const { id } = conformance;

const isDate = (v: unknown) => Object.prototype.toString.call(v) === '[object Date]';

test('a Datetime search attribute reaches describe() and workflowInfo() as a Date', async () => {
  const when = new Date('2026-01-02T03:04:05.000Z');
  const handle = await conformance.t.env.client.workflow.start('datetimeAttribute', {
    taskQueue, workflowId: id('datetime'), searchAttributes: { CustomDatetimeField: [when] },
  });
  expect(await handle.result()).toEqual({ isDate: true, iso: when.toISOString() });
  const value = (await handle.describe()).searchAttributes.CustomDatetimeField?.[0];
  expect(isDate(value)).toBe(true);
  expect((value as Date).toISOString()).toBe(when.toISOString());
});

test('children are found by ParentWorkflowId, ParentRunId and RootWorkflowId', async () => {
  const workflowId = id('parent');
  const handle = await conformance.t.env.client.workflow.start('parent', { taskQueue, workflowId, args: ['x'] });
  await handle.result();
  const ids = async (query: string) => {
    const found: string[] = [];
    for await (const wf of conformance.t.env.client.workflow.list({ query })) found.push(wf.workflowId);
    return found.sort();
  };
  expect(await ids(`ParentWorkflowId = "${workflowId}"`)).toEqual([`${workflowId}-child`]);
  expect(await ids(`ParentRunId = "${handle.firstExecutionRunId}"`)).toEqual([`${workflowId}-child`]);
  expect(await ids(`RootWorkflowId = "${workflowId}"`)).toEqual([workflowId, `${workflowId}-child`]);
  const child = await conformance.t.env.client.workflow.getHandle(`${workflowId}-child`).describe();
  expect(child.raw.workflowExecutionInfo?.rootExecution?.workflowId).toBe(workflowId);
});

test('count() groups by ExecutionStatus', async () => {
  const type = 'greeting';
  for (let i = 0; i < 2; i++) await conformance.t.env.client.workflow.execute(type, { taskQueue, workflowId: id('count'), args: ['c'] });
  const open = await conformance.t.env.client.workflow.start('waitForever', { taskQueue, workflowId: id('count') });
  const result = await conformance.t.env.client.workflow.count(`WorkflowType IN ("${type}", "waitForever") GROUP BY ExecutionStatus`);
  const byStatus = Object.fromEntries(result.groups.map((g) => [g.groupValues[0], g.count]));
  expect(byStatus.Completed).toBeGreaterThanOrEqual(2);
  expect(byStatus.Running).toBeGreaterThanOrEqual(1);
  expect(result.count).toBe(result.groups.reduce((a, g) => a + g.count, 0));
  await open.terminate();
  const err = (await conformance.t.env.client.workflow.count('GROUP BY WorkflowType').catch((e: Error) => e)) as Error & { cause?: Error };
  expect(`${err.message}: ${err.cause?.message}`).toContain('GROUP BY is only supported for ExecutionStatus');
});

test('GetClusterInfo answers with the server version and a cluster id', async () => {
  const info = await conformance.t.env.connection.workflowService.getClusterInfo({});
  expect(info.serverVersion).toMatch(/stratus/);
  expect(info.clusterId).toMatch(/^[0-9a-f-]{36}$/);
});

test('a static summary and details set at start come back from describe()', async () => {
  const handle = await conformance.t.env.client.workflow.start('waitForever', {
    taskQueue, workflowId: id('summary'), staticSummary: 'nightly build of atomic-host', staticDetails: 'started by the **release** train',
  });
  const described = await handle.describe();
  expect(await described.staticSummary()).toBe('nightly build of atomic-host');
  expect(await described.staticDetails()).toBe('started by the **release** train');
  await handle.terminate();
});

test('signal-with-start with TERMINATE_EXISTING ends the running workflow and starts a new one', async () => {
  const workflowId = id('sws');
  const first = await conformance.t.env.client.workflow.start('counter', { taskQueue, workflowId, args: [1] });
  const second = await conformance.t.env.client.workflow.signalWithStart('counter', {
    taskQueue, workflowId, args: [10], signal: 'increment', signalArgs: [5], workflowIdConflictPolicy: 'TERMINATE_EXISTING',
  });
  expect(second.signaledRunId).not.toBe(first.firstExecutionRunId);
  expect((await conformance.t.env.client.workflow.getHandle(workflowId, first.firstExecutionRunId).describe()).status.name).toBe('TERMINATED');
  expect(await second.query('count')).toBe(15);
  await second.signal('done');
  expect(await second.result()).toBe(15);
});
