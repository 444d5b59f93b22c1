// Conformance: time skipping follows the real test server's lock counter. A running activity holds
// time still (a test sleeping the env waits for it), but an activity that itself sleeps the test
// env while the test awaits the result releases that lock, so virtual time moves while it runs.
import type { Worker } from '@temporalio/worker';
import { createTestEnv, type TestEnv } from '../support/temporal.js';

const taskQueue = 'conformance-timeskip';
let t: TestEnv;
let worker: Worker;
let running: Promise<void>;
let n = 0;
const activityDone: number[] = [];

beforeAll(async () => {
  t = await createTestEnv();
  worker = await t.worker({
    taskQueue,
    activities: {
      async envSleep(ms: number): Promise<void> {
        await t.env.sleep(ms);
        activityDone.push(await t.env.currentTimeMs());
      },
      async realWork(ms: number): Promise<string> {
        await new Promise((r) => setTimeout(r, ms));
        return 'activity';
      },
    },
  }, 'conformance');
  running = worker.run();
});
afterAll(async () => {
  worker.shutdown();
  await running;
  await t.teardown();
});

// Without skipping while the activity runs these take 1,000 s or more of real time and time out.
test.each(['timer', 'activity'] as const)('an activity sleeping the test env races a workflow timer in virtual time: the %s wins', async (winner) => {
  const before = await t.env.currentTimeMs();
  const result = await t.env.client.workflow.execute('raceActivityAndTimer', { taskQueue, workflowId: `race-${winner}-${++n}`, args: [winner] });
  expect(result).toBe(winner);
  // the activity's env sleep ended at least 1,000 s of virtual time later
  const activitySleep = winner === 'timer' ? 1_500_000 : 1_000_000;
  expect(activityDone.at(-1)! - before).toBeGreaterThanOrEqual(activitySleep);
}, 30_000);

test('a running activity holds time still: a test sleeping the env does not skip past it', async () => {
  // the activity works 300 ms of real time with a 2 s start-to-close timeout, against a 5 s timer;
  // if time moved while it ran, the timer would win and the activity time out
  const handle = await t.env.client.workflow.start('realActivityAndTimer', { taskQueue, workflowId: `real-${++n}` });
  await t.env.sleep(60_000);
  expect(await handle.result()).toBe('activity');
}, 30_000);
