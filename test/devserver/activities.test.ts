// Conformance: activities on the embedded server through the real worker and client.
import { type WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import { conformanceActivities } from './conformance-activities.js';

let t: TestEnv;
let worker: Worker;
let running: Promise<void>;
const acts = conformanceActivities();
const taskQueue = 'conformance-activities';
let n = 0;
const id = (name: string) => `${name}-${++n}`;

beforeAll(async () => {
  t = await createTestEnv();
  const { attemptsOf: _a, asyncInfo: _i, ...activities } = acts;
  worker = await t.worker({ taskQueue, activities });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await t?.teardown();
});

const run = <T>(type: string, args: unknown[], workflowId = id(type)) =>
  t.env.client.workflow.execute(type, { taskQueue, workflowId, args }) as Promise<T>;

async function failureOf(p: Promise<unknown>): Promise<WorkflowFailedError> {
  try {
    await p;
  } catch (err) {
    expect((err as Error).name).toBe('WorkflowFailedError');
    return err as WorkflowFailedError;
  }
  throw new Error('expected the workflow to fail');
}

test('an activity runs and its result reaches the workflow', async () => {
  await expect(run('greeting', ['stratus'])).resolves.toBe('hello, stratus');
});

test('failed attempts are retried with backoff until one succeeds', async () => {
  await expect(run('retrying', [2])).resolves.toBe(3);
});

test('a non-retryable failure fails at once with its type and message', async () => {
  const workflowId = id('failing');
  const err = await failureOf(run('failing', ['non-retryable'], workflowId));
  const cause = err.cause as Error & { cause?: Error & { type?: string } };
  expect(cause.name).toBe('ActivityFailure');
  expect(cause.cause?.message).toBe('bad credentials');
  expect(cause.cause?.type).toBe('AuthError');
  expect(acts.attemptsOf(workflowId)).toBe(1);
});

test('error types listed as non-retryable in the retry policy are not retried', async () => {
  const workflowId = id('failing');
  const err = await failureOf(run('failing', ['typed'], workflowId));
  expect((err.cause as Error & { cause?: { type?: string } }).cause?.type).toBe('BadInput');
  expect(acts.attemptsOf(workflowId)).toBe(1);
});

test('maximum attempts end the retries with the last failure', async () => {
  const workflowId = id('failing');
  const err = await failureOf(run('failing', ['always'], workflowId));
  expect((err.cause as Error & { cause?: Error }).cause?.message).toBe('always fails (attempt 3)');
  expect(acts.attemptsOf(workflowId)).toBe(3);
});

test('nextRetryDelay from the failure overrides the backoff (time skipped)', async () => {
  const started = Date.now();
  const r = await run<{ result: string; elapsedMs: number }>('failing', ['delay']);
  expect(r.result).toBe('succeeded on attempt 2');
  expect(r.elapsedMs).toBeGreaterThanOrEqual(10 * 60 * 1000);
  expect(Date.now() - started).toBeLessThan(30_000);
});

test('heartbeat details survive a failed attempt and the retry resumes from them', async () => {
  await expect(run('heartbeating', [4])).resolves.toEqual([0, 1, 2, 3]);
});

test.each([
  ['heartbeat', 'TIMEOUT_TYPE_HEARTBEAT'],
  ['start-to-close', 'TIMEOUT_TYPE_START_TO_CLOSE'],
  ['schedule-to-start', 'TIMEOUT_TYPE_SCHEDULE_TO_START'],
  ['schedule-to-close', 'TIMEOUT_TYPE_SCHEDULE_TO_CLOSE'],
])('a %s timeout fails the activity with that timeout type', async (kind, expected) => {
  const workflowId = id('timingOut');
  const err = await failureOf(run('timingOut', [kind], workflowId));
  const cause = err.cause as Error & { cause?: Error & { timeoutType?: number } };
  expect(cause.name).toBe('ActivityFailure');
  expect(cause.cause?.name).toBe('TimeoutFailure');
  const history = await t.env.client.workflow.getHandle(workflowId).fetchHistory();
  const timedOut = history.events!.find((e) => e.activityTaskTimedOutEventAttributes);
  const { temporal } = await import('@temporalio/proto');
  expect(temporal.api.enums.v1.TimeoutType[timedOut!.activityTaskTimedOutEventAttributes!.failure!.timeoutFailureInfo!.timeoutType!]).toBe(expected);
});

test('cancelling an activity reaches it through its heartbeat and the workflow sees the cancellation', async () => {
  await expect(run('cancelActivity', [])).resolves.toBe('cancelled');
});

test('activity timeouts the workflow left out are filled in as the real server does', async () => {
  const workflowId = id('greeting');
  await run('greeting', ['timeouts'], workflowId);
  const history = await t.env.client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes)!.activityTaskScheduledEventAttributes!;
  expect(Number(scheduled.startToCloseTimeout!.seconds)).toBe(10);
  expect(Number(scheduled.scheduleToCloseTimeout?.seconds ?? 0)).toBe(0);
  expect(Number(scheduled.retryPolicy!.initialInterval!.seconds)).toBe(1);
  expect(scheduled.retryPolicy!.backoffCoefficient).toBe(2);
  expect(Number(scheduled.retryPolicy!.maximumInterval!.seconds)).toBe(100);
  const started = history.events!.find((e) => e.activityTaskStartedEventAttributes)!;
  const completed = history.events!.find((e) => e.activityTaskCompletedEventAttributes)!;
  expect(Number(completed.eventId)).toBe(Number(started.eventId) + 1);
});

test('describe() of an activity waiting for its retry shows when the attempt ended and when the next is due', async () => {
  // at the protocol, so the clock holds still between the failure and describe()
  const svc = t.env.connection.workflowService;
  const rawQueue = 'conformance-activities-raw-retry';
  const workflowId = id('retry-wait');
  await svc.startWorkflowExecution({ namespace: 'default', workflowId, workflowType: { name: 'handDriven' }, taskQueue: { name: rawQueue }, requestId: workflowId });
  const wft = await svc.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: rawQueue }, identity: 'raw' });
  await svc.respondWorkflowTaskCompleted({
    namespace: 'default',
    taskToken: wft.taskToken,
    identity: 'raw',
    commands: [temporal.api.command.v1.Command.fromObject({
      commandType: 'COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK',
      scheduleActivityTaskCommandAttributes: {
        activityId: 'a1',
        activityType: { name: 'greet' },
        taskQueue: { name: rawQueue },
        startToCloseTimeout: { seconds: 60 },
        retryPolicy: { initialInterval: { seconds: 3600 }, maximumAttempts: 5 },
      },
    })],
  });
  const task = await svc.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: rawQueue }, identity: 'raw' });
  await svc.respondActivityTaskFailed({ namespace: 'default', taskToken: task.taskToken, failure: { message: 'first attempt failed', applicationFailureInfo: {} } });
  const failedAt = await t.env.currentTimeMs();
  const pending = (await svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } })).pendingActivities![0]!;
  expect(pending.state).toBe(temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED);
  expect(pending.attempt).toBe(2);
  expect(Number(pending.currentRetryInterval?.seconds)).toBe(3600);
  // whole milliseconds of a Timestamp (seconds alone drop up to 999 ms: the check failed on a busy machine)
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
  const ended = ms(pending.lastAttemptCompleteTime);
  expect(Math.abs(ended - failedAt)).toBeLessThan(1000);
  expect(ms(pending.nextAttemptScheduleTime) - ended).toBe(3600_000);
  expect(pending.lastFailure?.message).toBe('first attempt failed');
  await svc.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId } });
});
