// Conformance: UpdateActivityOptions. An operator moves an activity stuck on a task queue nobody
// polls to the worker's queue and the workflow completes; describe() shows the options; the
// original options can be put back; bad requests name what is missing.
import { google } from '@temporalio/proto';
import { useConformanceWorker } from './conformance-env.js';

const taskQueue = 'conformance-activity-options';
const conformance = useConformanceWorker(taskQueue);
const { id } = conformance;
const secs = (seconds: number) => google.protobuf.Duration.fromObject({ seconds });
const svc = () => conformance.t.env.connection.workflowService;
const pendingOf = async (workflowId: string) =>
  (await svc().describeWorkflowExecution({ namespace: 'default', execution: { workflowId } })).pendingActivities ?? [];
/** Waits until the workflow's first task has scheduled its activity. */
async function scheduled(workflowId: string): Promise<void> {
  for (let i = 0; i < 100 && (await pendingOf(workflowId)).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
}

test('moving a misrouted activity to the worker\'s task queue lets the workflow complete', async () => {
  const handle = await conformance.t.env.client.workflow.start('misrouted', { taskQueue, workflowId: id('move'), args: ['moved'] });
  // wait for the activity to be scheduled (the workflow task has to run first)
  await scheduled(handle.workflowId);
  const [before] = await pendingOf(handle.workflowId);
  expect(before?.activityOptions?.taskQueue?.name).toBe('nobody-polls-this');
  const answer = await svc().updateActivityOptions({
    namespace: 'default',
    execution: { workflowId: handle.workflowId },
    id: 'misrouted',
    activityOptions: { taskQueue: { name: taskQueue }, startToCloseTimeout: secs(30) },
    updateMask: { paths: ['task_queue.name', 'start_to_close_timeout'] },
    identity: 'operator',
  });
  expect(answer.activityOptions?.taskQueue?.name).toBe(taskQueue);
  expect(Number(answer.activityOptions?.startToCloseTimeout?.seconds)).toBe(30);
  expect(await handle.result()).toBe('hello, moved');
});

test('restore_original puts back the options the activity was scheduled with; fields not in the mask stay', async () => {
  const handle = await conformance.t.env.client.workflow.start('misrouted', { taskQueue, workflowId: id('restore'), args: ['x'] });
  await scheduled(handle.workflowId);
  const execution = { workflowId: handle.workflowId };
  await svc().updateActivityOptions({
    namespace: 'default', execution, id: 'misrouted',
    activityOptions: { heartbeatTimeout: secs(5), retryPolicy: { maximumAttempts: 7 } },
    updateMask: { paths: ['heartbeatTimeout', 'retryPolicy.maximumAttempts'] },
  });
  let [a] = await pendingOf(handle.workflowId);
  expect(Number(a!.activityOptions?.heartbeatTimeout?.seconds)).toBe(5);
  expect(a!.activityOptions?.retryPolicy?.maximumAttempts).toBe(7);
  expect(a!.maximumAttempts).toBe(7);
  expect(a!.activityOptions?.taskQueue?.name).toBe('nobody-polls-this');
  expect(Number(a!.activityOptions?.startToCloseTimeout?.seconds)).toBe(10);
  await svc().updateActivityOptions({ namespace: 'default', execution, type: 'greet', restoreOriginal: true });
  [a] = await pendingOf(handle.workflowId);
  expect(a!.activityOptions?.heartbeatTimeout).toBeFalsy();
  expect(a!.activityOptions?.retryPolicy?.maximumAttempts).toBe(0);
  await handle.terminate();
});

test('bad requests are refused with the field named, and change nothing', async () => {
  const handle = await conformance.t.env.client.workflow.start('misrouted', { taskQueue, workflowId: id('bad'), args: ['x'] });
  await scheduled(handle.workflowId);
  const execution = { workflowId: handle.workflowId };
  await expect(svc().updateActivityOptions({ namespace: 'default', execution, id: 'misrouted', activityOptions: { heartbeatTimeout: secs(5) } }))
    .rejects.toMatchObject({ code: 3, details: 'UpdateMask is not provided' });
  await expect(svc().updateActivityOptions({ namespace: 'default', execution, id: 'misrouted', updateMask: { paths: ['heartbeat_timeout'] } }))
    .rejects.toMatchObject({ code: 3, details: 'ActivityOptions are not provided' });
  await expect(svc().updateActivityOptions({ namespace: 'default', execution, id: 'misrouted', activityOptions: {}, updateMask: { paths: ['task_queue.name'] } }))
    .rejects.toMatchObject({ code: 3, details: 'TaskQueue is not provided' });
  await expect(svc().updateActivityOptions({ namespace: 'default', execution, id: 'misrouted', activityOptions: { startToCloseTimeout: {} }, updateMask: { paths: ['start_to_close_timeout'] } }))
    .rejects.toMatchObject({ code: 3, details: expect.stringContaining('A valid StartToClose or ScheduleToCloseTimeout is not set') });
  await expect(svc().updateActivityOptions({ namespace: 'default', execution, id: 'nope', activityOptions: {}, updateMask: { paths: [] } }))
    .rejects.toMatchObject({ code: 5 });
  const [a] = await pendingOf(handle.workflowId);
  expect(a!.activityOptions?.taskQueue?.name).toBe('nobody-polls-this');
  expect(Number(a!.activityOptions?.startToCloseTimeout?.seconds)).toBe(10);
  await handle.terminate();
});

test('ResetActivity with restoreOriginalOptions puts back the scheduled options as well as attempt 1', async () => {
  const handle = await conformance.t.env.client.workflow.start('misrouted', { taskQueue, workflowId: id('reset-restore'), args: ['x'] });
  await scheduled(handle.workflowId);
  const execution = { workflowId: handle.workflowId };
  await svc().updateActivityOptions({
    namespace: 'default', execution, id: 'misrouted',
    activityOptions: { taskQueue: { name: 'also-nobody' }, heartbeatTimeout: secs(3) },
    updateMask: { paths: ['task_queue.name', 'heartbeat_timeout'] },
  });
  expect((await pendingOf(handle.workflowId))[0]!.activityOptions?.taskQueue?.name).toBe('also-nobody');
  await svc().resetActivity({ namespace: 'default', execution, id: 'misrouted', restoreOriginalOptions: true });
  const [a] = await pendingOf(handle.workflowId);
  expect(a!.activityOptions?.taskQueue?.name).toBe('nobody-polls-this');
  expect(a!.activityOptions?.heartbeatTimeout).toBeFalsy();
  expect(a!.attempt).toBe(1);
  await handle.terminate();
});

test('a whole new retry policy gets the defaults filled in, as a schedule command\'s would', async () => {
  const handle = await conformance.t.env.client.workflow.start('misrouted', { taskQueue, workflowId: id('retry-policy'), args: ['x'] });
  await scheduled(handle.workflowId);
  const answer = await svc().updateActivityOptions({
    namespace: 'default', execution: { workflowId: handle.workflowId }, id: 'misrouted',
    activityOptions: { retryPolicy: { maximumAttempts: 2 } },
    updateMask: { paths: ['retry_policy'] },
  });
  expect(answer.activityOptions?.retryPolicy?.maximumAttempts).toBe(2);
  expect(Number(answer.activityOptions?.retryPolicy?.initialInterval?.seconds)).toBe(1);
  expect(answer.activityOptions?.retryPolicy?.backoffCoefficient).toBe(2);
  await handle.terminate();
});
