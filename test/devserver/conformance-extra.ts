// More conformance workflows (async completion, workflow retries and cron, updates at close,
// priority ...), re-exported by conformance-workflows.ts, the bundle's entry point.
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
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
