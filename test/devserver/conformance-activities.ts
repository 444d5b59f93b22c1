// Activity implementations for the conformance workflows (real code run by a real worker).
import { ApplicationFailure, CompleteAsyncError, Context, type Info, sleep as activitySleep } from '@temporalio/activity';
import { resetActivities } from './conformance-reset-activities.js';

export function conformanceActivities() {
  const attempts = new Map<string, number>();
  const asyncStarted = new Map<string, Info>();
  return {
    ...resetActivities(),
    async greet(name: string): Promise<string> {
      return `hello, ${name}`;
    },
    async flaky(failTimes: number): Promise<number> {
      const { attempt } = Context.current().info;
      if (attempt <= failTimes) throw new Error(`flaky failure on attempt ${attempt}`);
      return attempt;
    },
    async failWith(kind: 'non-retryable' | 'typed' | 'always' | 'delay'): Promise<string> {
      const { attempt, workflowExecution } = Context.current().info;
      attempts.set(workflowExecution?.workflowId ?? "", attempt);
      if (kind === 'non-retryable') throw ApplicationFailure.nonRetryable('bad credentials', 'AuthError');
      if (kind === 'typed') throw ApplicationFailure.create({ message: 'bad input', type: 'BadInput' });
      if (kind === 'delay' && attempt === 1) {
        throw ApplicationFailure.create({ message: 'rate limited', type: 'RateLimited', nextRetryDelay: '10 minutes' });
      }
      if (kind === 'delay') return `succeeded on attempt ${attempt}`;
      throw new Error(`always fails (attempt ${attempt})`);
    },
    async resumable(total: number): Promise<number[]> {
      const ctx = Context.current();
      const done: number[] = (ctx.info.heartbeatDetails as number[] | undefined) ?? [];
      for (let i = done.length; i < total; i++) {
        done.push(i);
        ctx.heartbeat([...done]);
        if (ctx.info.attempt === 1 && i === 1) throw new Error('crash after two items');
      }
      return done;
    },
    async stall(ms: number): Promise<string> {
      await new Promise((r) => setTimeout(r, ms));
      return 'stalled';
    },
    async waitForCancel(): Promise<string> {
      const ctx = Context.current();
      for (;;) {
        ctx.heartbeat();
        await activitySleep(200);
      }
    },
    async hang(): Promise<string> {
      return 'answered by a healthy worker';
    },
    /** leaves the activity running: the test completes it through the client */
    async completeLater(): Promise<string> {
      const { info } = Context.current();
      asyncStarted.set(info.workflowExecution?.workflowId ?? '', info);
      throw new CompleteAsyncError();
    },
    attemptsOf: (workflowId: string) => attempts.get(workflowId),
    /** the info of the async activity of `workflowId`, once it has started */
    asyncInfo: (workflowId: string) => asyncStarted.get(workflowId),
  };
}
