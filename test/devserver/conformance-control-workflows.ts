// Workflows of the time-skipping conformance test (time-skip.test.ts).
import { proxyActivities } from '@temporalio/workflow';

const patient = proxyActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '1 day', retry: { maximumAttempts: 1 } });

/** Runs `greet` (which may sleep the test env for hours) and says how much workflow time passed. */
export async function greetingPatiently(name: string): Promise<{ result: string; elapsedMs: number }> {
  const started = Date.now();
  const result = await patient.greet(name);
  return { result, elapsedMs: Date.now() - started };
}
