// Workflows for the UpdateActivityOptions conformance tests (test/devserver/activity-options.test.ts).
import { proxyActivities } from '@temporalio/workflow';

/** Runs greet on a task queue no worker polls, until an operator moves it. */
export async function misrouted(name: string): Promise<string> {
  const { greet } = proxyActivities<{ greet(n: string): Promise<string> }>({ taskQueue: 'nobody-polls-this', startToCloseTimeout: '10s', activityId: 'misrouted' });
  return await greet(name);
}
