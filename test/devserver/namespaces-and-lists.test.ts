// Conformance: UpdateNamespace (what `temporal operator namespace update` sends) and the older
// list APIs (ListOpen/ListClosed/ScanWorkflowExecutions) that tctl and older tools call.
import { google, temporal } from '@temporalio/proto';
import { useConformanceWorker } from './conformance-env.js';
import { withDbFile, withServer } from './persistence-support.js';
import { errorOf } from './error-of.js';

const taskQueue = 'conformance-namespaces-lists';
const conformance = useConformanceWorker(taskQueue);
const { id } = conformance;
const service = () => conformance.t.env.connection.workflowService;
const days = (n: number) => google.protobuf.Duration.fromObject({ seconds: n * 86_400 });
const at = (seconds: number) => google.protobuf.Timestamp.fromObject({ seconds });

describe('UpdateNamespace', () => {
  test('changes description, owner, data (merged) and retention, as DescribeNamespace then shows', async () => {
    await service().registerNamespace({
      namespace: 'ns-update', description: 'first', ownerEmail: 'a@example.org', data: { team: 'release', tier: '2' },
      workflowExecutionRetentionPeriod: days(3),
    });
    const before = await service().describeNamespace({ namespace: 'ns-update' });
    expect(before.namespaceInfo).toMatchObject({ description: 'first', ownerEmail: 'a@example.org', data: { team: 'release', tier: '2' } });

    const updated = await service().updateNamespace({
      namespace: 'ns-update',
      updateInfo: { ownerEmail: 'b@example.org', data: { tier: '1', oncall: 'images' } },
      config: { workflowExecutionRetentionTtl: days(7) },
    });
    // an empty description keeps the old one; data keys are merged in
    expect(updated.namespaceInfo).toMatchObject({ description: 'first', ownerEmail: 'b@example.org', data: { team: 'release', tier: '1', oncall: 'images' } });
    const after = await service().describeNamespace({ namespace: 'ns-update' });
    expect(after.namespaceInfo?.data).toEqual({ team: 'release', tier: '1', oncall: 'images' });
    expect(Number(after.config?.workflowExecutionRetentionTtl?.seconds)).toBe(7 * 86_400);
    expect(after.namespaceInfo?.id).toBe(before.namespaceInfo?.id);
  });

  test('an unknown namespace is NOT_FOUND, a negative retention names the field', async () => {
    const missing = await errorOf(service().updateNamespace({ namespace: 'no-such-ns', updateInfo: { description: 'x' } }));
    expect(missing.code).toBe(5);
    expect(missing.message).toContain('Namespace no-such-ns is not found');
    const negative = await errorOf(service().updateNamespace({ namespace: 'default', config: { workflowExecutionRetentionTtl: google.protobuf.Duration.fromObject({ seconds: -60 }) } }));
    expect(negative.code).toBe(3);
    expect(negative.message).toContain('workflowExecutionRetentionTtl');
  });
});

test('with --db, an updated namespace is kept across a restart', async () => {
  await withDbFile(async (dbFile) => {
    await withServer(dbFile, async (_server, client) => {
      await client.workflowService.registerNamespace({ namespace: 'kept', workflowExecutionRetentionPeriod: days(1) });
      await client.workflowService.updateNamespace({ namespace: 'kept', updateInfo: { description: 'images', data: { owner: 'maintainers' } } });
    });
    const described = await withServer(dbFile, (_server, client) => client.workflowService.describeNamespace({ namespace: 'kept' }));
    expect(described.namespaceInfo).toMatchObject({ description: 'images', data: { owner: 'maintainers' } });
  });
});

describe('ListOpen / ListClosed / ScanWorkflowExecutions', () => {
  const ids = (r: { executions?: temporal.api.workflow.v1.IWorkflowExecutionInfo[] | null }) => (r.executions ?? []).map((e) => e.execution?.workflowId).sort();

  test('open and closed runs are listed apart, by type, by execution and by status, newest first', async () => {
    const client = conformance.t.env.client;
    // a few ms apart, so that "newest first" is decided by the times, not by the tie-break
    const apart = () => new Promise((r) => setTimeout(r, 5));
    const done = id('legacy-done');
    await client.workflow.execute('greeting', { taskQueue, workflowId: done, args: ['a'] });
    const failed = id('legacy-failed');
    await apart();
    await client.workflow.execute('businessFailure', { taskQueue, workflowId: failed }).catch(() => undefined);
    const open = [id('legacy-open'), id('legacy-open')];
    for (const workflowId of open) {
      await apart();
      await client.workflow.start('waitForever', { taskQueue, workflowId });
    }

    const namespace = 'default';
    const openAll = await service().listOpenWorkflowExecutions({ namespace });
    expect(ids(openAll)).toEqual([...open].sort());
    // newest start first
    expect(openAll.executions?.map((e) => e.execution?.workflowId)).toEqual([open[1], open[0]]);
    expect(ids(await service().listOpenWorkflowExecutions({ namespace, typeFilter: { name: 'greeting' } }))).toEqual([]);
    expect(ids(await service().listOpenWorkflowExecutions({ namespace, executionFilter: { workflowId: open[0] } }))).toEqual([open[0]]);

    const closed = await service().listClosedWorkflowExecutions({ namespace });
    expect(ids(closed)).toEqual([done, failed].sort());
    expect(closed.executions?.map((e) => e.execution?.workflowId)).toEqual([failed, done]); // newest close first
    const completed = await service().listClosedWorkflowExecutions({
      namespace, statusFilter: { status: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED },
    });
    expect(ids(completed)).toEqual([done]);
    expect(ids(await service().listClosedWorkflowExecutions({ namespace, typeFilter: { name: 'businessFailure' } }))).toEqual([failed]);

    // a time range that ends before these runs started finds none; pages follow the token
    const epochish = { earliestTime: at(0), latestTime: at(1000) };
    expect(ids(await service().listOpenWorkflowExecutions({ namespace, startTimeFilter: epochish }))).toEqual([]);
    const first = await service().listOpenWorkflowExecutions({ namespace, maximumPageSize: 1 });
    expect(first.executions).toHaveLength(1);
    const second = await service().listOpenWorkflowExecutions({ namespace, maximumPageSize: 1, nextPageToken: first.nextPageToken });
    expect([...ids(first), ...ids(second)].sort()).toEqual([...open].sort());
    expect(second.nextPageToken?.length ?? 0).toBe(0);

    const scanned = await service().scanWorkflowExecutions({ namespace, query: `WorkflowId = "${done}"` });
    expect(ids(scanned)).toEqual([done]);
    for (const workflowId of open) await client.workflow.getHandle(workflowId).terminate();
  });

  test('an earliest time after the latest is INVALID_ARGUMENT in the real server words', async () => {
    const err = await errorOf(service().listClosedWorkflowExecutions({ namespace: 'default', startTimeFilter: { earliestTime: at(2000), latestTime: at(1000) } }));
    expect(err.code).toBe(3);
    expect(err.message).toContain('EarliestTime in StartTimeFilter should not be larger than LatestTime.');
  });
});
