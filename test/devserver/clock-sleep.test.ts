import { Clock } from '../../devserver/clock.js';

describe('Clock.sleep (TestService Sleep) while something runs', () => {
  it('moves virtual time by the whole amount at once and fires the timers due on the way in order', async () => {
    const clock = new Clock(true);
    clock.busy = () => true; // an activity is running: automatic skipping must not happen
    const start = clock.now();
    const fired: Array<[string, number]> = [];
    clock.after(30 * 60_000, () => fired.push(['half', clock.now() - start]));
    clock.after(10 * 60_000, () => fired.push(['ten', clock.now() - start]));
    clock.after(2 * 3_600_000, () => fired.push(['late', clock.now() - start]));
    await clock.sleep(3_600_000);
    expect(fired.map((f) => f[0])).toEqual(['ten', 'half']);
    expect(fired[0]![1]).toBeGreaterThanOrEqual(10 * 60_000);
    expect(fired[0]![1]).toBeLessThan(30 * 60_000);
    expect(clock.now() - start).toBeGreaterThanOrEqual(3_600_000);
    expect(clock.now() - start).toBeLessThan(2 * 3_600_000);
    clock.close();
  });

  it('does not skip automatically while busy and locked', async () => {
    const clock = new Clock(true);
    clock.busy = () => true;
    const start = clock.now();
    let fired = false;
    clock.after(3_600_000, () => (fired = true));
    clock.unlock();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(fired).toBe(false);
    expect(clock.now() - start).toBeLessThan(3_600_000);
    clock.close();
  });
});
