// Workflows for the --db restart tests (test/devserver/persistence-*.test.ts).
import { proxyActivities } from '@temporalio/workflow';

/** The queue no worker serves: the tests poll it themselves, so an attempt can span a restart. */
export const REMOTE_QUEUE = 'persist-remote';

const { remoteStep } = proxyActivities<{ remoteStep(): Promise<string> }>({
  taskQueue: REMOTE_QUEUE,
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '50ms', backoffCoefficient: 1, maximumAttempts: 5 },
});

/** One activity on REMOTE_QUEUE; returns its result. */
export async function remoteActivity(): Promise<string> {
  return await remoteStep();
}
