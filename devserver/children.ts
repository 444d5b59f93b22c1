// Children and other workflows: starting a child and reporting its start and close to the
// parent, the parent close policy, and cancel / signal requests to external workflows.
import { randomUUID } from 'node:crypto';
import type { Engine } from './engine.js';
import { mergePriority, runPriority } from './priority.js';
import type { Msg } from './proto.js';
import type { BufferedEvent, HistoryEvent, Run } from './types.js';

export function applyParentClosePolicy(engine: Engine, run: Run): void {
  for (const child of run.children.values()) {
    if (!child.runId) continue;
    const childRun = currentRunOfChain(engine, child.namespace, child.workflowId, child.runId);
    if (!childRun || !engine.isOpen(childRun)) continue;
    const policy = child.parentClosePolicy || 'PARENT_CLOSE_POLICY_TERMINATE';
    if (policy === 'PARENT_CLOSE_POLICY_TERMINATE' || policy === 'PARENT_CLOSE_POLICY_UNSPECIFIED') {
      engine.terminate(childRun, 'by parent close policy', undefined, 'stratus-temporal');
    } else if (policy === 'PARENT_CLOSE_POLICY_REQUEST_CANCEL') {
      engine.requestCancel(childRun, { reason: 'by parent close policy', identity: 'stratus-temporal' });
    }
  }
}

/** The open (or last) run of a chain that started with `runId` (continue-as-new followed). */
export function currentRunOfChain(engine: Engine, ns: string, workflowId: string, runId: string): Run | undefined {
  let run = engine.runsById.get(runId);
  while (run?.newRunId) run = engine.runsById.get(run.newRunId);
  return run && run.namespace === ns && run.workflowId === workflowId ? run : undefined;
}

export function notifyParent(engine: Engine, run: Run): void {
  const p = run.parent;
  if (!p) return;
  const parent = engine.runsById.get(p.runId);
  if (!parent || !engine.isOpen(parent)) return;
  const child = parent.children.get(p.initiatedEventId);
  if (!child) return;
  parent.children.delete(p.initiatedEventId);
  const close = run.history[run.history.length - 1]!;
  const base = {
    namespace: run.namespace,
    workflowExecution: { workflowId: run.workflowId, runId: run.runId },
    workflowType: { name: run.workflowType },
    initiatedEventId: p.initiatedEventId,
    startedEventId: child.startedEventId,
  };
  engine.deliver(parent, [childClosedEvent(run.status, base, close)]);
}

/** The event that tells a parent how its child ended. */
function childClosedEvent(status: string, base: Msg, close: HistoryEvent): BufferedEvent {
  switch (status) {
    case 'WORKFLOW_EXECUTION_STATUS_COMPLETED':
      return {
        eventType: 'CHILD_WORKFLOW_EXECUTION_COMPLETED',
        attrsField: 'childWorkflowExecutionCompletedEventAttributes',
        attrs: { ...base, result: close.workflowExecutionCompletedEventAttributes?.result },
      };
    case 'WORKFLOW_EXECUTION_STATUS_FAILED':
      return {
        eventType: 'CHILD_WORKFLOW_EXECUTION_FAILED',
        attrsField: 'childWorkflowExecutionFailedEventAttributes',
        attrs: {
          ...base,
          failure: close.workflowExecutionFailedEventAttributes?.failure,
          retryState: close.workflowExecutionFailedEventAttributes?.retryState ?? 'RETRY_STATE_NON_RETRYABLE_FAILURE',
        },
      };
    case 'WORKFLOW_EXECUTION_STATUS_CANCELED':
      return {
        eventType: 'CHILD_WORKFLOW_EXECUTION_CANCELED',
        attrsField: 'childWorkflowExecutionCanceledEventAttributes',
        attrs: { ...base, details: close.workflowExecutionCanceledEventAttributes?.details },
      };
    case 'WORKFLOW_EXECUTION_STATUS_TIMED_OUT':
      return { eventType: 'CHILD_WORKFLOW_EXECUTION_TIMED_OUT', attrsField: 'childWorkflowExecutionTimedOutEventAttributes', attrs: { ...base, retryState: 'RETRY_STATE_TIMEOUT' } };
    default:
      return { eventType: 'CHILD_WORKFLOW_EXECUTION_TERMINATED', attrsField: 'childWorkflowExecutionTerminatedEventAttributes', attrs: base };
  }
}

export function startChild(engine: Engine, run: Run, a: Msg, completedId: number, after: Array<() => void>, userMetadata?: Msg): void {
  const ns = a.namespace || run.namespace;
  const initiatedEventId = engine.append(run, 'START_CHILD_WORKFLOW_EXECUTION_INITIATED', 'startChildWorkflowExecutionInitiatedEventAttributes', {
    ...a,
    namespace: ns,
    workflowTaskCompletedEventId: completedId,
  }, userMetadata ? { userMetadata } : {});
  run.children.set(initiatedEventId, {
    initiatedEventId,
    startedEventId: 0,
    namespace: ns,
    workflowId: a.workflowId,
    workflowType: a.workflowType.name,
    parentClosePolicy: a.parentClosePolicy ?? 'PARENT_CLOSE_POLICY_TERMINATE',
  });
  after.push(() => {
    if (!engine.isOpen(run)) return;
    const ref = run.children.get(initiatedEventId)!;
    try {
      const { run: child } = engine.startWorkflow(
        {
          namespace: ns,
          workflowId: a.workflowId,
          workflowType: a.workflowType,
          taskQueue: { name: a.taskQueue?.name || run.taskQueue },
          input: a.input,
          workflowExecutionTimeout: a.workflowExecutionTimeout,
          workflowRunTimeout: a.workflowRunTimeout,
          workflowTaskTimeout: a.workflowTaskTimeout,
          workflowIdReusePolicy: a.workflowIdReusePolicy,
          retryPolicy: a.retryPolicy,
          cronSchedule: a.cronSchedule,
          header: a.header,
          memo: a.memo,
          searchAttributes: a.searchAttributes,
          requestId: randomUUID(),
          identity: `parent ${run.workflowId}`,
          priority: mergePriority(a.priority, runPriority(run)),
        },
        { parent: { namespace: run.namespace, workflowId: run.workflowId, runId: run.runId, initiatedEventId } },
      );
      ref.runId = child.runId;
      engine.deliver(run, [{
        eventType: 'CHILD_WORKFLOW_EXECUTION_STARTED',
        attrsField: 'childWorkflowExecutionStartedEventAttributes',
        childStartedOf: initiatedEventId,
        attrs: {
          namespace: ns,
          initiatedEventId,
          workflowExecution: { workflowId: child.workflowId, runId: child.runId },
          workflowType: a.workflowType,
          header: a.header,
        },
      }]);
    } catch (err) {
      run.children.delete(initiatedEventId);
      const exists = (err as { code?: number }).code === 6;
      if (!exists) engine.log(`child workflow ${a.workflowId} could not start: ${(err as Error).message}`);
      engine.deliver(run, [{
        eventType: 'START_CHILD_WORKFLOW_EXECUTION_FAILED',
        attrsField: 'startChildWorkflowExecutionFailedEventAttributes',
        attrs: {
          namespace: ns,
          workflowId: a.workflowId,
          workflowType: a.workflowType,
          cause: 'START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS',
          control: a.control,
          initiatedEventId,
          workflowTaskCompletedEventId: completedId,
        },
      }]);
    }
    engine.changed();
  });
}

/**
 * The second half of RequestCancelExternal / SignalExternal: after the task completes, act on the
 * target if it is open and tell the initiating workflow whether that worked.
 */
function actOnExternal(
  engine: Engine,
  run: Run,
  after: Array<() => void>,
  x: {
    ns: string;
    execution: Msg;
    initiatedEventId: number;
    completedId: number;
    control?: string;
    act: (target: Run) => void;
    ok: [eventType: string, field: string, extra: Msg];
    failed: [eventType: string, field: string, cause: string];
  },
): void {
  after.push(() => {
    if (!engine.isOpen(run)) return;
    const target = findOpen(engine, x.ns, x.execution);
    if (target) x.act(target);
    engine.deliver(run, [
      target
        ? {
            eventType: x.ok[0],
            attrsField: x.ok[1],
            attrs: { initiatedEventId: x.initiatedEventId, namespace: x.ns, workflowExecution: { workflowId: target.workflowId, runId: target.runId }, ...x.ok[2] },
          }
        : {
            eventType: x.failed[0],
            attrsField: x.failed[1],
            attrs: {
              cause: x.failed[2],
              workflowTaskCompletedEventId: x.completedId,
              namespace: x.ns,
              workflowExecution: x.execution,
              initiatedEventId: x.initiatedEventId,
              control: x.control,
            },
          },
    ]);
    engine.changed();
  });
}

export function cancelExternal(engine: Engine, run: Run, a: Msg, completedId: number, after: Array<() => void>): void {
  const ns = a.namespace || run.namespace;
  const execution = { workflowId: a.workflowId, runId: a.runId };
  const initiatedEventId = engine.append(run, 'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED', 'requestCancelExternalWorkflowExecutionInitiatedEventAttributes', {
    namespace: ns,
    workflowExecution: execution,
    control: a.control,
    childWorkflowOnly: a.childWorkflowOnly,
    reason: a.reason,
    workflowTaskCompletedEventId: completedId,
  });
  actOnExternal(engine, run, after, {
    ns,
    execution,
    initiatedEventId,
    completedId,
    control: a.control,
    act: (target) =>
      engine.requestCancel(target, { reason: a.reason, identity: `workflow ${run.workflowId}` }, {
        initiatedEventId,
        execution: { workflowId: run.workflowId, runId: run.runId },
      }),
    ok: ['EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED', 'externalWorkflowExecutionCancelRequestedEventAttributes', {}],
    failed: [
      'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED',
      'requestCancelExternalWorkflowExecutionFailedEventAttributes',
      'CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND',
    ],
  });
}

export function signalExternal(engine: Engine, run: Run, a: Msg, completedId: number, after: Array<() => void>): void {
  const ns = a.namespace || run.namespace;
  const execution = { workflowId: a.execution?.workflowId, runId: a.execution?.runId };
  const initiatedEventId = engine.append(run, 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED', 'signalExternalWorkflowExecutionInitiatedEventAttributes', {
    namespace: ns,
    workflowExecution: execution,
    signalName: a.signalName,
    input: a.input,
    control: a.control,
    childWorkflowOnly: a.childWorkflowOnly,
    header: a.header,
    workflowTaskCompletedEventId: completedId,
  });
  actOnExternal(engine, run, after, {
    ns,
    execution,
    initiatedEventId,
    completedId,
    control: a.control,
    act: (target) => engine.signal(target, { signalName: a.signalName, input: a.input, header: a.header, identity: `workflow ${run.workflowId}` }),
    ok: ['EXTERNAL_WORKFLOW_EXECUTION_SIGNALED', 'externalWorkflowExecutionSignaledEventAttributes', { control: a.control }],
    failed: [
      'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED',
      'signalExternalWorkflowExecutionFailedEventAttributes',
      'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND',
    ],
  });
}

function findOpen(engine: Engine, ns: string, execution: Msg): Run | undefined {
  try {
    const target = engine.findRun(ns, execution);
    return engine.isOpen(target) ? target : undefined;
  } catch {
    return undefined;
  }
}
