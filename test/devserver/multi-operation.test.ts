// Conformance: update-with-start failures carry MultiOperationExecutionFailure details as on the
// real server — the SDK user gets the failing operation's error, and the raw status says which
// operation failed (its own code) and that the other was aborted.
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { temporal, google } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { useConformanceWorker } from './conformance-env.js';

const taskQueue = 'conformance-multi-operation';
const conformance = useConformanceWorker(taskQueue);
const { id } = conformance;

/** The MultiOperationExecutionFailure statuses of a gRPC error, with their detail types. */
function statusesOf(err: unknown): Array<{ code: number; message: string; detailTypes: string[] }> {
  const bin = (err as { metadata: { get(k: string): unknown[] } }).metadata.get('grpc-status-details-bin')[0] as Buffer;
  const status = google.rpc.Status.decode(bin);
  const any = status.details[0]!;
  expect(any.type_url).toBe('type.googleapis.com/temporal.api.errordetails.v1.MultiOperationExecutionFailure');
  return temporal.api.errordetails.v1.MultiOperationExecutionFailure.decode(any.value!).statuses.map((s) => ({
    code: s.code ?? 0, message: s.message ?? '', detailTypes: (s.details ?? []).map((d) => String(d.type_url).replace('type.googleapis.com/', '')),
  }));
}

test('a start conflict: the SDK raises WorkflowExecutionAlreadyStartedError, the status names the start as failed and the update as aborted', async () => {
  const { client } = conformance.t.env;
  const workflowId = id('uws-conflict');
  const running = await client.workflow.start('counter', { taskQueue, workflowId, args: [0] });
  const startOp = new WithStartWorkflowOperation('counter', { taskQueue, workflowId, args: [0], workflowIdConflictPolicy: 'FAIL' });
  const err = await client.workflow.executeUpdateWithStart('add', { args: [1], startWorkflowOperation: startOp }).catch((e: unknown) => e);
  expect((err as Error).name).toBe(WorkflowExecutionAlreadyStartedError.name);
  await expect(startOp.workflowHandle()).rejects.toMatchObject({ name: 'WorkflowExecutionAlreadyStartedError' });

  const raw = await client.workflowService.executeMultiOperation({
    namespace: 'default',
    operations: [
      { startWorkflow: { namespace: 'default', workflowId, workflowType: { name: 'counter' }, taskQueue: { name: taskQueue }, requestId: randomUUID(), workflowIdConflictPolicy: temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL } },
      { updateWorkflow: { namespace: 'default', workflowExecution: { workflowId }, request: { meta: { updateId: 'u1' }, input: { name: 'add' } }, waitPolicy: { lifecycleStage: 2 } } },
    ],
  }).catch((e: unknown) => e);
  expect((raw as { code: number }).code).toBe(6); // ALREADY_EXISTS, the failing operation's code
  expect((raw as { details: string }).details).toBe('Update-with-Start could not be executed.');
  const [start, update] = statusesOf(raw);
  expect(start).toMatchObject({ code: 6, detailTypes: ['temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure'] });
  expect(update).toEqual({ code: 10, message: 'Operation was aborted.', detailTypes: ['temporal.api.failure.v1.MultiOperationExecutionAborted'] });
  await running.signal('done');
});

test('a bad update: the update is the failed operation, the start is aborted and starts nothing', async () => {
  const { client } = conformance.t.env;
  const workflowId = id('uws-bad-update');
  const raw = await client.workflowService.executeMultiOperation({
    namespace: 'default',
    operations: [
      { startWorkflow: { namespace: 'default', workflowId, workflowType: { name: 'counter' }, taskQueue: { name: taskQueue }, requestId: randomUUID() } },
      { updateWorkflow: { namespace: 'default', workflowExecution: { workflowId }, request: { meta: { updateId: 'u1' }, input: {} }, waitPolicy: { lifecycleStage: 2 } } },
    ],
  }).catch((e: unknown) => e);
  expect((raw as { code: number }).code).toBe(3); // INVALID_ARGUMENT
  const [start, update] = statusesOf(raw);
  expect(start).toMatchObject({ code: 10, detailTypes: ['temporal.api.failure.v1.MultiOperationExecutionAborted'] });
  expect(update).toMatchObject({ code: 3, message: 'Update name is not set on request.' });
  await expect(client.workflow.getHandle(workflowId).describe()).rejects.toMatchObject({ name: 'WorkflowNotFoundError' });
});
