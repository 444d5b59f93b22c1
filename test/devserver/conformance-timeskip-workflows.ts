// Workflows for the time-skipping conformance tests (test/devserver/time-skip.test.ts).
import { proxyActivities, sleep } from '@temporalio/workflow';

const { envSleep } = proxyActivities<{ envSleep(ms: number): Promise<void> }>({ startToCloseTimeout: 2_000_000 });

/**
 * The TypeScript SDK's own time-skipping test: a workflow timer races an activity that sleeps the
 * test environment; the shorter of the two wins, in virtual time. Waits for the activity either way.
 */
export async function raceActivityAndTimer(expectedWinner: 'timer' | 'activity'): Promise<string> {
  const timerShouldWin = expectedWinner === 'timer';
  const timer = sleep(timerShouldWin ? 1_000_000 : 1_500_000).then(() => 'timer');
  const activity = envSleep(timerShouldWin ? 1_500_000 : 1_000_000).then(() => 'activity');
  const winner = await Promise.race([timer, activity]);
  await activity;
  return winner;
}

const { realWork } = proxyActivities<{ realWork(ms: number): Promise<string> }>({ startToCloseTimeout: '2s' });

/** An activity of 300 ms real time against a 5 s timer: while the activity runs, time holds still. */
export async function realActivityAndTimer(): Promise<string> {
  return await Promise.race([sleep('5s').then(() => 'timer'), realWork(300)]);
}
