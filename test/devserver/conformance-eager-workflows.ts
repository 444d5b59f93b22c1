// Workflows for the eager activity dispatch conformance tests (test/devserver/eager-activity.test.ts).
import { proxyActivities } from '@temporalio/workflow';

const { greet } = proxyActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '10s' });

/** Runs one activity per name, all at once (the worker asks for the first ones eagerly). */
export async function greetAllAtOnce(names: string[]): Promise<string[]> {
  return await Promise.all(names.map((n) => greet(n)));
}
