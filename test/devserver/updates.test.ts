// Conformance: updates that outlive their workflow run, and the limit on updates in flight.
import { Client, Connection, WorkflowUpdateStage } from '@temporalio/client';
import { useConformanceWorker } from './conformance-env.js';
import { errorOf } from './error-of.js';

const taskQueue = 'conformance-updates';
const conformance = useConformanceWorker(taskQueue);
const { id } = conformance;

type Failure = Error & { cause?: Error & { type?: string; nonRetryable?: boolean } };

test.each(['complete', 'continue', 'cancel'] as const)(
  'an accepted update still running when the workflow ends (%s) fails with AcceptedUpdateCompletedWorkflow',
  async (mode) => {
    const handle = await conformance.t.env.client.workflow.start('updateOutlived', { taskQueue, workflowId: id('outlived'), args: [mode] });
    const update = await handle.startUpdate('slow', { waitForStage: WorkflowUpdateStage.ACCEPTED });
    if (mode === 'cancel') await handle.cancel();
    else await handle.signal('finish');
    const err = await errorOf<Failure>(update.result());
    expect(err.name).toBe('WorkflowUpdateFailedError');
    expect(err.cause?.name).toBe('ApplicationFailure');
    expect(err.cause?.type).toBe('AcceptedUpdateCompletedWorkflow');
    expect(err.cause?.nonRetryable).toBe(true);
    // asked again later, the update gives the same outcome
    const again = await errorOf<Failure>(handle.getUpdateHandle(update.updateId, { workflowRunId: update.workflowRunId }).result());
    expect(again.cause?.type).toBe('AcceptedUpdateCompletedWorkflow');
    if (mode === 'continue') {
      await handle.signal('finish');
      expect(await handle.result()).toBe('second run');
    } else if (mode === 'complete') {
      expect(await handle.result()).toBe('done');
    }
  },
);

test('past 10 updates in flight on one workflow the server answers RESOURCE_EXHAUSTED', async () => {
  const workflowId = id('outlived');
  const handle = await conformance.t.env.client.workflow.start('updateOutlived', { taskQueue, workflowId, args: ['complete'] });
  for (let i = 0; i < 10; i++) await handle.startUpdate('slow', { waitForStage: WorkflowUpdateStage.ACCEPTED });
  // a client without the SDK's retries shows the server's answer (the SDK retries it with backoff)
  const connection = await Connection.connect({ address: conformance.t.server!.address, interceptors: [] });
  try {
    const noRetry = new Client({ connection });
    const err = await errorOf<Failure>(noRetry.workflow.getHandle(workflowId).startUpdate('slow', { waitForStage: WorkflowUpdateStage.ACCEPTED }));
    expect(`${err.message} ${err.cause?.message ?? ''}`).toContain('limit on number of concurrent in-flight updates has been reached');
    expect((err as Error & { code?: number }).code ?? (err.cause as Error & { code?: number })?.code).toBe(8);
  } finally {
    await connection.close();
  }
  await handle.signal('finish');
  expect(await handle.result()).toBe('done');
});

test('a rejected update leaves no trace in history (its speculative workflow task is dropped)', async () => {
  const handle = await conformance.t.env.client.workflow.start('counter', { taskQueue, workflowId: id('counter'), args: [1] });
  expect(await handle.executeUpdate('add', { args: [2] })).toBe(3);
  const before = (await handle.fetchHistory()).events!.length;
  const err = await errorOf<Failure>(handle.executeUpdate('add', { args: [-1] }));
  expect(err.name).toBe('WorkflowUpdateFailedError');
  expect(err.cause?.message).toBe('cannot add a negative number (-1)');
  expect((await handle.fetchHistory()).events!.length).toBe(before);
  // the workflow goes on normally after the dropped task
  expect(await handle.executeUpdate('add', { args: [4] })).toBe(7);
  await handle.signal('done');
  expect(await handle.result()).toBe(7);
});

test('workflow task retries after the first failure stay transient: one failure in history', async () => {
  const handle = await conformance.t.env.client.workflow.start('brokenTask', { taskQueue, workflowId: id('broken'), workflowTaskTimeout: '1 second' });
  let attempt = 0;
  for (let i = 0; i < 150 && attempt < 3; i++) {
    await new Promise((r) => setTimeout(r, 100));
    attempt = (await handle.describe()).raw.pendingWorkflowTask?.attempt ?? 0;
  }
  expect(attempt).toBeGreaterThanOrEqual(3);
  const { temporal } = await import('@temporalio/proto');
  const types = (await handle.fetchHistory()).events!.map((e) => temporal.api.enums.v1.EventType[e.eventType!]);
  expect(types).toEqual([
    'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
    'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
    'EVENT_TYPE_WORKFLOW_TASK_STARTED',
    'EVENT_TYPE_WORKFLOW_TASK_FAILED',
  ]);
  await handle.terminate('done');
});
