// The activity of the pause/unpause/reset conformance test (activity-control.test.ts). The test
// steers each activity (by workflow id and activity id) through `steering`, and reads back every
// attempt the worker ran and why an attempt was cancelled.
import { ApplicationFailure, Context } from '@temporalio/activity';

/**
 * fail: each attempt fails; heartbeat: it heartbeats until cancelled or told to succeed; hold: it
 * waits, never heartbeating, until told to succeed
 */
export type SteeredMode = 'fail' | 'heartbeat' | 'hold' | 'succeed';

export interface Steering {
  mode: SteeredMode;
  /** activityInfo().attempt of every attempt started */
  attempts: number[];
  /** why attempts were cancelled: 'paused', 'reset' or 'cancelled' */
  cancellations: string[];
}

const steerings = new Map<string, Steering>();

/** The steering of activity `activityId` of workflow `workflowId`, created in `mode` on first use. */
export function steering(workflowId: string, activityId: string, mode: SteeredMode = 'succeed'): Steering {
  const key = `${workflowId}/${activityId}`;
  let s = steerings.get(key);
  if (!s) {
    s = { mode, attempts: [], cancellations: [] };
    steerings.set(key, s);
  }
  return s;
}

export const controlActivities = {
  async steered(): Promise<string> {
    const ctx = Context.current();
    const { attempt, activityId, workflowExecution } = ctx.info;
    const s = steering(workflowExecution?.workflowId ?? '', activityId);
    s.attempts.push(attempt);
    for (;;) {
      if (s.mode === 'succeed') return `succeeded on attempt ${attempt}`;
      if (s.mode === 'fail') throw ApplicationFailure.retryable(`failed attempt ${attempt}`, 'Steered');
      if (s.mode === 'hold') {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      ctx.heartbeat({ attempt });
      try {
        await ctx.sleep(50);
      } catch (err) {
        const d = ctx.cancellationDetails;
        s.cancellations.push(d?.reset ? 'reset' : d?.paused ? 'paused' : 'cancelled');
        throw err;
      }
    }
  },
};
