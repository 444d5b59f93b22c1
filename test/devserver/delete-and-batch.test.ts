// Conformance: DeleteWorkflowExecution (what `temporal workflow delete` sends) and batch
// operations (`temporal workflow terminate|signal|cancel|delete|reset --query …`, `temporal batch …`).
import { Connection, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { useConformanceWorker } from './conformance-env.js';
import { withDbFile, withServer } from './persistence-support.js';
import { errorOf } from './error-of.js';

const taskQueue = 'conformance-delete-batch';
const conformance = useConformanceWorker(taskQueue);
const { id } = conformance;
const client = () => conformance.t.env.client;
const service = () => conformance.t.env.connection.workflowService;
const { BatchOperationState, BatchOperationType } = temporal.api.enums.v1;

/** Describes batch job `jobId` until it is no longer running. */
async function finished(jobId: string): Promise<temporal.api.workflowservice.v1.DescribeBatchOperationResponse> {
  for (let i = 0; i < 200; i++) {
    const d = await service().describeBatchOperation({ namespace: 'default', jobId });
    if (d.state !== BatchOperationState.BATCH_OPERATION_STATE_RUNNING) return d;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`batch job ${jobId} still running`);
}

describe('DeleteWorkflowExecution', () => {
  test('a running workflow is terminated, then describe, history and List no longer find it', async () => {
    const handle = await client().workflow.start('waitForever', { taskQueue, workflowId: id('delete-running') });
    const result = handle.result().catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200)); // the client's long poll for the result is in place
    await service().deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: handle.workflowId } });
    const err = (await result) as WorkflowFailedError;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err.cause?.message).toBe('Delete workflow execution');
    await expect(handle.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    await expect(handle.fetchHistory()).rejects.toThrow(/not found/);
    const listed: string[] = [];
    for await (const wf of client().workflow.list({ query: `WorkflowId = "${handle.workflowId}"` })) listed.push(wf.runId);
    expect(listed).toEqual([]);
  });

  test('deleting the current run leaves the older ones by run id and no current run', async () => {
    const workflowId = id('delete-current');
    const first = await client().workflow.start('greeting', { taskQueue, workflowId, args: ['one'] });
    await first.result();
    const second = await client().workflow.start('greeting', { taskQueue, workflowId, args: ['two'], workflowIdReusePolicy: 'ALLOW_DUPLICATE' });
    await second.result();
    await service().deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId, runId: second.firstExecutionRunId } });

    await expect(client().workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect((await client().workflow.getHandle(workflowId, first.firstExecutionRunId).describe()).status.name).toBe('COMPLETED');
    // with no current run, a start is not held to the reuse policy by the older one
    const third = await client().workflow.start('greeting', { taskQueue, workflowId, args: ['three'], workflowIdReusePolicy: 'REJECT_DUPLICATE' });
    expect(await third.result()).toBe('hello, three');
    expect((await client().workflow.getHandle(workflowId).describe()).runId).toBe(third.firstExecutionRunId);
  });

  test('an unknown workflow is NOT_FOUND', async () => {
    const err = await errorOf(service().deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'never-started' } }));
    expect(err.code).toBe(5);
    expect(err.message).toContain('never-started');
  });

  test('with --db, a deleted run stays deleted and the older run stays not current', async () => {
    await withDbFile(async (dbFile) => {
      const ids = await withServer(dbFile, async (_server, c) => {
        const svc = c.workflowService;
        const start = async (requestId: string) =>
          (await svc.startWorkflowExecution({
            namespace: 'default', workflowId: 'kept-and-gone', workflowType: { name: 'never-polled' }, taskQueue: { name: 'nobody' }, requestId,
            workflowIdReusePolicy: temporal.api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
          })).runId!;
        const older = await start('r1');
        await svc.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'kept-and-gone' }, reason: 'make room' });
        const newer = await start('r2');
        await svc.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'kept-and-gone' } });
        return { older, newer };
      });
      await withServer(dbFile, async (_server, c) => {
        const svc = c.workflowService;
        const describe = (runId?: string) => svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'kept-and-gone', runId } });
        expect((await errorOf(describe(ids.newer))).code).toBe(5);
        expect((await errorOf(describe())).code).toBe(5);
        expect((await describe(ids.older)).workflowExecutionInfo?.status).toBe(temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
      });
    });
  });
});

describe('batch operations', () => {
  test('terminate by visibility query: every match is terminated with the reason, and the job is described', async () => {
    const prefix = id('batch-term');
    const handles = await Promise.all([1, 2, 3].map((i) => client().workflow.start('waitForever', { taskQueue, workflowId: `${prefix}-${i}` })));
    const done = await client().workflow.start('greeting', { taskQueue, workflowId: `${prefix}-done`, args: ['x'] });
    await done.result();
    await service().startBatchOperation({
      namespace: 'default', jobId: `${prefix}-job`, reason: 'bad image build', visibilityQuery: `WorkflowId STARTS_WITH "${prefix}-" AND ExecutionStatus = "Running"`,
      terminationOperation: { identity: 'release-manager' },
    });
    const d = await finished(`${prefix}-job`);
    expect(d).toMatchObject({ jobId: `${prefix}-job`, reason: 'bad image build', identity: 'release-manager', operationType: BatchOperationType.BATCH_OPERATION_TYPE_TERMINATE, state: BatchOperationState.BATCH_OPERATION_STATE_COMPLETED });
    expect([Number(d.totalOperationCount), Number(d.completeOperationCount), Number(d.failureOperationCount)]).toEqual([3, 3, 0]);
    expect(d.closeTime).toBeTruthy();
    for (const h of handles) {
      const history = await h.fetchHistory();
      const terminated = history.events!.find((e) => e.workflowExecutionTerminatedEventAttributes)!.workflowExecutionTerminatedEventAttributes!;
      expect(terminated).toMatchObject({ reason: 'bad image build', identity: 'release-manager' });
    }
    expect((await done.describe()).status.name).toBe('COMPLETED');
    const listed = await service().listBatchOperations({ namespace: 'default' });
    expect(listed.operationInfo?.map((o) => o.jobId)).toContain(`${prefix}-job`);
  });

  test('signal named executions; one that is already closed counts as a failure', async () => {
    const prefix = id('batch-signal');
    const open = await client().workflow.start('counter', { taskQueue, workflowId: `${prefix}-open`, args: [0] });
    const closed = await client().workflow.start('greeting', { taskQueue, workflowId: `${prefix}-closed`, args: ['y'] });
    await closed.result();
    await service().startBatchOperation({
      namespace: 'default', jobId: `${prefix}-job`, reason: 'bump',
      targetExecutions: [{ businessId: open.workflowId }, { businessId: closed.workflowId }],
      signalOperation: { signal: 'increment', input: { payloads: [defaultPayloadConverter.toPayload(5)] } },
    });
    const d = await finished(`${prefix}-job`);
    expect([Number(d.totalOperationCount), Number(d.completeOperationCount), Number(d.failureOperationCount)]).toEqual([2, 1, 1]);
    expect(d.operationType).toBe(BatchOperationType.BATCH_OPERATION_TYPE_SIGNAL);
    expect(await open.query('count')).toBe(5);
    await open.signal('done');
    expect(await open.result()).toBe(5);
  });

  test('delete and cancel by query', async () => {
    const prefix = id('batch-del');
    const doomed = await client().workflow.start('waitForever', { taskQueue, workflowId: `${prefix}-a` });
    await service().startBatchOperation({ namespace: 'default', jobId: `${prefix}-job`, reason: 'clean up', visibilityQuery: `WorkflowId = "${doomed.workflowId}"`, deletionOperation: {} });
    expect(Number((await finished(`${prefix}-job`)).completeOperationCount)).toBe(1);
    await expect(doomed.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    const cancelled = await client().workflow.start('waitForever', { taskQueue, workflowId: `${prefix}-c` });
    await service().startBatchOperation({ namespace: 'default', jobId: `${prefix}-cancel`, reason: 'stop it', visibilityQuery: `WorkflowId = "${cancelled.workflowId}"`, cancellationOperation: { identity: 'ops' } });
    await finished(`${prefix}-cancel`);
    await expect(cancelled.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect((await cancelled.describe()).status.name).toBe('CANCELLED');
  });

  test('reset to the first workflow task starts a new run of each target', async () => {
    const prefix = id('batch-reset');
    const handle = await client().workflow.start('counter', { taskQueue, workflowId: `${prefix}-a`, args: [0] });
    await handle.signal('increment', 2);
    expect(await handle.query('count')).toBe(2);
    await service().startBatchOperation({
      namespace: 'default', jobId: `${prefix}-job`, reason: 'replay from the start', visibilityQuery: `WorkflowId = "${handle.workflowId}"`,
      resetOperation: { options: { firstWorkflowTask: {} }, resetReapplyType: temporal.api.enums.v1.ResetReapplyType.RESET_REAPPLY_TYPE_NONE },
    });
    expect(Number((await finished(`${prefix}-job`)).completeOperationCount)).toBe(1);
    const current = client().workflow.getHandle(handle.workflowId);
    const described = await current.describe();
    expect(described.runId).not.toBe(handle.firstExecutionRunId);
    expect(await current.query('count')).toBe(0); // the signal after the reset point was not reapplied
    await current.signal('done');
  });

  test('one job at a time per namespace; a stopped job is FAILED; bad requests name what is missing', async () => {
    const prefix = id('batch-limit');
    const handles = await Promise.all([1, 2, 3].map((i) => client().workflow.start('waitForever', { taskQueue, workflowId: `${prefix}-${i}` })));
    await service().startBatchOperation({
      namespace: 'default', jobId: `${prefix}-slow`, reason: 'slowly', maxOperationsPerSecond: 1,
      visibilityQuery: `WorkflowId STARTS_WITH "${prefix}-"`, signalOperation: { signal: 'noop' },
    });
    // a connection without the client's retries (they would wait out RESOURCE_EXHAUSTED until the first job ends)
    const noRetry = await Connection.connect({ address: conformance.t.server!.address, interceptors: [] });
    const second = await errorOf(noRetry.workflowService.startBatchOperation({
      namespace: 'default', jobId: `${prefix}-second`, reason: 'r', visibilityQuery: `WorkflowId STARTS_WITH "${prefix}-"`, terminationOperation: {},
    })).finally(() => noRetry.close());
    expect(second.code).toBe(8);
    expect(second.message).toContain('Max concurrent batch operations is reached');
    await service().stopBatchOperation({ namespace: 'default', jobId: `${prefix}-slow`, reason: 'enough' });
    const stopped = await service().describeBatchOperation({ namespace: 'default', jobId: `${prefix}-slow` });
    expect(stopped.state).toBe(BatchOperationState.BATCH_OPERATION_STATE_FAILED);
    expect(Number(stopped.completeOperationCount)).toBeLessThan(3);
    for (const h of handles) await h.terminate();

    const base = { namespace: 'default', jobId: `${prefix}-bad`, reason: 'r', visibilityQuery: 'WorkflowType = "x"', terminationOperation: {} };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, jobId: '' }, 'JobId is not set on request.'],
      [{ ...base, reason: '' }, 'Reason is not set on request.'],
      [{ ...base, visibilityQuery: '' }, 'Workflow executions and visibility filter are not set on request.'],
      [{ ...base, targetExecutions: [{ businessId: 'a' }] }, 'Only one of them is allowed.'],
      [{ ...base, terminationOperation: undefined }, 'Batch operation is not set on request.'],
      [{ ...base, terminationOperation: undefined, unpauseActivitiesOperation: {} }, 'unpauseActivitiesOperation is not supported'],
    ];
    for (const [req, message] of cases) {
      const err = await errorOf(service().startBatchOperation(req));
      expect([err.code, err.message]).toEqual([3, expect.stringContaining(message)]);
    }
    const missing = await errorOf(service().describeBatchOperation({ namespace: 'default', jobId: 'no-such-job' }));
    expect(missing.code).toBe(5);
  });
});
