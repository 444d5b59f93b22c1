// Matching: per task queue, a FIFO of tasks and a FIFO of long-polling workers. A task whose
// owner went away (run closed, task timed out) reports itself invalid and is skipped.

export interface Task<R> {
  /** Still worth handing out? */
  valid(): boolean;
  /** Turns the task into a poll response (records "started"); undefined = skip it. */
  start(identity: string): R | undefined;
}

interface Poller<R> {
  identity: string;
  resolve(response: R | undefined): void;
}

class Queue<R> {
  tasks: Task<R>[] = [];
  pollers: Poller<R>[] = [];
  lastPollTime = 0;
  /** identity -> last time it polled (for DescribeTaskQueue) */
  seen = new Map<string, number>();
}

export class TaskQueues<R> {
  private queues = new Map<string, Queue<R>>();

  constructor(private readonly onChange: () => void) {}

  private queue(name: string): Queue<R> {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue<R>();
      this.queues.set(name, q);
    }
    return q;
  }

  add(name: string, task: Task<R>): void {
    const q = this.queue(name);
    const poller = q.pollers[0];
    if (!poller) {
      q.tasks.push(task);
      return;
    }
    // a waiting worker takes it at once; a task already stale is dropped
    const response = task.valid() ? task.start(poller.identity) : undefined;
    if (response === undefined) return;
    q.pollers.shift();
    poller.resolve(response);
    this.onChange();
  }

  /** Long-polls `name`: resolves with a task, or undefined after `timeoutMs` or on cancel. */
  poll(name: string, identity: string, timeoutMs: number, onCancel: (cancel: () => void) => void): Promise<R | undefined> {
    const q = this.queue(name);
    q.lastPollTime = Date.now();
    q.seen.set(identity, q.lastPollTime);
    while (q.tasks.length > 0) {
      const task = q.tasks.shift()!;
      if (!task.valid()) continue;
      const response = task.start(identity);
      if (response !== undefined) {
        this.onChange();
        return Promise.resolve(response);
      }
    }
    return new Promise((resolve) => {
      let done = false;
      const poller: Poller<R> = {
        identity,
        resolve: (r) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          resolve(r);
        },
      };
      const drop = () => {
        const idx = q.pollers.indexOf(poller);
        if (idx >= 0) q.pollers.splice(idx, 1);
        poller.resolve(undefined);
      };
      const timer = setTimeout(drop, timeoutMs);
      q.pollers.push(poller);
      onCancel(drop);
    });
  }

  /** Moves every task queued on `from` to `to` (a sticky queue whose worker shut down). */
  drain(from: string): Task<R>[] {
    const q = this.queues.get(from);
    if (!q) return [];
    const tasks = q.tasks.filter((t) => t.valid());
    q.tasks = [];
    for (const p of q.pollers.splice(0)) p.resolve(undefined);
    this.queues.delete(from);
    return tasks;
  }

  backlog(name: string): number {
    return this.queues.get(name)?.tasks.filter((t) => t.valid()).length ?? 0;
  }

  hasPollers(name: string): boolean {
    return (this.queues.get(name)?.pollers.length ?? 0) > 0;
  }

  /** Workers that polled `name` in the last `withinMs` (the real server keeps about 5 minutes). */
  recentPollers(name: string, withinMs = 5 * 60_000): Array<{ identity: string; lastAccessTime: number }> {
    const q = this.queues.get(name);
    if (!q) return [];
    const cutoff = Date.now() - withinMs;
    return [...q.seen.entries()].filter(([, t]) => t >= cutoff).map(([identity, lastAccessTime]) => ({ identity, lastAccessTime }));
  }

  lastPoll(name: string): number {
    return this.queues.get(name)?.lastPollTime ?? 0;
  }

  closeAll(): void {
    for (const q of this.queues.values()) for (const p of q.pollers.splice(0)) p.resolve(undefined);
  }
}
