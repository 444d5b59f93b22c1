// Conformance: ResetWorkflowExecution through the real client and worker. The new run replays
// the base run's events up to the reset point, the reset task fails with RESET_WORKFLOW, the
// signals received after that point are reapplied (unless excluded), what was pending there
// (activities, timers) runs again, and a still-running base run is terminated.
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { useConformanceWorker } from './conformance-env.js';
import { errorOf } from './error-of.js';

const EventType = temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;
const taskQueue = 'conformance-reset';
const conformance = useConformanceWorker(taskQueue);
const { id } = conformance;
const client = () => conformance.t.env.client;

async function eventsOf(workflowId: string, runId?: string): Promise<Event[]> {
  return (await client().workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
}

const ofType = (events: Event[], type: keyof typeof EventType) => events.filter((e) => e.eventType === EventType[type]);
const firstOf = (events: Event[], type: keyof typeof EventType) => ofType(events, type)[0]!;

type ResetRequest = temporal.api.workflowservice.v1.IResetWorkflowExecutionRequest;

async function reset(workflowId: string, eventId: number, extra: Omit<ResetRequest, 'workflowTaskFinishEventId'> = {}): Promise<temporal.api.workflowservice.v1.IResetWorkflowExecutionResponse> {
  return await client().workflowService.resetWorkflowExecution({
    namespace: 'default',
    workflowExecution: { workflowId },
    reason: 'replay after the fix',
    workflowTaskFinishEventId: eventId,
    requestId: randomUUID(),
    identity: 'reset-test',
    ...extra,
  } as unknown as ResetRequest);
}

/** Waits until the run's history has a WorkflowTaskCompleted after its last signal; returns that event's id. */
async function completedAfterSignal(workflowId: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const events = await eventsOf(workflowId);
    const signaled = ofType(events, 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED').pop();
    const done = signaled && events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && Number(e.eventId) > Number(signaled.eventId));
    if (done) return Number(done.eventId);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no workflow task completed after the signal of ${workflowId}`);
}

test('reset of a completed run to its first workflow task: the signal is reapplied and the new run completes the same way', async () => {
  const workflowId = id('greeter');
  const handle = await client().workflow.start('resetGreeter', { taskQueue, workflowId });
  await handle.signal('resetName', 'ada');
  expect(await handle.result()).toBe('hello, ada');
  const base = await eventsOf(workflowId, handle.firstExecutionRunId);
  const firstCompleted = Number(firstOf(base, 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED').eventId);

  const { runId } = await reset(workflowId, firstCompleted);
  expect(runId).toBeTruthy();
  expect(runId).not.toBe(handle.firstExecutionRunId);
  // the handle without a run id follows the workflow id to the new run
  expect(await client().workflow.getHandle(workflowId).result()).toBe('hello, ada');

  const events = await eventsOf(workflowId, runId!);
  // the copied prefix: the base run's events before the reset point, unchanged
  expect(events.slice(0, firstCompleted - 1).map((e) => e.eventType)).toEqual(base.slice(0, firstCompleted - 1).map((e) => e.eventType));
  const failed = events[firstCompleted - 1]!;
  expect(failed.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
  const attrs = failed.workflowTaskFailedEventAttributes!;
  expect(attrs.cause).toBe(temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW);
  expect(attrs.failure?.message).toBe('replay after the fix');
  expect(attrs.failure?.resetWorkflowFailureInfo).toBeTruthy();
  expect(attrs.baseRunId).toBe(handle.firstExecutionRunId);
  expect(attrs.newRunId).toBe(runId);
  // the reapplied signal comes right after, then the new workflow task
  expect(events[firstCompleted]!.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  expect(events[firstCompleted]!.workflowExecutionSignaledEventAttributes?.signalName).toBe('resetName');
  // with the request id of the signal it reapplies (a retry of that signal is recognised)
  const requestId = firstOf(base, 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED').workflowExecutionSignaledEventAttributes?.requestId;
  expect(requestId).toBeTruthy();
  expect(events[firstCompleted]!.workflowExecutionSignaledEventAttributes?.requestId).toBe(requestId);
  expect(events[firstCompleted + 1]!.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  expect(ofType(events, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED')).toHaveLength(1);

  // the new run belongs to the same execution chain, and describe links the runs
  const described = await client().workflow.getHandle(workflowId, runId!).describe();
  expect(described.raw.workflowExecutionInfo?.firstRunId).toBe(handle.firstExecutionRunId);
  expect(described.raw.workflowExtendedInfo?.lastResetTime).toBeTruthy();
  const old = await client().workflow.getHandle(workflowId, handle.firstExecutionRunId).describe();
  expect(old.status.name).toBe('COMPLETED');
  expect(old.raw.workflowExtendedInfo?.resetRunId).toBe(runId);
});

test('with reapply type NONE (or SIGNAL excluded) the new run does not see the signal and waits for a new one', async () => {
  for (const extra of [
    { resetReapplyType: temporal.api.enums.v1.ResetReapplyType.RESET_REAPPLY_TYPE_NONE },
    { resetReapplyExcludeTypes: [temporal.api.enums.v1.ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL] },
  ]) {
    const workflowId = id('greeter-none');
    const handle = await client().workflow.start('resetGreeter', { taskQueue, workflowId });
    await handle.signal('resetName', 'ada');
    expect(await handle.result()).toBe('hello, ada');
    const firstCompleted = Number(firstOf(await eventsOf(workflowId), 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED').eventId);
    const { runId } = await reset(workflowId, firstCompleted, extra);
    const events = await eventsOf(workflowId, runId!);
    expect(ofType(events, 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED')).toHaveLength(0);
    const current = client().workflow.getHandle(workflowId);
    expect((await current.describe()).status.name).toBe('RUNNING');
    await current.signal('resetName', 'grace');
    expect(await current.result()).toBe('hello, grace');
  }
});

test('reset of a running workflow terminates it; an activity scheduled before the reset point runs in the new run', async () => {
  const workflowId = id('pending-activity');
  const handle = await client().workflow.start('resetPendingActivity', { taskQueue, workflowId });
  await handle.signal('resetGo');
  const resetPoint = await completedAfterSignal(workflowId);
  const base = await eventsOf(workflowId);
  const scheduled = firstOf(base, 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED');
  expect(ofType(base, 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED')).toHaveLength(0);

  const { runId } = await reset(workflowId, resetPoint);
  // the activity cannot complete in the base run: its answer proves it ran again in the new one
  expect(await client().workflow.getHandle(workflowId).result()).toBe(`ran in run ${runId}`);
  const events = await eventsOf(workflowId, runId!);
  const completed = firstOf(events, 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED');
  expect(Number(completed.activityTaskCompletedEventAttributes?.scheduledEventId)).toBe(Number(scheduled.eventId));
  expect(ofType(events, 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED')).toHaveLength(1);

  const old = await eventsOf(workflowId, handle.firstExecutionRunId);
  const terminated = old[old.length - 1]!;
  expect(terminated.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  expect(terminated.workflowExecutionTerminatedEventAttributes?.reason).toBe('replay after the fix');
  expect(terminated.workflowExecutionTerminatedEventAttributes?.identity).toBe('history-resetter');
  const described = await client().workflow.getHandle(workflowId, handle.firstExecutionRunId).describe();
  expect(described.status.name).toBe('TERMINATED');
  expect(described.raw.workflowExtendedInfo?.resetRunId).toBe(runId);
});

test('a timer started before the reset point fires in the new run at its original time', async () => {
  const workflowId = id('timer');
  const handle = await client().workflow.start('resetTimer', { taskQueue, workflowId });
  await handle.signal('resetGo');
  const resetPoint = await completedAfterSignal(workflowId);
  await conformance.t.env.sleep('10 minutes');
  const { runId } = await reset(workflowId, resetPoint);
  expect(await client().workflow.getHandle(workflowId).result()).toBe('timer fired');
  const events = await eventsOf(workflowId, runId!);
  const started = firstOf(events, 'EVENT_TYPE_TIMER_STARTED');
  const fired = firstOf(events, 'EVENT_TYPE_TIMER_FIRED');
  expect(Number(fired.timerFiredEventAttributes?.startedEventId)).toBe(Number(started.eventId));
  const seconds = (e: Event) => Number(e.eventTime?.seconds ?? 0);
  // one hour after it was started, not one hour after the reset (ten minutes later)
  expect(seconds(fired) - seconds(started)).toBeGreaterThanOrEqual(3600);
  expect(seconds(fired) - seconds(started)).toBeLessThan(3600 + 600);
});

test('an update received after the reset point is reapplied and counted again by the new run', async () => {
  const workflowId = id('adder');
  const handle = await client().workflow.start('resetAdder', { taskQueue, workflowId });
  const firstCompleted = async () => Number(firstOf(await eventsOf(workflowId), 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED')?.eventId ?? 0);
  for (let i = 0; i < 200 && !(await firstCompleted()); i++) await new Promise((r) => setTimeout(r, 50));
  expect(await handle.executeUpdate('resetAdd', { args: [5] })).toBe(5);
  const { runId } = await reset(workflowId, await firstCompleted());
  const events = await eventsOf(workflowId, runId!);
  expect(ofType(events, 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED')).toHaveLength(1);
  const current = client().workflow.getHandle(workflowId);
  expect(await current.executeUpdate('resetAdd', { args: [2] })).toBe(7);
  await current.signal('resetGo');
  expect(await current.result()).toBe(7);
});

test('a post-reset signal reaches the new run before its first task; a versioning override is UNIMPLEMENTED', async () => {
  const workflowId = id('greeter-post');
  const handle = await client().workflow.start('resetGreeter', { taskQueue, workflowId });
  await handle.signal('resetName', 'ada');
  await handle.result();
  const firstCompleted = Number(firstOf(await eventsOf(workflowId), 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED').eventId);
  const input = await client().options.loadedDataConverter.payloadConverter.toPayload('linus');
  const unsupported = await errorOf(reset(workflowId, firstCompleted, { postResetOperations: [{ updateWorkflowOptions: { workflowExecutionOptions: {} } }] }));
  expect(unsupported.code).toBe(12);
  expect(unsupported.message).toContain('post_reset_operations[0].update_workflow_options');
  // nothing was reset: the base run is still the current one
  expect((await client().workflow.getHandle(workflowId).describe()).runId).toBe(handle.firstExecutionRunId);

  const { runId } = await reset(workflowId, firstCompleted, {
    resetReapplyType: temporal.api.enums.v1.ResetReapplyType.RESET_REAPPLY_TYPE_NONE,
    postResetOperations: [{ signalWorkflow: { signalName: 'resetName', input: { payloads: [input] } } }],
  });
  const signaled = ofType(await eventsOf(workflowId, runId!), 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED');
  expect(signaled.map((e) => e.workflowExecutionSignaledEventAttributes?.identity)).toEqual(['reset-test']);
  expect(await client().workflow.getHandle(workflowId).result()).toBe('hello, linus');
});

test('a retried reset (same requestId) answers with the same run and starts no second one', async () => {
  const workflowId = id('greeter-retry');
  const handle = await client().workflow.start('resetGreeter', { taskQueue, workflowId });
  await handle.signal('resetName', 'ada');
  await handle.result();
  const firstCompleted = Number(firstOf(await eventsOf(workflowId), 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED').eventId);
  const requestId = randomUUID();
  const first = await reset(workflowId, firstCompleted, { requestId });
  const again = await reset(workflowId, firstCompleted, { requestId });
  expect(again.runId).toBe(first.runId);
  await client().workflow.getHandle(workflowId).result();
  const runs = [];
  for await (const w of client().workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(w.runId);
  expect(runs).toHaveLength(2);
});

test('an event id that does not finish a workflow task is INVALID_ARGUMENT naming workflow_task_finish_event_id', async () => {
  const workflowId = id('greeter-bad');
  const handle = await client().workflow.start('resetGreeter', { taskQueue, workflowId });
  await handle.signal('resetName', 'ada');
  await handle.result();
  const events = await eventsOf(workflowId);
  const scheduled = Number(firstOf(events, 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED').eventId);
  const err = await errorOf(reset(workflowId, scheduled));
  expect(err.code).toBe(3);
  expect(err.message).toContain(`workflow_task_finish_event_id ${scheduled}`);
  expect(err.message).toContain('WorkflowTaskCompleted');
  const noRequestId = await errorOf(reset(workflowId, scheduled, { requestId: '' }));
  expect(noRequestId.code).toBe(3);
  expect(noRequestId.message).toContain('RequestId is not set on request.');
  const outOfRange = await errorOf(reset(workflowId, events.length + 5));
  expect(outOfRange.code).toBe(3);
  expect(outOfRange.message).toContain('workflow_task_finish_event_id');
  // the real server also accepts a WorkflowTaskStarted event (the reset point is then its Scheduled event)
  const started = Number(firstOf(events, 'EVENT_TYPE_WORKFLOW_TASK_STARTED').eventId);
  const { runId } = await reset(workflowId, started);
  const reset2 = await eventsOf(workflowId, runId!);
  expect(reset2[started - 1]!.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
  expect(reset2[started]!.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
  expect(await client().workflow.getHandle(workflowId).result()).toBe('hello, ada');
});

test('a WorkflowTaskFailed event is a reset point: a workflow stuck on a failing task is reset from it', async () => {
  const workflowId = id('broken');
  const handle = await client().workflow.start('brokenTask', { taskQueue, workflowId });
  let failedId = 0;
  for (let i = 0; i < 200 && !failedId; i++) {
    failedId = Number(firstOf(await eventsOf(workflowId), 'EVENT_TYPE_WORKFLOW_TASK_FAILED')?.eventId ?? 0);
    if (!failedId) await new Promise((r) => setTimeout(r, 50));
  }
  const { runId } = await reset(workflowId, failedId);
  const events = await eventsOf(workflowId, runId!);
  expect(events[failedId - 1]!.workflowTaskFailedEventAttributes?.cause).toBe(temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW);
  expect((await client().workflow.getHandle(workflowId, handle.firstExecutionRunId).describe()).status.name).toBe('TERMINATED');
  await client().workflow.getHandle(workflowId).terminate('the bug is still there');
});

test('reset of an earlier run of a continue-as-new chain reapplies the signals of the runs after it', async () => {
  const workflowId = id('continuing');
  const handle = await client().workflow.start('resetContinuing', { taskQueue, workflowId, args: [0] });
  await handle.signal('resetName', 'a');
  const firstRunId = handle.firstExecutionRunId;
  for (let i = 0; i < 200 && (await client().workflow.getHandle(workflowId).describe()).runId === firstRunId; i++) await new Promise((r) => setTimeout(r, 50));
  await client().workflow.getHandle(workflowId).signal('resetName', 'b');
  expect(await client().workflow.getHandle(workflowId).result()).toEqual(['b']);

  const firstCompleted = Number(firstOf(await eventsOf(workflowId, firstRunId), 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED').eventId);
  const { runId } = await reset(workflowId, firstCompleted, { workflowExecution: { workflowId, runId: firstRunId } });
  const events = await eventsOf(workflowId, runId!);
  expect(ofType(events, 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED').map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)).toEqual(['resetName', 'resetName']);
  // both signals arrive before the new run's first task: it has two names and does not continue
  expect(await client().workflow.getHandle(workflowId).result()).toEqual(['a', 'b']);
});

test('a reset point with a child still running is INVALID_ARGUMENT; an earlier point starts the child again', async () => {
  const workflowId = id('parent');
  const handle = await client().workflow.start('resetParent', { taskQueue, workflowId });
  const firstCompleted = async () => Number(firstOf(await eventsOf(workflowId), 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED')?.eventId ?? 0);
  for (let i = 0; i < 200 && !(await firstCompleted()); i++) await new Promise((r) => setTimeout(r, 50));
  await handle.signal('resetGo');
  let childStarted: Event | undefined;
  for (let i = 0; i < 200 && !childStarted; i++) {
    const events = await eventsOf(workflowId);
    const started = firstOf(events, 'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED');
    childStarted = started && events.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && Number(e.eventId) > Number(started.eventId)) ? started : undefined;
    if (!childStarted) await new Promise((r) => setTimeout(r, 50));
  }
  const lastCompleted = Number(ofType(await eventsOf(workflowId), 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED').pop()!.eventId);
  const err = await errorOf(reset(workflowId, lastCompleted));
  expect(err.code).toBe(3);
  expect(err.message).toContain('WorkflowResetter encountered pending child workflows.');
  expect((await handle.describe()).status.name).toBe('RUNNING');

  // before the child was started: the base run ends (its child by the parent close policy) and the new run starts it again
  const { runId } = await reset(workflowId, await firstCompleted());
  const child = client().workflow.getHandle(`${workflowId}-child`);
  for (let i = 0; i < 200 && (await child.describe()).raw.workflowExecutionInfo?.parentExecution?.runId !== runId; i++) await new Promise((r) => setTimeout(r, 50));
  await child.signal('resetGo');
  expect(await client().workflow.getHandle(workflowId).result()).toBe('child done');
});

test('a reset child is followed by its parent: the parent gets the new run\'s result, not a termination', async () => {
  const workflowId = id('child-parent');
  const parent = await client().workflow.start('resetChildOfParent', { taskQueue, workflowId });
  const childId = `${workflowId}-child`;
  let firstCompleted = 0;
  for (let i = 0; i < 200 && !firstCompleted; i++) {
    const events = await eventsOf(childId).catch(() => []);
    firstCompleted = Number(firstOf(events, 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED')?.eventId ?? 0);
    if (!firstCompleted) await new Promise((r) => setTimeout(r, 50));
  }
  const { runId } = await reset(childId, firstCompleted);
  const child = client().workflow.getHandle(childId);
  expect((await child.describe()).raw.workflowExecutionInfo?.parentExecution?.workflowId).toBe(workflowId);
  await child.signal('resetGo');
  expect(await parent.result()).toBe('child done');
  const closed = firstOf(await eventsOf(workflowId), 'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED');
  expect(closed.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.runId).toBe(runId);
  expect(ofType(await eventsOf(workflowId), 'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED')).toHaveLength(0);
});

test('an unknown workflow or run is NOT_FOUND', async () => {
  const err = await errorOf(reset('no-such-workflow', 4));
  expect(err.code).toBe(5);
  const workflowId = id('greeter-nf');
  const handle = await client().workflow.start('resetGreeter', { taskQueue, workflowId });
  await handle.terminate('not needed');
  const badRun = await errorOf(reset(workflowId, 4, { workflowExecution: { workflowId, runId: randomUUID() } }));
  expect(badRun.code).toBe(5);
});
