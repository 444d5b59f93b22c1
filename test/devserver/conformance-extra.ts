// More conformance workflows (async completion, workflow retries and cron, updates at close,
// priority ...), re-exported by conformance-workflows.ts, the bundle's entry point.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConformanceActivities } from './conformance-workflows.js';

/** Runs one activity the test completes from outside (by task token or by id). */
export async function asyncCompleted(): Promise<string> {
  const acts = proxyActivities<ConformanceActivities>({
    startToCloseTimeout: '1 day',
    retry: { maximumAttempts: 1 },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  return await acts.completeLater();
}

/** Fails its first `failTimes` attempts (retried by the workflow retry policy). */
export async function flakyWorkflow(failTimes: number, type = 'Flaky'): Promise<{ attempt: number; lastFailure?: string; cronSchedule?: string }> {
  const info = workflowInfo();
  if (info.attempt <= failTimes) throw ApplicationFailure.create({ message: `attempt ${info.attempt} failed`, type });
  return { attempt: info.attempt, lastFailure: info.lastFailure?.message };
}

/** One cron run: counts the runs through the previous run's result. */
export async function cronCounter(): Promise<{ count: number; cronSchedule?: string; attempt: number }> {
  const info = workflowInfo();
  const previous = (info.lastResult as { count: number } | undefined)?.count ?? 0;
  return { count: previous + 1, cronSchedule: info.cronSchedule, attempt: info.attempt };
}

export const slowUpdate = defineUpdate<string>('slow');
export const finishSignal = defineSignal('finish');

/** Ends (completes, continues as new, or is cancelled) while its update handlers still run. */
export async function updateOutlived(mode: 'complete' | 'continue' | 'cancel', continued = false): Promise<string> {
  let finish = false;
  setHandler(slowUpdate, async () => {
    await CancellationScope.nonCancellable(() => condition(() => false));
    return 'never';
  });
  setHandler(finishSignal, () => void (finish = true));
  if (continued) {
    await condition(() => finish);
    return 'second run';
  }
  await condition(() => finish); // 'cancel': the test cancels the workflow here
  if (mode === 'continue') await continueAsNew<typeof updateOutlived>(mode, true);
  return 'done';
}

/** What the workflow sees of a Datetime search attribute. */
export async function datetimeAttribute(): Promise<{ isDate: boolean; iso?: string }> {
  const value = (workflowInfo().searchAttributes?.CustomDatetimeField as unknown[] | undefined)?.[0];
  return { isDate: value instanceof Date, iso: value instanceof Date ? value.toISOString() : String(value) };
}
