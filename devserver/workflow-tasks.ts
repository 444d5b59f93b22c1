// Workflow tasks: scheduling (normal or sticky queue), handing one to a poller with the history
// it needs and the updates waiting for it, timeouts, failures, and the two worker answers
// (RespondWorkflowTaskCompleted / Failed). Commands themselves are applied in commands.ts.
import { randomUUID } from 'node:crypto';
import { CommandRejected, TERMINAL, applyCommand, validateCommands } from './commands.js';
import { recordBuildIds } from './build-ids.js';
import { EagerActivities } from './eager-activities.js';
import type { Engine } from './engine.js';
import { dur, makeEvent, pushEvent } from './history.js';
import { type Msg, durationToMs, notFound, ts } from './proto.js';
import { type TokenData, decodeToken, encodeToken } from './tokens.js';
import type { Run, WorkflowTask } from './types.js';
import { applyUpdateMessage, updateRequestMessages } from './updates.js';

/** The real server's defaults for suggesting continue-as-new: 4 Ki events or 4 MiB of history. */
const SUGGEST_CAN_EVENTS = 4 * 1024;
const SUGGEST_CAN_BYTES = 4 * 1024 * 1024;

/**
 * Schedules a workflow task if none is pending. A retry after a failed attempt and a task only
 * for an update (speculative) are kept off history until they complete, as on the real server.
 * `eagerFor` (eager workflow start): the task is started at once for that identity, not queued,
 * and its poll response returned.
 */
export function scheduleWorkflowTask(engine: Engine, run: Run, opts: { speculative?: boolean; eagerFor?: string } = {}): Msg | undefined {
  if (!engine.isOpen(run) || run.wft) return undefined;
  const sticky = run.sticky;
  const attempt = run.nextWftAttempt;
  const speculative = !!opts.speculative && attempt === 1;
  const wft: WorkflowTask = {
    scheduledEventId: 0,
    startedEventId: 0,
    attempt,
    queue: sticky?.queue ?? run.taskQueue,
    sticky: !!sticky,
    scheduledTime: engine.clock.now(),
    nonce: engine.nextNonce(),
    updates: [],
    unwritten: attempt > 1 || speculative,
    speculative,
  };
  run.wft = wft;
  engine.onRunChange(run); // also when kept off history
  if (!wft.unwritten) wft.scheduledEventId = engine.append(run, 'WORKFLOW_TASK_SCHEDULED', 'workflowTaskScheduledEventAttributes', scheduledAttrs(run, wft));
  if (sticky) {
    // a sticky task nobody picks up falls back to the normal queue, with the full history
    wft.cancelTimeout = engine.clock.after(sticky.scheduleToStartMs, () => {
      if (run.wft !== wft || wft.startedEventId > 0) return;
      if (!wft.unwritten) {
        engine.append(run, 'WORKFLOW_TASK_TIMED_OUT', 'workflowTaskTimedOutEventAttributes', {
          scheduledEventId: wft.scheduledEventId,
          startedEventId: 0,
          timeoutType: 'TIMEOUT_TYPE_SCHEDULE_TO_START',
        });
      }
      run.wft = undefined;
      run.sticky = undefined;
      scheduleWorkflowTask(engine, run, { speculative: wft.speculative });
    });
  }
  if (opts.eagerFor !== undefined && !sticky) {
    const task = startWorkflowTask(engine, run, wft, opts.eagerFor);
    engine.changed();
    return task;
  }
  enqueueWorkflowTask(engine, run, wft);
  engine.changed();
  return undefined;
}

function scheduledAttrs(run: Run, wft: WorkflowTask): Msg {
  return {
    taskQueue: wft.sticky
      ? { name: wft.queue, kind: 'TASK_QUEUE_KIND_STICKY', normalName: run.taskQueue }
      : { name: run.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
    startToCloseTimeout: dur(run.wftTimeoutMs),
    attempt: wft.attempt,
  };
}

/** New events arrived for a task kept off history and not yet started: it is written now. */
export function writeWorkflowTaskScheduled(engine: Engine, run: Run, wft: WorkflowTask): void {
  if (!wft.unwritten || wft.startedEventId > 0) return;
  wft.unwritten = false;
  wft.speculative = false;
  wft.scheduledEventId = engine.append(run, 'WORKFLOW_TASK_SCHEDULED', 'workflowTaskScheduledEventAttributes', scheduledAttrs(run, wft));
}

/** A started task kept off history is kept after all: its Scheduled and Started events are written. */
function writePendingEvents(engine: Engine, run: Run, wft: WorkflowTask): void {
  if (!wft.unwritten) return;
  for (const e of wft.pendingEvents ?? []) pushEvent(engine, run, e);
  wft.pendingEvents = undefined;
  wft.unwritten = false;
  wft.speculative = false;
}

export function enqueueWorkflowTask(engine: Engine, run: Run, wft: WorkflowTask): void {
  engine.workflowQueues.add(wft.queue, {
    valid: () => run.wft === wft && wft.startedEventId === 0 && engine.isOpen(run),
    start: (identity) => startWorkflowTask(engine, run, wft, identity),
  });
}

function startWorkflowTask(engine: Engine, run: Run, wft: WorkflowTask, identity: string): Msg | undefined {
  if (run.wft !== wft || wft.startedEventId !== 0 || !engine.isOpen(run)) return undefined;
  wft.cancelTimeout?.();
  const now = engine.clock.now();
  wft.startedTime = now;
  wft.identity = identity;
  const startedAttrs = () => ({
    scheduledEventId: wft.scheduledEventId,
    identity,
    requestId: randomUUID(),
    historySizeBytes: run.historySizeBytes,
    suggestContinueAsNew: run.history.length >= SUGGEST_CAN_EVENTS || run.historySizeBytes >= SUGGEST_CAN_BYTES,
  });
  if (wft.unwritten) {
    // handed to the worker after the written history, but not written (yet)
    wft.scheduledEventId = run.history.length + 1;
    wft.startedEventId = run.history.length + 2;
    wft.pendingEvents = [
      makeEvent(engine, wft.scheduledEventId, 'WORKFLOW_TASK_SCHEDULED', 'workflowTaskScheduledEventAttributes', scheduledAttrs(run, wft)),
      makeEvent(engine, wft.startedEventId, 'WORKFLOW_TASK_STARTED', 'workflowTaskStartedEventAttributes', startedAttrs()),
    ];
  } else {
    wft.startedEventId = engine.append(run, 'WORKFLOW_TASK_STARTED', 'workflowTaskStartedEventAttributes', startedAttrs());
  }
  engine.busyCount++;
  engine.onRunChange(run);
  wft.cancelTimeout = engine.clock.after(run.wftTimeoutMs, () => workflowTaskTimedOut(engine, run, wft));
  const first = wft.sticky ? run.lastCompletedStartedEventId + 1 : 1;
  return {
    taskToken: encodeToken({ k: 'w', ns: run.namespace, wid: run.workflowId, rid: run.runId, n: wft.nonce, e: wft.scheduledEventId }),
    workflowExecution: { workflowId: run.workflowId, runId: run.runId },
    workflowType: { name: run.workflowType },
    previousStartedEventId: run.lastCompletedStartedEventId,
    startedEventId: wft.startedEventId,
    attempt: wft.attempt,
    backlogCountHint: 0,
    history: { events: wft.pendingEvents ? [...run.history.slice(first - 1), ...wft.pendingEvents] : run.history.slice(first - 1) },
    workflowExecutionTaskQueue: { name: run.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
    scheduledTime: ts(wft.scheduledTime),
    startedTime: ts(now),
    messages: updateRequestMessages(run, wft),
  };
}

/** Ends the started workflow task `wft` (completed, failed or timed out). */
export function finishWorkflowTask(engine: Engine, run: Run, wft: WorkflowTask): void {
  wft.cancelTimeout?.();
  if (wft.startedEventId > 0) engine.busyCount--;
  if (run.wft === wft) run.wft = undefined;
  engine.onRunChange(run);
}

/** The started task `wft` timed out (start-to-close, or handed back on shutdown: `quiet`); it is scheduled again. */
export function workflowTaskTimedOut(engine: Engine, run: Run, wft: WorkflowTask, quiet = false): void {
  if (run.wft !== wft || !engine.isOpen(run)) return;
  if (!quiet) engine.log(`workflow task for ${run.workflowId} timed out (attempt ${wft.attempt}); rescheduling on ${run.taskQueue}`);
  finishWorkflowTask(engine, run, wft);
  if (wft.speculative) writePendingEvents(engine, run, wft);
  if (!wft.unwritten) {
    engine.append(run, 'WORKFLOW_TASK_TIMED_OUT', 'workflowTaskTimedOutEventAttributes', {
      scheduledEventId: wft.scheduledEventId,
      startedEventId: wft.startedEventId,
      timeoutType: 'TIMEOUT_TYPE_START_TO_CLOSE',
    });
  }
  run.sticky = undefined;
  run.nextWftAttempt = wft.attempt + 1;
  engine.flushBuffered(run);
  scheduleWorkflowTask(engine, run);
}

/** Resolves a workflow task token to its run and started task, or NOT_FOUND. */
export function startedWorkflowTask(engine: Engine, token: TokenData): { run: Run; wft: WorkflowTask } {
  const run = engine.runsById.get(token.rid);
  const wft = run?.wft;
  if (!run || !wft || token.k !== 'w' || wft.nonce !== token.n || wft.startedEventId === 0) {
    throw notFound('Workflow task not found.');
  }
  return { run, wft };
}

export function failWorkflowTask(engine: Engine, run: Run, wft: WorkflowTask, cause: string, failure: Msg | undefined, identity?: string): void {
  finishWorkflowTask(engine, run, wft);
  // the first failure is written; the retries after it stay transient until one completes
  if (wft.speculative) writePendingEvents(engine, run, wft);
  if (!wft.unwritten) {
    engine.append(run, 'WORKFLOW_TASK_FAILED', 'workflowTaskFailedEventAttributes', {
      scheduledEventId: wft.scheduledEventId,
      startedEventId: wft.startedEventId,
      cause,
      failure,
      identity,
    });
  }
  run.sticky = undefined;
  run.nextWftAttempt = wft.attempt + 1;
  engine.flushBuffered(run);
  scheduleWorkflowTask(engine, run);
  engine.changed();
}

/** After a workflow task ends: release queries waiting for a quiet moment. */
export function afterWorkflowTask(engine: Engine, run: Run): void {
  if (!run.wft) engine.dispatchQueries(run);
  engine.changed();
}

/** RespondWorkflowTaskCompleted: validate every command, then write the task's events in order. */
export function respondWorkflowTaskCompleted(engine: Engine, req: Msg): Msg {
  const token = decodeToken(req.taskToken);
  const { run, wft } = startedWorkflowTask(engine, token);
  const commands: Msg[] = req.commands ?? [];
  const messages = new Map<string, Msg>();
  for (const m of (req.messages ?? []) as Msg[]) messages.set(m.id, m);
  try {
    validateCommands(engine, run, commands, messages);
    // a workflow that closes while new events wait must see them first (as the real server does)
    if (run.buffered.length > 0 && commands.some((c) => TERMINAL.has(c.commandType))) {
      throw new CommandRejected('WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND', 'new events arrived while the workflow task was running');
    }
  } catch (err) {
    if (!(err instanceof CommandRejected)) throw err;
    if (err.failedCause !== 'WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND' || !run.buffered.length) {
      engine.log(`workflow task of ${run.workflowId} rejected: ${err.message}`);
    }
    failWorkflowTask(engine, run, wft, err.failedCause, { message: err.message, source: 'stratus-temporal', serverFailureInfo: {} }, req.identity);
    afterWorkflowTask(engine, run);
    return {};
  }

  finishWorkflowTask(engine, run, wft);
  if (wft.speculative && commands.length === 0 && run.buffered.length === 0 && !req.forceCreateNewWorkflowTask && onlyRejections(messages)) {
    // a speculative task that only rejected updates leaves no trace in history; the worker is
    // told to forget it (resetHistoryEventId: the last started event it may keep)
    for (const m of messages.values()) applyUpdateMessage(engine, run, m);
    if ([...run.updates.values()].some((u) => u.stage === 'admitted')) scheduleWorkflowTask(engine, run, { speculative: true });
    afterWorkflowTask(engine, run);
    return { activityTasks: [], resetHistoryEventId: run.lastCompletedStartedEventId };
  }
  writePendingEvents(engine, run, wft);
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
  recordBuildIds(run, req.workerVersionStamp);
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
  const eager = new EagerActivities(req.identity ?? '');
  for (const c of commands) {
    if (!engine.isOpen(run)) break;
    if (c.commandType === 'COMMAND_TYPE_PROTOCOL_MESSAGE') {
      const id = c.protocolMessageCommandAttributes.messageId;
      usedMessages.add(id);
      applyUpdateMessage(engine, run, messages.get(id)!);
      continue;
    }
    if (applyCommand(engine, run, c, completedId, after, eager)) needNewTask = true;
  }
  // messages without a command (rejections, or acceptances the worker did not sequence)
  for (const m of messages.values()) {
    if (usedMessages.has(m.id) || !engine.isOpen(run)) continue;
    applyUpdateMessage(engine, run, m);
  }

  if (engine.isOpen(run)) {
    if (engine.flushBuffered(run)) needNewTask = true;
    if ([...run.updates.values()].some((u) => u.stage === 'admitted')) needNewTask = true;
    if (needNewTask) scheduleWorkflowTask(engine, run);
  }
  for (const f of after) f();
  afterWorkflowTask(engine, run);
  return { activityTasks: eager.tasks, resetHistoryEventId: 0 };
}

function onlyRejections(messages: Map<string, Msg>): boolean {
  if (messages.size === 0) return false;
  for (const m of messages.values()) {
    if (!String(m.body?.type_url ?? '').endsWith('temporal.api.update.v1.Rejection')) return false;
  }
  return true;
}

export function respondWorkflowTaskFailed(engine: Engine, req: Msg): Msg {
  const token = decodeToken(req.taskToken);
  const { run, wft } = startedWorkflowTask(engine, token);
  failWorkflowTask(engine, run, wft, req.cause ?? 'WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED', req.failure, req.identity);
  // updates delivered with a failed task are rejected by the worker's failure: resend next time
  for (const m of (req.messages ?? []) as Msg[]) applyUpdateMessage(engine, run, m);
  afterWorkflowTask(engine, run);
  return {};
}
