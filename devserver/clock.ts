// The server's clock. In test mode (time skipping) it is virtual and follows Temporal's test
// server: a lock counter holds time still. Clients hold one lock from the start (released while
// they wait for a result or sleep); every workflow task and every activity attempt (scheduled or
// running, not waiting for a retry) holds one more. When the count is zero time jumps straight to
// the next timer. A client's sleep (`UnlockTimeSkippingWithSleep`, what `testEnv.sleep()` calls)
// releases one lock until the target time: called from inside an activity while the test awaits
// the result, it releases the lock that activity holds, so time moves while the activity runs.
// In dev mode it is the wall clock and timers fire in real time.

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

export class Clock {
  private offset = 0;
  private timers: Timer[] = [];
  private nextId = 1;
  private realTimer: NodeJS.Timeout | undefined;
  /** The clients' locks; below zero when they released more than they took (concurrent waits). */
  private lockCount: number;
  private skipScheduled = false;
  private closed = false;
  /** The locks held by what runs: one per workflow task and per activity attempt. */
  busy: () => number = () => 0;

  constructor(readonly timeSkipping: boolean) {
    // Like Temporal's test server, time skipping starts locked; clients unlock it while they wait.
    this.lockCount = timeSkipping ? 1 : Number.POSITIVE_INFINITY;
  }

  now(): number {
    return Date.now() + this.offset;
  }

  /** Runs `fn` at virtual time `at`; returns a cancel function. */
  at(at: number, fn: () => void): () => void {
    const timer: Timer = { id: this.nextId++, at, fn };
    // keep sorted by (at, id): timers due at the same instant fire in creation order
    const i = this.firstAfter(at);
    this.timers.splice(i, 0, timer);
    if (i === 0) this.arm(); // only the first timer decides when the real timer goes off
    return () => {
      const idx = this.indexOf(timer);
      if (idx >= 0) {
        this.timers.splice(idx, 1);
        if (idx === 0) this.arm();
      }
    };
  }

  /** Index of the first timer due after `at` (binary search: thousands of timers are pending in a burst). */
  private firstAfter(at: number): number {
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timers[mid]!.at <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of `timer` (the array is sorted by (at, id)), or -1 once it fired or was cancelled. */
  private indexOf(timer: Timer): number {
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.timers[mid]!;
      if (t.at < timer.at || (t.at === timer.at && t.id < timer.id)) lo = mid + 1;
      else hi = mid;
    }
    return this.timers[lo] === timer ? lo : -1;
  }

  after(ms: number, fn: () => void): () => void {
    return this.at(this.now() + Math.max(0, ms), fn);
  }

  lock(): void {
    if (this.timeSkipping) this.lockCount++;
  }

  unlock(): void {
    if (!this.timeSkipping) return;
    this.lockCount--;
    this.poke();
  }

  /** True while the clients' locks plus those of what runs hold time still. */
  get locked(): boolean {
    return this.lockCount + this.busy() > 0;
  }

  /**
   * A client's sleep (`UnlockTimeSkippingWithSleep`): releases one lock until virtual time has
   * advanced by `ms`, then takes it back. Timers due on the way fire in order.
   */
  async sleep(ms: number): Promise<void> {
    if (!this.timeSkipping) {
      await new Promise((r) => setTimeout(r, ms));
      return;
    }
    await new Promise<void>((resolve) => {
      // lock in the timer itself: time must not skip past the target before the caller resumes
      this.after(ms, () => {
        this.lock();
        resolve();
      });
      this.unlock();
    });
  }

  /** Waits until virtual time has advanced by `ms` without releasing a lock (`TestService.Sleep`). */
  async wait(ms: number): Promise<void> {
    if (!this.timeSkipping) {
      await new Promise((r) => setTimeout(r, ms));
      return;
    }
    await new Promise<void>((resolve) => this.after(ms, resolve));
  }

  /** Call after any state change: may fire due timers or skip time. */
  poke(): void {
    if (this.skipScheduled || this.closed) return;
    this.skipScheduled = true;
    setImmediate(() => {
      this.skipScheduled = false;
      let fired = this.fireDue();
      if (this.timeSkipping && this.timers.length > 0 && !this.locked) {
        const first = this.timers[0]!;
        const now = this.now();
        if (first.at > now) this.offset += first.at - now;
        fired = this.fireDue() || fired;
      }
      this.arm();
      // a timer that fired may have left nothing running: look again on the next turn
      if (fired) this.poke();
    });
  }

  private fireDue(): boolean {
    const now = this.now();
    let fired = false;
    while (this.timers.length > 0 && this.timers[0]!.at <= now) {
      fired = true;
      const t = this.timers.shift()!;
      try {
        t.fn();
      } catch (err) {
        console.error('stratus-temporal: timer callback failed', err);
      }
    }
    return fired;
  }

  private arm(): void {
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    if (this.closed || this.timers.length === 0) return;
    const delay = Math.max(0, Math.min(this.timers[0]!.at - this.now(), 2 ** 31 - 1));
    this.realTimer = setTimeout(() => this.poke(), delay);
    this.realTimer.unref?.();
  }

  close(): void {
    this.closed = true;
    if (this.realTimer) clearTimeout(this.realTimer);
    this.timers = [];
  }
}
