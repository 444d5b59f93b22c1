// The commands of a completed workflow task: validated all first (a rejected task writes
// nothing but WorkflowTaskFailed), then applied in order. Activities, timers, markers, search
// attributes and memo are written here; closing, continue-as-new, children and external
// workflows are handed to history.ts, next-run.ts and children.ts.
import { fillActivityTimeouts, fillRetryPolicy } from './activity-rules.js';
import { enqueueActivity, requestCancelActivity } from './activities.js';
import { cancelExternal, signalExternal, startChild } from './children.js';
import type { Engine } from './engine.js';
import type { EagerActivities } from './eager-activities.js';
import { dur, writeClose } from './history.js';
import { closeWithNextRun, continueAsNew } from './next-run.js';
import { mergePriority, runPriority } from './priority.js';
import { type Msg, durationToMs } from './proto.js';
import type { Run } from './types.js';

export const TERMINAL = new Set([
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

export class CommandRejected extends Error {
  constructor(
    readonly failedCause: string,
    message: string,
  ) {
    super(message);
  }
}

export function validateCommands(engine: Engine, run: Run, commands: Msg[], messages: Map<string, Msg>): void {
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

/** Applies one command; returns true when it requires a new workflow task. */
export function applyCommand(
  engine: Engine,
  run: Run,
  c: Msg,
  completedId: number,
  after: Array<() => void>,
  eager?: EagerActivities,
): boolean {
  const wtc = { workflowTaskCompletedEventId: completedId };
  const userMetadata = c.userMetadata ? { userMetadata: c.userMetadata } : {};
  switch (c.commandType as string) {
    case 'COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK': {
      const a = c.scheduleActivityTaskCommandAttributes;
      const t = fillActivityTimeouts(a, run.runTimeoutMs) as Exclude<ReturnType<typeof fillActivityTimeouts>, string>;
      const retryPolicy = fillRetryPolicy(a.retryPolicy);
      const priority = mergePriority(a.priority, runPriority(run));
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
        priority,
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
        priority,
        attempt: 1,
        state: 'scheduled' as const,
        firstScheduledTime: now,
        attemptScheduledTime: now,
        cancelRequested: false,
        nonce: engine.nextNonce(),
        timers: [],
      };
      run.activities.set(scheduledEventId, state);
      if (eager?.claim(run, state, !!a.requestEagerExecution)) after.push(() => eager.start(engine, run, state));
      else after.push(() => enqueueActivity(engine, run, state));
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
      const typed = engine.searchAttributes.validate(sa?.indexedFields ?? {}) as Record<string, Msg>;
      for (const [k, v] of Object.entries(typed)) {
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
    case 'COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION':
      closeWithNextRun(engine, run, 'COMPLETED', { result: c.completeWorkflowExecutionCommandAttributes?.result, ...wtc });
      return false;
    case 'COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION': {
      const failure = c.failWorkflowExecutionCommandAttributes?.failure;
      closeWithNextRun(engine, run, 'FAILED', { failure, ...wtc }, failure);
      return false;
    }
    case 'COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION':
      writeClose(engine, run, 'CANCELED', { details: c.cancelWorkflowExecutionCommandAttributes?.details, ...wtc });
      return false;
    case 'COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION':
      continueAsNew(engine, run, c.continueAsNewWorkflowExecutionCommandAttributes ?? {}, completedId);
      return false;
    case 'COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION':
      startChild(engine, run, c.startChildWorkflowExecutionCommandAttributes, completedId, after, c.userMetadata);
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

/** Arms a user timer (also used when a persisted run is restored). */
export function armTimer(engine: Engine, run: Run, timerId: string, startedEventId: number, at: number): void {
  const cancel = engine.clock.at(at, () => {
    if (!run.timers.delete(timerId)) return;
    engine.deliver(run, [{ eventType: 'TIMER_FIRED', attrsField: 'timerFiredEventAttributes', attrs: { timerId, startedEventId } }]);
    engine.changed();
  });
  run.timers.set(timerId, { startedEventId, at, cancel });
}

