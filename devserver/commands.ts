// RespondWorkflowTaskCompleted: validate every command first (a rejected task writes nothing but
// WorkflowTaskFailed), then write WorkflowTaskCompleted and the commands' events in order.
import { randomUUID } from 'node:crypto';
import { fillActivityTimeouts, fillRetryPolicy } from './activity-rules.js';
import { enqueueActivity, requestCancelActivity } from './activities.js';
import { type Engine, decodeToken } from './engine.js';
import { type Msg, decode, durationToMs, encode, invalidArgument } from './proto.js';
import type { Run, UpdateState } from './types.js';

const TERMINAL = new Set([
  'COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION',
  'COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION',
  'COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION',
  'COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION',
]);

const SUPPORTED = new Set([
  ...TERMINAL,
  'COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK',
  'COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK',
  'COMMAND_TYPE_START_TIMER',
  'COMMAND_TYPE_CANCEL_TIMER',
  'COMMAND_TYPE_RECORD_MARKER',
  'COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION',
  'COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION',
  'COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION',
  'COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
  'COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES',
  'COMMAND_TYPE_PROTOCOL_MESSAGE',
]);

class CommandRejected extends Error {
  constructor(
    readonly failedCause: string,
    message: string,
  ) {
    super(message);
  }
}

function validate(engine: Engine, run: Run, commands: Msg[], messages: Map<string, Msg>): void {
  const timerIds = new Set(run.timers.keys());
  const activityIds = new Set([...run.activities.values()].map((a) => a.activityId));
  let terminal = false;
  for (const c of commands) {
    const type = c.commandType as string;
    if (terminal) throw new CommandRejected('WORKFLOW_TASK_FAILED_CAUSE_BAD_COMMAND', `command ${type} follows a command that closes the workflow`);
    if (!SUPPORTED.has(type)) {
      throw new CommandRejected('WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND', `the stratus embedded Temporal server does not support ${type}`);
    }
    if (TERMINAL.has(type)) terminal = true;
    switch (type) {
      case 'COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK': {
        const a = c.scheduleActivityTaskCommandAttributes ?? {};
        if (!a.activityId) throw new CommandRejected('WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES', 'ActivityId is not set.');
        if (!a.activityType?.name) throw new CommandRejected('WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES', 'ActivityType is not set.');
        if (activityIds.has(a.activityId)) throw new CommandRejected('WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES', `Activity id ${a.activityId} already in use.`);
        activityIds.add(a.activityId);
        const t = fillActivityTimeouts(a, run.runTimeoutMs);
        if (typeof t === 'string') throw new CommandRejected('WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES', t);
        break;
      }
      case 'COMMAND_TYPE_START_TIMER': {
        const a = c.startTimerCommandAttributes ?? {};
        if (!a.timerId) throw new CommandRejected('WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES', 'TimerId is not set.');
        if (timerIds.has(a.timerId)) throw new CommandRejected('WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID', `TimerId ${a.timerId} already in use.`);
        if ((durationToMs(a.startToFireTimeout) ?? 0) <= 0) throw new CommandRejected('WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES', 'A valid StartToFireTimeout is not set on command.');
        timerIds.add(a.timerId);
        break;
      }
      case 'COMMAND_TYPE_CANCEL_TIMER': {
        const id = c.cancelTimerCommandAttributes?.timerId;
        if (!timerIds.has(id)) throw new CommandRejected('WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES', `TimerId ${id} is not a started timer.`);
        timerIds.delete(id);
        break;
      }
      case 'COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION': {
        const a = c.startChildWorkflowExecutionCommandAttributes ?? {};
        if (!a.workflowId || !a.workflowType?.name) throw new CommandRejected('WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES', 'WorkflowId and WorkflowType are required.');
        const ns = a.namespace || run.namespace;
        if (!engine.namespaces.has(ns)) throw new CommandRejected('WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES', `Namespace ${ns} is not found.`);
        checkSearchAttributes(engine, a.searchAttributes, 'WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES');
        break;
      }
      case 'COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION':
        checkSearchAttributes(engine, c.continueAsNewWorkflowExecutionCommandAttributes?.searchAttributes, 'WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES');
        break;
      case 'COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES':
        checkSearchAttributes(engine, c.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes, 'WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES');
        break;
      case 'COMMAND_TYPE_PROTOCOL_MESSAGE': {
        const id = c.protocolMessageCommandAttributes?.messageId;
        if (!messages.has(id)) throw new CommandRejected('WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE', `protocol message ${id} not found in the task's messages`);
        break;
      }
      default:
        break;
    }
  }
}

function checkSearchAttributes(engine: Engine, sa: Msg | undefined, cause: string): void {
  const result = engine.searchAttributes.validate(sa?.indexedFields ?? {});
  if (typeof result === 'string') throw new CommandRejected(cause, result);
}

export function respondWorkflowTaskCompleted(engine: Engine, req: Msg): Msg {
  const token = decodeToken(req.taskToken);
  const { run, wft } = engine.startedWorkflowTask(token);
  const commands: Msg[] = req.commands ?? [];
  const messages = new Map<string, Msg>();
  for (const m of (req.messages ?? []) as Msg[]) messages.set(m.id, m);
  try {
    validate(engine, run, commands, messages);
    // a workflow that closes while new events wait must see them first (as the real server does)
    if (run.buffered.length > 0 && commands.some((c) => TERMINAL.has(c.commandType))) {
      throw new CommandRejected('WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND', 'new events arrived while the workflow task was running');
    }
  } catch (err) {
    if (!(err instanceof CommandRejected)) throw err;
    if (err.failedCause !== 'WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND' || !run.buffered.length) {
      engine.log(`workflow task of ${run.workflowId} rejected: ${err.message}`);
    }
    engine.failWorkflowTask(run, wft, err.failedCause, { message: err.message, source: 'stratus-temporal', serverFailureInfo: {} }, req.identity);
    engine.afterWorkflowTask(run);
    return {};
  }

  engine.finishWorkflowTask(run, wft);
  const completedId = engine.append(run, 'WORKFLOW_TASK_COMPLETED', 'workflowTaskCompletedEventAttributes', {
    scheduledEventId: wft.scheduledEventId,
    startedEventId: wft.startedEventId,
    identity: req.identity,
    binaryChecksum: req.binaryChecksum,
    workerVersion: req.workerVersionStamp,
    sdkMetadata: req.sdkMetadata,
    meteringMetadata: req.meteringMetadata,
    deployment: req.deployment,
    versioningBehavior: req.versioningBehavior,
  });
  run.lastCompletedStartedEventId = wft.startedEventId;
  run.nextWftAttempt = 1;
  if (req.stickyAttributes?.workerTaskQueue?.name) {
    run.sticky = {
      queue: req.stickyAttributes.workerTaskQueue.name,
      scheduleToStartMs: durationToMs(req.stickyAttributes.scheduleToStartTimeout) || 5000,
    };
  } else {
    run.sticky = undefined;
  }

  let needNewTask = !!req.forceCreateNewWorkflowTask;
  const usedMessages = new Set<string>();
  const after: Array<() => void> = [];
  for (const c of commands) {
    if (!engine.isOpen(run)) break;
    const more = applyCommand(engine, run, c, completedId, messages, usedMessages, after);
    if (more) needNewTask = true;
  }
  // messages without a command (rejections, or acceptances the worker did not sequence)
  for (const m of messages.values()) {
    if (usedMessages.has(m.id) || !engine.isOpen(run)) continue;
    applyMessage(engine, run, m, completedId);
  }

  if (engine.isOpen(run)) {
    if (engine.flushBuffered(run)) needNewTask = true;
    if ([...run.updates.values()].some((u) => u.stage === 'admitted')) needNewTask = true;
    if (needNewTask) engine.scheduleWorkflowTask(run);
  }
  for (const f of after) f();
  engine.afterWorkflowTask(run);
  return { activityTasks: [], resetHistoryEventId: 0 };
}

export function respondWorkflowTaskFailed(engine: Engine, req: Msg): Msg {
  const token = decodeToken(req.taskToken);
  const { run, wft } = engine.startedWorkflowTask(token);
  engine.failWorkflowTask(run, wft, req.cause ?? 'WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED', req.failure, req.identity);
  // updates delivered with a failed task are rejected by the worker's failure: resend next time
  for (const m of (req.messages ?? []) as Msg[]) applyMessage(engine, run, m, 0);
  engine.afterWorkflowTask(run);
  return {};
}

/** Applies one command; returns true when it requires a new workflow task. */
function applyCommand(
  engine: Engine,
  run: Run,
  c: Msg,
  completedId: number,
  messages: Map<string, Msg>,
  usedMessages: Set<string>,
  after: Array<() => void>,
): boolean {
  const wtc = { workflowTaskCompletedEventId: completedId };
  const userMetadata = c.userMetadata ? { userMetadata: c.userMetadata } : {};
  switch (c.commandType as string) {
    case 'COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK': {
      const a = c.scheduleActivityTaskCommandAttributes;
      const t = fillActivityTimeouts(a, run.runTimeoutMs) as Exclude<ReturnType<typeof fillActivityTimeouts>, string>;
      const retryPolicy = fillRetryPolicy(a.retryPolicy);
      const dur = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
      const scheduledEventId = engine.append(run, 'ACTIVITY_TASK_SCHEDULED', 'activityTaskScheduledEventAttributes', {
        activityId: a.activityId,
        activityType: a.activityType,
        taskQueue: { name: a.taskQueue?.name || run.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
        header: a.header,
        input: a.input,
        scheduleToCloseTimeout: dur(t.scheduleToCloseMs),
        scheduleToStartTimeout: dur(t.scheduleToStartMs),
        startToCloseTimeout: dur(t.startToCloseMs),
        heartbeatTimeout: dur(t.heartbeatMs),
        retryPolicy,
        priority: a.priority,
        ...wtc,
      }, userMetadata);
      const now = engine.clock.now();
      const state = {
        scheduledEventId,
        activityId: a.activityId,
        activityType: a.activityType.name,
        taskQueue: a.taskQueue?.name || run.taskQueue,
        input: a.input,
        header: a.header,
        ...t,
        retryPolicy,
        attempt: 1,
        state: 'scheduled' as const,
        firstScheduledTime: now,
        attemptScheduledTime: now,
        cancelRequested: false,
        nonce: engine.nextNonce(),
        timers: [],
      };
      run.activities.set(scheduledEventId, state);
      after.push(() => enqueueActivity(engine, run, state));
      return false;
    }
    case 'COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK': {
      const scheduledEventId = c.requestCancelActivityTaskCommandAttributes?.scheduledEventId;
      const cancelId = engine.append(run, 'ACTIVITY_TASK_CANCEL_REQUESTED', 'activityTaskCancelRequestedEventAttributes', {
        scheduledEventId,
        ...wtc,
      });
      return requestCancelActivity(engine, run, scheduledEventId, cancelId);
    }
    case 'COMMAND_TYPE_START_TIMER': {
      const a = c.startTimerCommandAttributes;
      const startedEventId = engine.append(run, 'TIMER_STARTED', 'timerStartedEventAttributes', {
        timerId: a.timerId,
        startToFireTimeout: a.startToFireTimeout,
        ...wtc,
      }, userMetadata);
      armTimer(engine, run, a.timerId, startedEventId, engine.clock.now() + (durationToMs(a.startToFireTimeout) ?? 0));
      return false;
    }
    case 'COMMAND_TYPE_CANCEL_TIMER': {
      const id = c.cancelTimerCommandAttributes.timerId;
      const timer = run.timers.get(id)!;
      timer.cancel();
      run.timers.delete(id);
      engine.append(run, 'TIMER_CANCELED', 'timerCanceledEventAttributes', {
        timerId: id,
        startedEventId: timer.startedEventId,
        ...wtc,
      });
      return false;
    }
    case 'COMMAND_TYPE_RECORD_MARKER': {
      const a = c.recordMarkerCommandAttributes;
      engine.append(run, 'MARKER_RECORDED', 'markerRecordedEventAttributes', {
        markerName: a.markerName,
        details: a.details,
        header: a.header,
        failure: a.failure,
        ...wtc,
      });
      return false;
    }
    case 'COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES': {
      const sa = c.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes;
      for (const [k, v] of Object.entries((sa?.indexedFields ?? {}) as Record<string, Msg>)) {
        if (!v?.data || (v.data as Uint8Array).length === 0) delete run.searchAttributes[k];
        else run.searchAttributes[k] = v;
      }
      engine.append(run, 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', 'upsertWorkflowSearchAttributesEventAttributes', {
        searchAttributes: sa,
        ...wtc,
      });
      return false;
    }
    case 'COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES': {
      const memo = c.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo;
      const fields = { ...(run.memo?.fields ?? {}) } as Record<string, Msg>;
      for (const [k, v] of Object.entries((memo?.fields ?? {}) as Record<string, Msg>)) {
        if (!v?.data || (v.data as Uint8Array).length === 0) delete fields[k];
        else fields[k] = v;
      }
      run.memo = { fields };
      engine.append(run, 'WORKFLOW_PROPERTIES_MODIFIED', 'workflowPropertiesModifiedEventAttributes', {
        upsertedMemo: memo,
        ...wtc,
      });
      return false;
    }
    case 'COMMAND_TYPE_PROTOCOL_MESSAGE': {
      const id = c.protocolMessageCommandAttributes.messageId;
      usedMessages.add(id);
      return applyMessage(engine, run, messages.get(id)!, completedId);
    }
    case 'COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION':
      closeRun(engine, run, 'COMPLETED', { result: c.completeWorkflowExecutionCommandAttributes?.result, ...wtc });
      return false;
    case 'COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION':
      closeRun(engine, run, 'FAILED', {
        failure: c.failWorkflowExecutionCommandAttributes?.failure,
        retryState: 'RETRY_STATE_RETRY_POLICY_NOT_SET',
        ...wtc,
      });
      return false;
    case 'COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION':
      closeRun(engine, run, 'CANCELED', { details: c.cancelWorkflowExecutionCommandAttributes?.details, ...wtc });
      return false;
    case 'COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION':
      continueAsNew(engine, run, c.continueAsNewWorkflowExecutionCommandAttributes ?? {}, completedId);
      return false;
    case 'COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION':
      startChild(engine, run, c.startChildWorkflowExecutionCommandAttributes, completedId, after);
      return false;
    case 'COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION':
      cancelExternal(engine, run, c.requestCancelExternalWorkflowExecutionCommandAttributes, completedId, after);
      return false;
    case 'COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION':
      signalExternal(engine, run, c.signalExternalWorkflowExecutionCommandAttributes, completedId, after);
      return false;
    default:
      return false;
  }
}

const CLOSE_EVENT_FIELDS = {
  COMPLETED: 'workflowExecutionCompletedEventAttributes',
  FAILED: 'workflowExecutionFailedEventAttributes',
  CANCELED: 'workflowExecutionCanceledEventAttributes',
} as const;

/** Writes the close event a workflow asked for and closes the run with the matching status. */
function closeRun(engine: Engine, run: Run, outcome: keyof typeof CLOSE_EVENT_FIELDS, attrs: Msg): void {
  engine.append(run, `WORKFLOW_EXECUTION_${outcome}`, CLOSE_EVENT_FIELDS[outcome], attrs);
  engine.close(run, `WORKFLOW_EXECUTION_STATUS_${outcome}`);
}

/** Arms a user timer (also used when a persisted run is restored). */
export function armTimer(engine: Engine, run: Run, timerId: string, startedEventId: number, at: number): void {
  const cancel = engine.clock.at(at, () => {
    if (!run.timers.delete(timerId)) return;
    engine.deliver(run, () => {
      engine.append(run, 'TIMER_FIRED', 'timerFiredEventAttributes', { timerId, startedEventId });
    });
    engine.changed();
  });
  run.timers.set(timerId, { startedEventId, at, cancel });
}

/** Update protocol messages from the worker: acceptance, rejection, response. */
function applyMessage(engine: Engine, run: Run, m: Msg, _completedId: number): boolean {
  const body = m.body;
  const url = String(body?.type_url ?? '').replace(/^type\.googleapis\.com\//, '');
  const u: UpdateState | undefined = run.updates.get(m.protocolInstanceId);
  if (!u || !url) return false;
  const value = decode(url, body.value as Uint8Array);
  if (url === 'temporal.api.update.v1.Acceptance') {
    if (u.stage !== 'admitted') return false;
    u.acceptedEventId = engine.append(run, 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED', 'workflowExecutionUpdateAcceptedEventAttributes', {
      protocolInstanceId: u.id,
      acceptedRequestMessageId: value.acceptedRequestMessageId,
      acceptedRequestSequencingEventId: value.acceptedRequestSequencingEventId,
      acceptedRequest: value.acceptedRequest,
    });
    u.stage = 'accepted';
  } else if (url === 'temporal.api.update.v1.Rejection') {
    if (u.stage !== 'admitted') return false;
    u.stage = 'completed';
    u.outcome = { failure: value.failure };
    run.updates.delete(u.id); // a rejected update leaves no trace in history
  } else if (url === 'temporal.api.update.v1.Response') {
    if (u.stage !== 'accepted') return false;
    engine.append(run, 'WORKFLOW_EXECUTION_UPDATE_COMPLETED', 'workflowExecutionUpdateCompletedEventAttributes', {
      meta: value.meta,
      acceptedEventId: u.acceptedEventId,
      outcome: value.outcome,
    });
    u.stage = 'completed';
    u.outcome = value.outcome;
  }
  engine.settleUpdate(u);
  return false;
}


function continueAsNew(engine: Engine, run: Run, a: Msg, completedId: number): void {
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
      workflowTaskTimeout: a.workflowTaskTimeout ?? { seconds: Math.floor(run.wftTimeoutMs / 1000), nanos: (run.wftTimeoutMs % 1000) * 1e6 },
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

function startChild(engine: Engine, run: Run, a: Msg, completedId: number, after: Array<() => void>): void {
  const ns = a.namespace || run.namespace;
  const initiatedEventId = engine.append(run, 'START_CHILD_WORKFLOW_EXECUTION_INITIATED', 'startChildWorkflowExecutionInitiatedEventAttributes', {
    ...a,
    namespace: ns,
    workflowTaskCompletedEventId: completedId,
  });
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
        },
        { parent: { namespace: run.namespace, workflowId: run.workflowId, runId: run.runId, initiatedEventId } },
      );
      ref.runId = child.runId;
      engine.deliver(run, () => {
        ref.startedEventId = engine.append(run, 'CHILD_WORKFLOW_EXECUTION_STARTED', 'childWorkflowExecutionStartedEventAttributes', {
          namespace: ns,
          initiatedEventId,
          workflowExecution: { workflowId: child.workflowId, runId: child.runId },
          workflowType: a.workflowType,
          header: a.header,
        });
      });
    } catch (err) {
      run.children.delete(initiatedEventId);
      const exists = (err as { code?: number }).code === 6;
      if (!exists) engine.log(`child workflow ${a.workflowId} could not start: ${(err as Error).message}`);
      engine.deliver(run, () => {
        engine.append(run, 'START_CHILD_WORKFLOW_EXECUTION_FAILED', 'startChildWorkflowExecutionFailedEventAttributes', {
          namespace: ns,
          workflowId: a.workflowId,
          workflowType: a.workflowType,
          cause: 'START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS',
          control: a.control,
          initiatedEventId,
          workflowTaskCompletedEventId: completedId,
        });
      });
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
    engine.deliver(run, () => {
      if (target) {
        engine.append(run, x.ok[0], x.ok[1], {
          initiatedEventId: x.initiatedEventId,
          namespace: x.ns,
          workflowExecution: { workflowId: target.workflowId, runId: target.runId },
          ...x.ok[2],
        });
      } else {
        engine.append(run, x.failed[0], x.failed[1], {
          cause: x.failed[2],
          workflowTaskCompletedEventId: x.completedId,
          namespace: x.ns,
          workflowExecution: x.execution,
          initiatedEventId: x.initiatedEventId,
          control: x.control,
        });
      }
    });
    engine.changed();
  });
}

function cancelExternal(engine: Engine, run: Run, a: Msg, completedId: number, after: Array<() => void>): void {
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

function signalExternal(engine: Engine, run: Run, a: Msg, completedId: number, after: Array<() => void>): void {
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

/** Encodes an update request as the worker receives it in a protocol message. */
export function encodeUpdateRequest(request: Msg): Buffer {
  if (!request) throw invalidArgument('Update request is not set.');
  return encode('temporal.api.update.v1.Request', request);
}
