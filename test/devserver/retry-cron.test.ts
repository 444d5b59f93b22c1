// Conformance: workflow retry policies and cron schedules acted on, as the real server does.
import { temporal } from '@temporalio/proto';
import { useConformanceWorker } from './conformance-env.js';

const { EventType, RetryState } = temporal.api.enums.v1;
const taskQueue = 'conformance-retry-cron';
const conformance = useConformanceWorker(taskQueue);
const { id } = conformance;

async function failureOf(p: Promise<unknown>): Promise<Error & { retryState?: string; cause?: Error }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { retryState?: string; cause?: Error };
  }
  throw new Error('expected a failure');
}

async function runsOf(workflowId: string) {
  const runs = [];
  for await (const r of conformance.t.env.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs.push(r);
  return runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
}

test('a retryable failure starts the next attempt after the backoff; the result comes from the last', async () => {
  const workflowId = id('flaky');
  const started = await conformance.t.env.currentTimeMs();
  const handle = await conformance.t.env.client.workflow.start('flakyWorkflow', {
    taskQueue, workflowId, args: [2], retry: { initialInterval: '1 minute', maximumAttempts: 5 },
  });
  expect(await handle.result()).toEqual({ attempt: 3, lastFailure: 'attempt 2 failed' });
  // backoff 1 min then 2 min (coefficient 2 filled in), in virtual time
  expect((await conformance.t.env.currentTimeMs()) - started).toBeGreaterThanOrEqual(3 * 60_000);
  const runs = await runsOf(workflowId);
  expect(runs.map((r) => r.status.name)).toEqual(['FAILED', 'FAILED', 'COMPLETED']);
  const first = await conformance.t.env.client.workflow.getHandle(workflowId, runs[0]!.runId).fetchHistory();
  const failed = first.events!.at(-1)!;
  expect(EventType[failed.eventType!]).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_FAILED');
  expect(RetryState[failed.workflowExecutionFailedEventAttributes!.retryState!]).toBe('RETRY_STATE_IN_PROGRESS');
  expect(failed.workflowExecutionFailedEventAttributes!.newExecutionRunId).toBe(runs[1]!.runId);
  const last = await conformance.t.env.client.workflow.getHandle(workflowId, runs[2]!.runId).fetchHistory();
  const startedAttrs = last.events![0]!.workflowExecutionStartedEventAttributes!;
  expect(startedAttrs.attempt).toBe(3);
  expect(startedAttrs.continuedExecutionRunId).toBe(runs[1]!.runId);
  expect(startedAttrs.firstExecutionRunId).toBe(runs[0]!.runId);
  expect(Number(startedAttrs.firstWorkflowTaskBackoff!.seconds)).toBe(120);
  expect(startedAttrs.retryPolicy!.backoffCoefficient).toBe(2);
  expect(Number(startedAttrs.retryPolicy!.maximumInterval!.seconds)).toBe(6000);
});

test('the last allowed attempt fails the workflow with MAXIMUM_ATTEMPTS_REACHED', async () => {
  const workflowId = id('flaky');
  const err = await failureOf(
    conformance.t.env.client.workflow.execute('flakyWorkflow', { taskQueue, workflowId, args: [10], retry: { initialInterval: '1s', maximumAttempts: 3 } }),
  );
  expect(err.name).toBe('WorkflowFailedError');
  expect(err.cause?.message).toBe('attempt 3 failed');
  expect(err.retryState).toBe('MAXIMUM_ATTEMPTS_REACHED');
  expect(await runsOf(workflowId)).toHaveLength(3);
});

test('a failure type listed as non-retryable is not retried (NON_RETRYABLE_FAILURE)', async () => {
  const workflowId = id('flaky');
  const err = await failureOf(
    conformance.t.env.client.workflow.execute('flakyWorkflow', {
      taskQueue, workflowId, args: [10, 'Fatal'], retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['Fatal'] },
    }),
  );
  expect(err.retryState).toBe('NON_RETRYABLE_FAILURE');
  expect(await runsOf(workflowId)).toHaveLength(1);
});

test('without a retry policy a failure closes the workflow (RETRY_POLICY_NOT_SET)', async () => {
  const err = await failureOf(conformance.t.env.client.workflow.execute('flakyWorkflow', { taskQueue, workflowId: id('flaky'), args: [1] }));
  expect(err.retryState).toBe('RETRY_POLICY_NOT_SET');
});

test('a cron workflow first runs at the next cron time, then at each one, passing its last result on', async () => {
  const workflowId = id('cron');
  const handle = await conformance.t.env.client.workflow.start('cronCounter', { taskQueue, workflowId, cronSchedule: '0 * * * *' });
  await conformance.t.env.sleep('3 hours');
  let runs = await runsOf(workflowId);
  for (let i = 0; i < 100 && runs.filter((r) => r.status.name === 'COMPLETED').length < 3; i++) {
    await conformance.t.env.sleep('1 hour');
    runs = await runsOf(workflowId);
  }
  await handle.terminate('enough');
  const completed = runs.filter((r) => r.status.name === 'COMPLETED');
  expect(completed.length).toBeGreaterThanOrEqual(3);
  for (const r of runs) expect(r.executionTime!.getTime() % 3_600_000).toBe(0);
  const results = [];
  for (const r of completed.slice(0, 3)) {
    const history = await conformance.t.env.client.workflow.getHandle(workflowId, r.runId).fetchHistory();
    const payload = history.events!.at(-1)!.workflowExecutionCompletedEventAttributes!.result!.payloads![0]!;
    results.push(JSON.parse(Buffer.from(payload.data!).toString('utf8')));
  }
  expect(results).toEqual([1, 2, 3].map((count) => ({ count, cronSchedule: '0 * * * *', attempt: 1 })));
  const first = await conformance.t.env.client.workflow.getHandle(workflowId, runs[0]!.runId).fetchHistory();
  expect(Number(first.events![0]!.workflowExecutionStartedEventAttributes!.firstWorkflowTaskBackoff?.seconds ?? 0)).toBeGreaterThan(0);
});

test('a cron schedule in a time zone (CRON_TZ=) first runs at that zone\'s wall-clock time', async () => {
  const workflowId = id('cron-tz');
  const cronSchedule = 'CRON_TZ=America/New_York 0 9 * * *';
  const handle = await conformance.t.env.client.workflow.start('cronCounter', { taskQueue, workflowId, cronSchedule });
  const d = await handle.describe();
  const firstRun = d.executionTime!;
  const inNewYork = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hourCycle: 'h23', hour: 'numeric', minute: 'numeric' }).format(firstRun);
  expect(inNewYork).toBe('09:00');
  expect(firstRun.getTime() - d.startTime.getTime()).toBeLessThanOrEqual(86_400_000);
  expect(firstRun.getTime()).toBeGreaterThan(d.startTime.getTime());
  await handle.terminate('enough');
});

test('an invalid cron schedule is rejected with a message naming it', async () => {
  const err = await failureOf(conformance.t.env.client.workflow.start('cronCounter', { taskQueue, workflowId: id('cron'), cronSchedule: '61 * * * *' }));
  expect(`${err.message}: ${err.cause?.message}`).toContain('Invalid CronSchedule "61 * * * *"');
  const zone = await failureOf(conformance.t.env.client.workflow.start('cronCounter', { taskQueue, workflowId: id('cron'), cronSchedule: 'CRON_TZ=Nowhere/Town 0 9 * * *' }));
  expect(`${zone.message}: ${zone.cause?.message}`).toContain('unknown time zone Nowhere/Town');
});
