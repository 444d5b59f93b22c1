// Activities of the reset conformance test (reset.test.ts).
import { Context } from '@temporalio/activity';

export function resetActivities() {
  return {
    /**
     * Keeps running (heartbeating) while its workflow run is `runId`, so it never completes there;
     * run for any other run (the same activity pending again after a reset) it answers at once.
     */
    async answerOutsideRun(runId: string): Promise<string> {
      const ctx = Context.current();
      const current = ctx.info.workflowExecution?.runId;
      if (current !== runId) return `ran in run ${current}`;
      for (let i = 0; i < 1200; i++) {
        ctx.heartbeat();
        await ctx.sleep(100);
      }
      return `still in run ${current}`;
    },
  };
}
