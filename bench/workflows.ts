// The workflow the server benchmark runs: one activity, as in the issue.
import { proxyActivities } from '@temporalio/workflow';

const { echo } = proxyActivities<{ echo(x: number): Promise<number> }>({ startToCloseTimeout: '30s' });

export async function oneActivity(x: number): Promise<number> {
  return await echo(x);
}
