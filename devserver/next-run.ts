// The next run of a workflow id: continue-as-new, workflow retries (a retryable failure or run
// timeout starts attempt + 1 after the retry policy's backoff) and cron runs (the next run at the
// schedule's next time), as the real server chains them: the closing run's event names the new
// run, the new run's started event says why it exists (initiator, attempt, failure, last result).
import { randomUUID } from 'node:crypto';
import { inheritedSearchAttributes } from './build-ids.js';
import { decideRetry } from './activity-rules.js';
import { cronBackoffMs, parseCron } from './cron.js';
import type { Engine } from './engine.js';
import { CLOSE_EVENT_FIELDS, dur } from './history.js';
import { type Msg, durationToMs } from './proto.js';
import type { Run } from './types.js';

type Outcome = keyof typeof CLOSE_EVENT_FIELDS | 'TIMED_OUT';

const startedAttrs = (run: Run): Msg => run.history[0]?.workflowExecutionStartedEventAttributes ?? {};

interface Plan {
  retryState: string;
  next?: { initiator: string; backoffMs: number; runAt: number; attempt: number; lastCompletionResult?: Msg; failure?: Msg };
}

function plan(engine: Engine, run: Run, outcome: Outcome, attrs: Msg, failure: Msg | undefined): Plan {
  const started = startedAttrs(run);
  const now = engine.clock.now();
  let retryState = outcome === 'TIMED_OUT' ? 'RETRY_STATE_TIMEOUT' : 'RETRY_STATE_RETRY_POLICY_NOT_SET';
  if (outcome !== 'COMPLETED' && started.retryPolicy) {
    const expiration = durationToMs(started.workflowExecutionExpirationTime) ?? 0;
    const decision = decideRetry({
      policy: started.retryPolicy,
      attempt: Number(started.attempt ?? 1),
      failure,
      now,
      // the whole execution (all attempts) must end by its expiration time
      firstScheduledTime: 0,
      scheduleToCloseMs: expiration,
    });
    if (decision.retry) {
      return {
        retryState: 'RETRY_STATE_IN_PROGRESS',
        next: {
          initiator: 'CONTINUE_AS_NEW_INITIATOR_RETRY',
          backoffMs: decision.delayMs,
          runAt: now + decision.delayMs,
          attempt: Number(started.attempt ?? 1) + 1,
          lastCompletionResult: started.lastCompletionResult,
          failure,
        },
      };
    }
    retryState = decision.retryState;
  }
  if (started.cronSchedule) {
    const backoffMs = cronBackoffMs(parseCron(started.cronSchedule), run.executionTime, now);
    return {
      retryState,
      next: {
        initiator: 'CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE',
        backoffMs,
        runAt: now + backoffMs,
        attempt: 1,
        lastCompletionResult: outcome === 'COMPLETED' ? attrs.result : started.lastCompletionResult,
        failure,
      },
    };
  }
  return { retryState };
}

/**
 * Closes a run that completed, failed or timed out, starting the next run when its retry
 * policy or cron schedule asks for one.
 */
export function closeWithNextRun(engine: Engine, run: Run, outcome: Outcome, attrs: Msg, failure?: Msg): void {
  const { retryState, next } = plan(engine, run, outcome, attrs, failure);
  const newRunId = next ? randomUUID() : undefined;
  const field = outcome === 'TIMED_OUT' ? 'workflowExecutionTimedOutEventAttributes' : CLOSE_EVENT_FIELDS[outcome];
  const closeAttrs = outcome === 'COMPLETED' || outcome === 'CANCELED' ? { ...attrs, newExecutionRunId: newRunId } : { ...attrs, retryState, newExecutionRunId: newRunId };
  engine.append(run, `WORKFLOW_EXECUTION_${outcome}`, field, closeAttrs);
  run.newRunId = newRunId;
  engine.close(run, `WORKFLOW_EXECUTION_STATUS_${outcome}`);
  if (!next || !newRunId) return;
  const started = startedAttrs(run);
  const { run: nextRun } = engine.startWorkflow(
    {
      namespace: run.namespace,
      workflowId: run.workflowId,
      workflowType: started.workflowType,
      taskQueue: started.taskQueue,
      input: started.input,
      workflowExecutionTimeout: started.workflowExecutionTimeout,
      workflowRunTimeout: started.workflowRunTimeout,
      workflowTaskTimeout: started.workflowTaskTimeout,
      header: started.header,
      memo: started.memo,
      searchAttributes: started.searchAttributes,
      retryPolicy: started.retryPolicy,
      cronSchedule: started.cronSchedule,
      identity: started.identity,
    },
    {
      parent: run.parent,
      continuedFrom: run,
      newRunId,
      attempt: next.attempt,
      expirationTime: next.initiator === 'CONTINUE_AS_NEW_INITIATOR_RETRY' ? durationToMs(started.workflowExecutionExpirationTime) : undefined,
      runAt: next.runAt,
      canAttrs: {
        initiator: next.initiator,
        backoffStartInterval: dur(next.backoffMs),
        failure: next.failure,
        lastCompletionResult: next.lastCompletionResult,
      },
    },
  );
  followChain(engine, run, nextRun);
}

export function continueAsNew(engine: Engine, run: Run, a: Msg, completedId: number): void {
  const newRunId = randomUUID();
  const workflowType = a.workflowType?.name || run.workflowType;
  const taskQueue = a.taskQueue?.name || run.taskQueue;
  const memo = a.memo ?? run.memo;
  const inherited = inheritedSearchAttributes(run.searchAttributes);
  const searchAttributes = a.searchAttributes ?? (Object.keys(inherited).length ? { indexedFields: inherited } : undefined);
  engine.append(run, 'WORKFLOW_EXECUTION_CONTINUED_AS_NEW', 'workflowExecutionContinuedAsNewEventAttributes', {
    newExecutionRunId: newRunId,
    workflowType: { name: workflowType },
    taskQueue: { name: taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
    input: a.input,
    workflowRunTimeout: a.workflowRunTimeout,
    workflowTaskTimeout: a.workflowTaskTimeout,
    workflowTaskCompletedEventId: completedId,
    backoffStartInterval: a.backoffStartInterval,
    initiator: a.initiator,
    failure: a.failure,
    lastCompletionResult: a.lastCompletionResult,
    header: a.header,
    memo,
    searchAttributes,
  });
  run.newRunId = newRunId;
  engine.close(run, 'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW');
  const started = startedAttrs(run);
  const { run: next } = engine.startWorkflow(
    {
      namespace: run.namespace,
      workflowId: run.workflowId,
      workflowType: { name: workflowType },
      taskQueue: { name: taskQueue },
      input: a.input,
      workflowRunTimeout: a.workflowRunTimeout,
      workflowTaskTimeout: a.workflowTaskTimeout ?? dur(run.wftTimeoutMs),
      header: a.header,
      memo,
      searchAttributes,
      retryPolicy: a.retryPolicy ?? started.retryPolicy,
      cronSchedule: started.cronSchedule,
      identity: 'continue-as-new',
    },
    { parent: run.parent, continuedFrom: run, canAttrs: a, newRunId, expirationTime: durationToMs(started.workflowExecutionExpirationTime) },
  );
  followChain(engine, run, next);
}

/** The parent keeps following the chain of its child's runs. */
function followChain(engine: Engine, run: Run, next: Run): void {
  if (!run.parent) return;
  const parent = engine.runsById.get(run.parent.runId);
  const ref = parent?.children.get(run.parent.initiatedEventId);
  if (ref) ref.runId = next.runId;
}
