// Workflows of the activity pause/unpause/reset conformance test (activity-control.test.ts).
import { proxyActivities } from '@temporalio/workflow';
import type { controlActivities } from './conformance-control-activities.js';

/**
 * Runs one `steered` activity per id (type "steered"), all at once, and returns their results.
 * Retries wait an hour, so an activity waiting for its retry stays waiting unless time skips.
 */
export async function steeredActivities(activityIds: string[]): Promise<string[]> {
  return Promise.all(
    activityIds.map((activityId) =>
      proxyActivities<typeof controlActivities>({
        activityId,
        startToCloseTimeout: '1 hour',
        retry: { initialInterval: '1 hour', backoffCoefficient: 1 },
      }).steered(),
    ),
  );
}
