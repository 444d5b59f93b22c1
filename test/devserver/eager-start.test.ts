// Conformance: eager workflow start. A client sharing the worker's NativeConnection asks for the
// first workflow task in the start response (requestEagerStart); the server starts that task at
// once for the starter, and the worker runs it without polling.
import { Client } from '@temporalio/client';
import { google, temporal } from '@temporalio/proto';
import { useConformanceWorker } from './conformance-env.js';

const EventType = temporal.api.enums.v1.EventType;
const taskQueue = 'conformance-eager-start';
const conformance = useConformanceWorker(taskQueue);
const { id } = conformance;

test('the namespace offers eager workflow start', async () => {
  const ns = await conformance.t.env.connection.workflowService.describeNamespace({ namespace: 'default' });
  expect(ns.namespaceInfo?.capabilities?.eagerWorkflowStart).toBe(true);
});

test('a start asking for eager execution gets its first task in the response and the worker runs it', async () => {
  const client = new Client({ connection: conformance.t.env.nativeConnection, identity: 'eager-starter' });
  // a long task timeout: if the eager task were returned but never run, the test would hang
  const handle = await client.workflow.start('greeting', { taskQueue, workflowId: id('eager'), args: ['eager'], requestEagerStart: true, workflowTaskTimeout: '5m' });
  expect(handle.eagerlyStarted).toBe(true);
  expect(await handle.result()).toBe('hello, eager');
  const events = (await handle.fetchHistory()).events!;
  // the first task was started by the starter in the start transaction: no poll in between
  expect(events.slice(0, 3).map((e) => e.eventType)).toEqual([
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  ]);
  expect(events[2]!.workflowTaskStartedEventAttributes?.identity).toBe('eager-starter');
});

test('at the protocol: the eager task carries the whole history and a token; a start of a running id gets none', async () => {
  const svc = conformance.t.env.connection.workflowService;
  const workflowId = id('raw');
  const req = { namespace: 'default', workflowId, workflowType: { name: 'waitForever' }, taskQueue: { name: 'conformance-eager-start-raw' }, requestEagerExecution: true, identity: 'raw-starter' };
  const first = await svc.startWorkflowExecution({ ...req, requestId: `${workflowId}-1` });
  const task = first.eagerWorkflowTask!;
  expect(task.taskToken?.length).toBeGreaterThan(0);
  expect(task.workflowExecution?.runId).toBe(first.runId);
  expect(task.workflowType?.name).toBe('waitForever');
  expect(task.history?.events?.map((e) => e.eventType)).toEqual([
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  ]);
  // USE_EXISTING: the running workflow is returned, without a task (it is not started again)
  const again = await svc.startWorkflowExecution({ ...req, requestId: `${workflowId}-2`, workflowIdConflictPolicy: temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING });
  expect(again.runId).toBe(first.runId);
  expect(again.started).toBe(false);
  expect(again.eagerWorkflowTask).toBeFalsy();
  // a delayed start has no task to hand out yet
  const delayed = await svc.startWorkflowExecution({ ...req, workflowId: `${workflowId}-delayed`, requestId: `${workflowId}-3`, workflowStartDelay: google.protobuf.Duration.fromObject({ seconds: 60 }) });
  expect(delayed.eagerWorkflowTask).toBeFalsy();
  await svc.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId } });
  await svc.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: `${workflowId}-delayed` } });
});
