// Eager activity dispatch: a worker completing a workflow task may ask (requestEagerExecution) to
// run the activities it schedules itself; the server starts up to EAGER_ACTIVITY_LIMIT of them at
// once and returns them in RespondWorkflowTaskCompletedResponse.activityTasks, as the real server.
import { startActivityEagerly } from './activities.js';
import type { Engine } from './engine.js';
import type { Msg } from './proto.js';
import type { ActivityState, Run } from './types.js';

/** The real server's default per-workflow-task limit. */
export const EAGER_ACTIVITY_LIMIT = 3;

/** Collects the activities eagerly started while one workflow task's commands are applied. */
export class EagerActivities {
  /** Poll responses (PollActivityTaskQueueResponse) for the completing worker. */
  readonly tasks: Msg[] = [];
  private claimed = 0;

  /** `identity`: the worker completing the workflow task (it gets the activities). */
  constructor(private readonly identity: string) {}

  /** Should activity `a` (its command asked for it when `requested`) run eagerly? Only on the workflow's own queue. */
  claim(run: Run, a: ActivityState, requested: boolean): boolean {
    if (!requested || this.claimed >= EAGER_ACTIVITY_LIMIT) return false;
    if (a.taskQueue !== run.taskQueue) return false;
    this.claimed++;
    return true;
  }

  /** Starts a claimed activity (records it started as a poll would) and keeps its task. */
  start(engine: Engine, run: Run, a: ActivityState): void {
    const task = startActivityEagerly(engine, run, a, this.identity);
    if (task) this.tasks.push(task);
  }
}
