// The next run of a workflow id: continue-as-new (and, with the same mechanism, workflow
// retries and cron runs).
import { randomUUID } from 'node:crypto';
import type { Engine } from './engine.js';
import { dur } from './history.js';
import type { Msg } from './proto.js';
import type { Run } from './types.js';

export function continueAsNew(engine: Engine, run: Run, a: Msg, completedId: number): void {
  const newRunId = randomUUID();
  const workflowType = a.workflowType?.name || run.workflowType;
  const taskQueue = a.taskQueue?.name || run.taskQueue;
  const memo = a.memo ?? run.memo;
  const searchAttributes = a.searchAttributes ?? (Object.keys(run.searchAttributes).length ? { indexedFields: run.searchAttributes } : undefined);
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
      retryPolicy: a.retryPolicy,
      identity: 'continue-as-new',
    },
    { parent: run.parent, continuedFrom: run, canAttrs: a, newRunId },
  );
  // the parent keeps following the chain
  if (run.parent) {
    const parent = engine.runsById.get(run.parent.runId);
    const ref = parent?.children.get(run.parent.initiatedEventId);
    if (ref) ref.runId = next.runId;
  }
}
