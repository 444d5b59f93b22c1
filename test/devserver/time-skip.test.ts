// Time skipping through the SDK: `testEnv.sleep()` called from inside a running activity moves the
// server's virtual time at once (as Temporal's test server does), instead of waiting in real time.
import { createTestEnv, type TestEnv } from '../support/temporal.js';

const HOUR = 3_600_000;

describe('time skipping while an activity runs', () => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv();
  });
  afterAll(async () => {
    await t?.teardown();
  });

  it('an activity sleeping the test env for an hour returns as soon as virtual time has moved, and the workflow sees the hour', async () => {
    const seen: number[] = [];
    const worker = await t.worker({
      taskQueue: 'time-skip',
      activities: {
        async greet(name: string): Promise<string> {
          seen.push(await t.env.currentTimeMs());
          await t.env.sleep('1 hour');
          seen.push(await t.env.currentTimeMs());
          return `hello ${name}`;
        },
      },
    });
    const out = await worker.runUntil(t.env.client.workflow.execute('greetingPatiently', { taskQueue: 'time-skip', workflowId: 'time-skip-1', args: ['clock'] })) as { result: string; elapsedMs: number };
    expect(out.result).toBe('hello clock');
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(HOUR);
    expect(out.elapsedMs).toBeGreaterThanOrEqual(HOUR);
    expect(out.elapsedMs).toBeLessThan(2 * HOUR);
  }, 60_000);
});
