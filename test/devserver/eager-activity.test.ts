// Conformance: eager activity dispatch. Activities scheduled with requestEagerExecution on the
// workflow's own task queue are started at once (up to 3 per workflow task) and returned to the
// completing worker in RespondWorkflowTaskCompletedResponse.activityTasks; the rest are queued.
import { temporal } from '@temporalio/proto';
import { useConformanceWorker } from './conformance-env.js';

const EventType = temporal.api.enums.v1.EventType;
const taskQueue = 'conformance-eager';
const conformance = useConformanceWorker(taskQueue);
const { id } = conformance;

test('a workflow running 5 activities at once completes with every result; all 5 are started in history', async () => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  const handle = await conformance.t.env.client.workflow.start('greetAllAtOnce', { taskQueue, workflowId: id('five'), args: [names] });
  expect(await handle.result()).toEqual(names.map((n) => `hello, ${n}`));
  const events = (await handle.fetchHistory()).events!;
  const started = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
  const completed = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
  expect(started).toHaveLength(5);
  expect(completed).toHaveLength(5);
  const scheduledIds = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).map((e) => Number(e.eventId));
  expect(started.map((e) => Number(e.activityTaskStartedEventAttributes!.scheduledEventId)).sort((x, y) => x - y)).toEqual(scheduledIds);
});

test('at the protocol: 3 eager activities come back with the workflow task completion, the others are polled', async () => {
  const svc = conformance.t.env.connection.workflowService;
  const rawQueue = 'conformance-eager-raw';
  const otherQueue = 'conformance-eager-raw-other';
  const workflowId = id('raw');
  const { runId } = await svc.startWorkflowExecution({
    namespace: 'default',
    workflowId,
    workflowType: { name: 'handDriven' },
    taskQueue: { name: rawQueue },
    requestId: workflowId,
  });
  const wft = await svc.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: rawQueue }, identity: 'eager-worker' });
  expect(wft.taskToken?.length).toBeGreaterThan(0);
  const schedule = (activityId: string, queue: string) => (temporal.api.command.v1.Command.fromObject({
    commandType: 'COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK',
    scheduleActivityTaskCommandAttributes: {
      activityId,
      activityType: { name: 'greet' },
      taskQueue: { name: queue },
      startToCloseTimeout: { seconds: 60 },
      requestEagerExecution: true,
    },
  }));
  const done = await svc.respondWorkflowTaskCompleted({
    namespace: 'default',
    taskToken: wft.taskToken,
    identity: 'eager-worker',
    commands: [schedule('a1', rawQueue), schedule('a2', otherQueue), schedule('a3', rawQueue), schedule('a4', rawQueue), schedule('a5', rawQueue)],
  });
  // a2 is on another task queue: never eager; a5 is over the limit of 3
  expect(done.activityTasks?.map((a) => a.activityId)).toEqual(['a1', 'a3', 'a4']);
  for (const task of done.activityTasks!) {
    expect(task.workflowExecution).toEqual(expect.objectContaining({ workflowId, runId }));
    expect(task.activityType?.name).toBe('greet');
    expect(task.attempt).toBe(1);
  }
  const polled = await svc.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: rawQueue }, identity: 'poller' });
  expect(polled.activityId).toBe('a5');
  const other = await svc.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: otherQueue }, identity: 'poller' });
  expect(other.activityId).toBe('a2');
  for (const task of [...done.activityTasks!, polled, other]) {
    await svc.respondActivityTaskCompleted({ namespace: 'default', taskToken: task.taskToken, identity: 'worker-done' });
  }
  const history = await svc.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId, runId } });
  const events = history.history!.events!;
  const idOf = new Map(
    events
      .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .map((e) => [Number(e.eventId), e.activityTaskScheduledEventAttributes!.activityId!]),
  );
  const startedBy = Object.fromEntries(
    events
      .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
      .map((e) => [idOf.get(Number(e.activityTaskStartedEventAttributes!.scheduledEventId)), e.activityTaskStartedEventAttributes!.identity]),
  );
  // the eager ones were started by the worker that completed the workflow task, the rest by the poller
  expect(startedBy).toEqual({ a1: 'eager-worker', a3: 'eager-worker', a4: 'eager-worker', a5: 'poller', a2: 'poller' });
  await svc.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId, runId }, reason: 'test done' });
});
