// The execution engine of the embedded server: runs, their histories and workflow tasks, with
// the event shapes and ordering of the real Temporal server. Commands live in commands.ts,
// activities in activities.ts; this file owns runs, workflow tasks, signals, cancellation,
// termination, queries, updates and closing.
import { randomUUID } from 'node:crypto';
import { Clock } from './clock.js';
import { type Msg, GrpcError, alreadyExists, invalidArgument, notFound, ts, durationToMs, type } from './proto.js';
import { TaskQueues, type Task } from './task-queues.js';
import type { HistoryEvent, QueryState, Run, RunStatus, UpdateState, WorkflowTask, ActivityState } from './types.js';
import { SearchAttributeRegistry } from './visibility.js';

export const DEFAULT_WFT_TIMEOUT_MS = 10_000;
const MAX_WFT_TIMEOUT_MS = 120_000;
const UPDATE_LONG_POLL_MS = 20_000;
const HISTORY_LONG_POLL_MS = 20_000;
/** a query task a worker took but did not answer goes out again after this long */
const QUERY_TASK_TIMEOUT_MS = 5_000;
/** a query nobody answers fails after this long (DEADLINE_EXCEEDED) */
const QUERY_DEADLINE_MS = 30_000;
/** The real server's defaults for suggesting continue-as-new: 4 Ki events or 4 MiB of history. */
const SUGGEST_CAN_EVENTS = 4 * 1024;
const SUGGEST_CAN_BYTES = 4 * 1024 * 1024;

export interface TokenData {
  k: 'w' | 'q' | 'a';
  ns: string;
  wid: string;
  rid: string;
  n: number; // nonce
  e?: number; // scheduled event id
  q?: string; // query id
}

export function encodeToken(t: TokenData): Buffer {
  return Buffer.from(JSON.stringify(t));
}

export function decodeToken(buf: Uint8Array | undefined): TokenData {
  try {
    const t = JSON.parse(Buffer.from(buf ?? []).toString('utf8')) as TokenData;
    if (!t || typeof t.wid !== 'string') throw new Error('bad');
    return t;
  } catch {
    throw invalidArgument('Task token is malformed.');
  }
}

/** Waits until `cond()` holds, re-checking whenever the waiter list is notified, or until timeout. */
export function waitUntil(waiters: Array<() => void>, cond: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    const check = () => {
      if (cond()) {
        clearTimeout(timer);
        resolve();
      } else {
        waiters.push(check);
      }
    };
    check();
  });
}

export interface EngineOptions {
  timeSkipping: boolean;
  namespaces?: string[];
  log?: (msg: string) => void;
}

export interface Namespace {
  name: string;
  id: string;
  retentionMs: number;
  description?: string;
}

type WftResponse = Msg;

export class Engine {
  readonly clock: Clock;
  readonly namespaces = new Map<string, Namespace>();
  /** runs by `${ns}/${workflowId}`, oldest first; the last one is the current run */
  readonly executions = new Map<string, Run[]>();
  readonly runsById = new Map<string, Run>();
  readonly workflowQueues: TaskQueues<WftResponse>;
  readonly activityQueues: TaskQueues<Msg>;
  readonly searchAttributes = new SearchAttributeRegistry();
  private nonce = Date.now(); // unique across restarts of a persisted server
  private busyCount = 0; // tasks started and not finished (workflow + activity)
  readonly log: (msg: string) => void;
  /** set by commands.ts / activities.ts */
  onChange: () => void = () => undefined;

  constructor(readonly opts: EngineOptions) {
    this.clock = new Clock(opts.timeSkipping);
    this.log = opts.log ?? ((m) => process.stderr.write(`stratus-temporal: ${m}\n`));
    this.clock.busy = () => this.isBusy();
    this.workflowQueues = new TaskQueues(() => this.changed());
    this.activityQueues = new TaskQueues(() => this.changed());
    for (const name of opts.namespaces ?? ['default']) this.registerNamespace(name);
  }

  changed(): void {
    this.clock.poke();
    this.onChange();
  }

  nextNonce(): number {
    return this.nonce++;
  }

  // ---------------------------------------------------------------- namespaces

  registerNamespace(name: string, retentionMs = 86_400_000, description = ''): Namespace {
    const existing = this.namespaces.get(name);
    if (existing) return existing;
    const ns = { name, id: randomUUID(), retentionMs, description };
    this.namespaces.set(name, ns);
    return ns;
  }

  namespace(name: string | undefined): Namespace {
    const ns = this.namespaces.get(name || '');
    if (!ns) {
      throw notFound(`Namespace ${name} is not found.`, {
        typeName: 'temporal.api.errordetails.v1.NamespaceNotFoundFailure',
        value: { namespace: name ?? '' },
      });
    }
    return ns;
  }

  // ---------------------------------------------------------------- busy / time skipping

  private isBusy(): boolean {
    if (this.busyCount > 0) return true;
    for (const run of this.runsById.values()) {
      if (run.status !== 'WORKFLOW_EXECUTION_STATUS_RUNNING') continue;
      if (run.wft) return true;
      for (const a of run.activities.values()) if (a.state !== 'backoff') return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- lookup

  runsOf(ns: string, workflowId: string): Run[] {
    return this.executions.get(`${ns}/${workflowId}`) ?? [];
  }

  /** The run named by an execution; an empty run id means the current (latest) run. */
  findRun(ns: string, execution: Msg | undefined, opts: { mustBeOpen?: boolean } = {}): Run {
    this.namespace(ns);
    const workflowId = execution?.workflowId;
    if (!workflowId) throw invalidArgument('WorkflowId is not set on request.');
    const runs = this.runsOf(ns, workflowId);
    let run: Run | undefined;
    if (execution?.runId) run = runs.find((r) => r.runId === execution.runId);
    else run = runs[runs.length - 1];
    if (!run) {
      throw notFound(
        execution?.runId
          ? `workflow execution not found for workflow ID "${workflowId}" and run ID "${execution.runId}"`
          : `workflow not found for ID: ${workflowId}`,
      );
    }
    if (opts.mustBeOpen && run.status !== 'WORKFLOW_EXECUTION_STATUS_RUNNING') {
      throw notFound('workflow execution already completed');
    }
    return run;
  }

  isOpen(run: Run): boolean {
    return run.status === 'WORKFLOW_EXECUTION_STATUS_RUNNING';
  }

  // ---------------------------------------------------------------- history

  /** Appends an event now (callers decide whether it must be buffered). */
  append(run: Run, eventType: string, attrsField: string, attrs: Msg, extra: Msg = {}): number {
    const eventId = run.history.length + 1;
    const event: HistoryEvent = {
      eventId,
      eventTime: ts(this.clock.now()),
      eventType: `EVENT_TYPE_${eventType}`,
      taskId: eventId,
      ...extra,
      [attrsField]: attrs,
    };
    run.history.push(event);
    const historyEvent = type('temporal.api.history.v1.HistoryEvent');
    run.historySizeBytes += historyEvent.encode(historyEvent.fromObject(event)).len;
    for (const w of run.eventWaiters.splice(0)) w();
    return eventId;
  }

  /**
   * Adds events that come from outside the workflow (signals, activity results, timers): while
   * a workflow task is started they are buffered and written when it completes, as the real
   * server does; then a workflow task is scheduled if none is pending.
   */
  deliver(run: Run, write: () => void): void {
    if (!this.isOpen(run)) return;
    if (run.wft && run.wft.startedEventId > 0) {
      run.buffered.push(write);
      return;
    }
    write();
    this.scheduleWorkflowTask(run);
  }

  flushBuffered(run: Run): boolean {
    const buffered = run.buffered.splice(0);
    for (const write of buffered) write();
    return buffered.length > 0;
  }

  // ---------------------------------------------------------------- start

  startWorkflow(
    req: Msg,
    opts: { parent?: Run['parent']; continuedFrom?: Run; canAttrs?: Msg; newRunId?: string; onStarted?: (run: Run) => void } = {},
  ): { run: Run; started: boolean } {
    const ns = req.namespace as string;
    this.namespace(ns);
    const workflowId = req.workflowId as string;
    if (!workflowId) throw invalidArgument('WorkflowId is not set on request.');
    if (workflowId.length > 1000) throw invalidArgument('WorkflowId length exceeds limit.');
    const typeName = req.workflowType?.name as string | undefined;
    if (!typeName) throw invalidArgument('WorkflowType is not set on request.');
    const taskQueue = req.taskQueue?.name as string | undefined;
    if (!taskQueue) throw invalidArgument('TaskQueue is not set on request.');
    const searchAttributes = this.searchAttributes.validate(req.searchAttributes?.indexedFields ?? {});
    if (typeof searchAttributes === 'string') throw invalidArgument(searchAttributes);

    const runs = this.runsOf(ns, workflowId);
    const current = runs[runs.length - 1];
    if (!opts.continuedFrom && current) {
      if (this.isOpen(current)) {
        if (req.requestId && current.startRequestId === req.requestId) return { run: current, started: true };
        const conflict = req.workflowIdConflictPolicy as string | undefined;
        const legacyTerminate = req.workflowIdReusePolicy === 'WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING';
        if (conflict === 'WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING') return { run: current, started: false };
        if (conflict === 'WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING' || legacyTerminate) {
          this.terminate(current, 'terminated by a new start (workflow id conflict policy)', undefined, req.identity);
        } else {
          throw alreadyExists(`Workflow execution is already running. WorkflowId: ${workflowId}, RunId: ${current.runId}.`, {
            typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
            value: { startRequestId: current.startRequestId ?? '', runId: current.runId },
          });
        }
      } else {
        const reuse = (req.workflowIdReusePolicy as string | undefined) ?? 'WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE';
        const failedLike = [
          'WORKFLOW_EXECUTION_STATUS_FAILED',
          'WORKFLOW_EXECUTION_STATUS_CANCELED',
          'WORKFLOW_EXECUTION_STATUS_TERMINATED',
          'WORKFLOW_EXECUTION_STATUS_TIMED_OUT',
        ].includes(current.status);
        if (
          reuse === 'WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE' ||
          (reuse === 'WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY' && !failedLike)
        ) {
          throw alreadyExists(`Workflow execution already finished and WorkflowIdReusePolicy prevents a new start. WorkflowId: ${workflowId}, RunId: ${current.runId}.`, {
            typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
            value: { startRequestId: current.startRequestId ?? '', runId: current.runId },
          });
        }
      }
    }

    const now = this.clock.now();
    const runId = opts.newRunId ?? randomUUID();
    const wftTimeoutMs = Math.min(durationToMs(req.workflowTaskTimeout) || DEFAULT_WFT_TIMEOUT_MS, MAX_WFT_TIMEOUT_MS);
    const runTimeoutMs = durationToMs(req.workflowRunTimeout) ?? 0;
    const executionTimeoutMs = durationToMs(req.workflowExecutionTimeout) ?? 0;
    const from = opts.continuedFrom;
    const run: Run = {
      namespace: ns,
      workflowId,
      runId,
      firstRunId: from?.firstRunId ?? runId,
      workflowType: typeName,
      taskQueue,
      status: 'WORKFLOW_EXECUTION_STATUS_RUNNING',
      history: [],
      historySizeBytes: 0,
      startTime: now,
      executionTime: now,
      wftTimeoutMs,
      runTimeoutMs,
      executionTimeoutMs,
      memo: req.memo,
      searchAttributes,
      parent: opts.parent,
      startRequestId: req.requestId,
      nextWftAttempt: 1,
      lastCompletedStartedEventId: 0,
      buffered: [],
      activities: new Map(),
      timers: new Map(),
      children: new Map(),
      updates: new Map(),
      pendingQueries: [],
      signalRequestIds: new Set(),
      cancelRequested: false,
      closeWaiters: [],
      eventWaiters: [],
      runTimers: [],
    };
    const backoffMs = durationToMs(req.workflowStartDelay) ?? durationToMs(opts.canAttrs?.backoffStartInterval) ?? 0;
    const parent = opts.parent;
    this.append(run, 'WORKFLOW_EXECUTION_STARTED', 'workflowExecutionStartedEventAttributes', {
      workflowType: { name: typeName },
      parentWorkflowNamespace: parent?.namespace,
      parentWorkflowExecution: parent ? { workflowId: parent.workflowId, runId: parent.runId } : undefined,
      parentInitiatedEventId: parent?.initiatedEventId,
      taskQueue: { name: taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
      input: req.input,
      workflowExecutionTimeout: req.workflowExecutionTimeout,
      workflowRunTimeout: req.workflowRunTimeout,
      workflowTaskTimeout: { seconds: Math.floor(wftTimeoutMs / 1000), nanos: (wftTimeoutMs % 1000) * 1e6 },
      continuedExecutionRunId: from?.runId,
      initiator: from ? (opts.canAttrs?.initiator ?? 'CONTINUE_AS_NEW_INITIATOR_WORKFLOW') : undefined,
      continuedFailure: opts.canAttrs?.failure,
      lastCompletionResult: opts.canAttrs?.lastCompletionResult,
      originalExecutionRunId: runId,
      identity: req.identity,
      firstExecutionRunId: run.firstRunId,
      retryPolicy: req.retryPolicy,
      attempt: 1,
      workflowExecutionExpirationTime: executionTimeoutMs > 0 ? ts(now + executionTimeoutMs) : undefined,
      cronSchedule: req.cronSchedule,
      firstWorkflowTaskBackoff: backoffMs > 0 ? { seconds: Math.floor(backoffMs / 1000), nanos: (backoffMs % 1000) * 1e6 } : undefined,
      memo: req.memo,
      searchAttributes: Object.keys(searchAttributes).length ? { indexedFields: searchAttributes } : undefined,
      header: req.header,
      workflowId,
    });
    if (runs.length === 0) this.executions.set(`${ns}/${workflowId}`, runs);
    runs.push(run);
    this.runsById.set(runId, run);
    opts.onStarted?.(run);

    if (runTimeoutMs > 0) run.runTimers.push(this.clock.after(runTimeoutMs, () => this.timeOut(run)));
    if (executionTimeoutMs > 0) run.runTimers.push(this.clock.after(executionTimeoutMs, () => this.timeOut(run)));
    if (backoffMs > 0) {
      run.executionTime = now + backoffMs;
      run.runTimers.push(this.clock.after(backoffMs, () => this.scheduleWorkflowTask(run)));
    } else {
      this.scheduleWorkflowTask(run);
    }
    this.changed();
    return { run, started: true };
  }

  // ---------------------------------------------------------------- workflow tasks

  scheduleWorkflowTask(run: Run): void {
    if (!this.isOpen(run) || run.wft) return;
    const sticky = run.sticky;
    const queue = sticky?.queue ?? run.taskQueue;
    const attempt = run.nextWftAttempt;
    const scheduledEventId = this.append(run, 'WORKFLOW_TASK_SCHEDULED', 'workflowTaskScheduledEventAttributes', {
      taskQueue: sticky
        ? { name: sticky.queue, kind: 'TASK_QUEUE_KIND_STICKY', normalName: run.taskQueue }
        : { name: run.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
      startToCloseTimeout: { seconds: Math.floor(run.wftTimeoutMs / 1000), nanos: (run.wftTimeoutMs % 1000) * 1e6 },
      attempt,
    });
    const wft: WorkflowTask = {
      scheduledEventId,
      startedEventId: 0,
      attempt,
      queue,
      sticky: !!sticky,
      scheduledTime: this.clock.now(),
      nonce: this.nextNonce(),
      updates: [],
    };
    run.wft = wft;
    if (sticky) {
      // a sticky task nobody picks up falls back to the normal queue, with the full history
      wft.cancelTimeout = this.clock.after(sticky.scheduleToStartMs, () => {
        if (run.wft !== wft || wft.startedEventId > 0) return;
        this.append(run, 'WORKFLOW_TASK_TIMED_OUT', 'workflowTaskTimedOutEventAttributes', {
          scheduledEventId,
          startedEventId: 0,
          timeoutType: 'TIMEOUT_TYPE_SCHEDULE_TO_START',
        });
        run.wft = undefined;
        run.sticky = undefined;
        this.scheduleWorkflowTask(run);
      });
    }
    this.enqueueWorkflowTask(run, wft);
    this.changed();
  }

  enqueueWorkflowTask(run: Run, wft: WorkflowTask): void {
    const task: Task<WftResponse> = {
      valid: () => run.wft === wft && wft.startedEventId === 0 && this.isOpen(run),
      start: (identity) => this.startWorkflowTask(run, wft, identity),
    };
    this.workflowQueues.add(wft.queue, task);
  }

  private startWorkflowTask(run: Run, wft: WorkflowTask, identity: string): WftResponse | undefined {
    if (run.wft !== wft || wft.startedEventId !== 0 || !this.isOpen(run)) return undefined;
    wft.cancelTimeout?.();
    const now = this.clock.now();
    wft.startedTime = now;
    wft.identity = identity;
    wft.startedEventId = this.append(run, 'WORKFLOW_TASK_STARTED', 'workflowTaskStartedEventAttributes', {
      scheduledEventId: wft.scheduledEventId,
      identity,
      requestId: randomUUID(),
      historySizeBytes: run.historySizeBytes,
      suggestContinueAsNew: run.history.length >= SUGGEST_CAN_EVENTS || run.historySizeBytes >= SUGGEST_CAN_BYTES,
    });
    this.busyCount++;
    wft.cancelTimeout = this.clock.after(run.wftTimeoutMs, () => this.workflowTaskTimedOut(run, wft));
    const first = wft.sticky ? run.lastCompletedStartedEventId + 1 : 1;
    const events = run.history.slice(first - 1);
    const messages: Msg[] = [];
    for (const u of run.updates.values()) {
      if (u.stage !== 'admitted') continue;
      wft.updates.push(u.id);
      messages.push({
        id: `${u.id}/request`,
        protocolInstanceId: u.id,
        eventId: wft.startedEventId - 1,
        body: { type_url: 'type.googleapis.com/temporal.api.update.v1.Request', value: u.request.__encoded },
      });
    }
    return {
      taskToken: encodeToken({ k: 'w', ns: run.namespace, wid: run.workflowId, rid: run.runId, n: wft.nonce, e: wft.scheduledEventId }),
      workflowExecution: { workflowId: run.workflowId, runId: run.runId },
      workflowType: { name: run.workflowType },
      previousStartedEventId: run.lastCompletedStartedEventId,
      startedEventId: wft.startedEventId,
      attempt: wft.attempt,
      backlogCountHint: 0,
      history: { events },
      workflowExecutionTaskQueue: { name: run.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
      scheduledTime: ts(wft.scheduledTime),
      startedTime: ts(now),
      messages,
    };
  }

  /** Ends the started workflow task `wft` (completed, failed or timed out). */
  finishWorkflowTask(run: Run, wft: WorkflowTask): void {
    wft.cancelTimeout?.();
    if (wft.startedEventId > 0) this.busyCount--;
    if (run.wft === wft) run.wft = undefined;
  }

  private workflowTaskTimedOut(run: Run, wft: WorkflowTask): void {
    if (run.wft !== wft || !this.isOpen(run)) return;
    this.log(`workflow task for ${run.workflowId} timed out (attempt ${wft.attempt}); rescheduling on ${run.taskQueue}`);
    this.finishWorkflowTask(run, wft);
    this.append(run, 'WORKFLOW_TASK_TIMED_OUT', 'workflowTaskTimedOutEventAttributes', {
      scheduledEventId: wft.scheduledEventId,
      startedEventId: wft.startedEventId,
      timeoutType: 'TIMEOUT_TYPE_START_TO_CLOSE',
    });
    run.sticky = undefined;
    run.nextWftAttempt = wft.attempt + 1;
    this.flushBuffered(run);
    this.scheduleWorkflowTask(run);
  }

  /** Resolves a workflow task token to its run and started task, or NOT_FOUND. */
  startedWorkflowTask(token: TokenData): { run: Run; wft: WorkflowTask } {
    const run = this.runsById.get(token.rid);
    const wft = run?.wft;
    if (!run || !wft || token.k !== 'w' || wft.nonce !== token.n || wft.startedEventId === 0) {
      throw notFound('Workflow task not found.');
    }
    return { run, wft };
  }

  failWorkflowTask(run: Run, wft: WorkflowTask, cause: string, failure: Msg | undefined, identity?: string): void {
    this.finishWorkflowTask(run, wft);
    this.append(run, 'WORKFLOW_TASK_FAILED', 'workflowTaskFailedEventAttributes', {
      scheduledEventId: wft.scheduledEventId,
      startedEventId: wft.startedEventId,
      cause,
      failure,
      identity,
    });
    run.sticky = undefined;
    run.nextWftAttempt = wft.attempt + 1;
    this.flushBuffered(run);
    this.scheduleWorkflowTask(run);
    this.changed();
  }

  /** After a workflow task ends: release queries waiting for a quiet moment. */
  afterWorkflowTask(run: Run): void {
    if (!run.wft) this.dispatchQueries(run);
    this.changed();
  }

  // ---------------------------------------------------------------- signals / cancel / terminate

  signal(run: Run, req: Msg): void {
    if (req.requestId) {
      if (run.signalRequestIds.has(req.requestId)) return;
      run.signalRequestIds.add(req.requestId);
    }
    this.deliver(run, () => {
      this.append(run, 'WORKFLOW_EXECUTION_SIGNALED', 'workflowExecutionSignaledEventAttributes', {
        signalName: req.signalName,
        input: req.input,
        identity: req.identity,
        header: req.header,
      });
    });
    this.changed();
  }

  requestCancel(run: Run, req: Msg, external?: { initiatedEventId: number; execution: Msg }): void {
    if (run.cancelRequested) return;
    run.cancelRequested = true;
    this.deliver(run, () => {
      this.append(run, 'WORKFLOW_EXECUTION_CANCEL_REQUESTED', 'workflowExecutionCancelRequestedEventAttributes', {
        cause: req.reason,
        identity: req.identity,
        externalInitiatedEventId: external?.initiatedEventId,
        externalWorkflowExecution: external?.execution,
      });
    });
    this.changed();
  }

  terminate(run: Run, reason: string | undefined, details: Msg | undefined, identity: string | undefined): void {
    if (!this.isOpen(run)) throw notFound('workflow execution already completed');
    if (run.wft) this.finishWorkflowTask(run, run.wft);
    run.buffered = [];
    this.append(run, 'WORKFLOW_EXECUTION_TERMINATED', 'workflowExecutionTerminatedEventAttributes', {
      reason,
      details,
      identity,
    });
    this.close(run, 'WORKFLOW_EXECUTION_STATUS_TERMINATED');
  }

  timeOut(run: Run): void {
    if (!this.isOpen(run)) return;
    if (run.wft) this.finishWorkflowTask(run, run.wft);
    run.buffered = [];
    this.append(run, 'WORKFLOW_EXECUTION_TIMED_OUT', 'workflowExecutionTimedOutEventAttributes', {
      retryState: 'RETRY_STATE_TIMEOUT',
    });
    this.close(run, 'WORKFLOW_EXECUTION_STATUS_TIMED_OUT');
  }

  // ---------------------------------------------------------------- closing

  /** Marks a run closed after its close event was written; cleans up and notifies. */
  close(run: Run, status: RunStatus): void {
    run.status = status;
    run.closeTime = this.clock.now();
    for (const cancel of run.runTimers.splice(0)) cancel();
    for (const t of run.timers.values()) t.cancel();
    run.timers.clear();
    for (const a of run.activities.values()) this.dropActivity(a);
    run.activities.clear();
    if (run.wft) this.finishWorkflowTask(run, run.wft);
    for (const u of run.updates.values()) {
      if (u.stage !== 'completed') {
        u.error = notFound('workflow execution already completed');
        for (const w of u.waiters.splice(0)) w();
      }
    }
    for (const w of run.closeWaiters.splice(0)) w();
    for (const w of run.eventWaiters.splice(0)) w();
    this.applyParentClosePolicy(run);
    if (status !== 'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW') this.notifyParent(run);
    this.dispatchQueries(run);
    this.changed();
  }

  dropActivity(a: ActivityState): void {
    if (a.state === 'started') this.activityStopped();
    a.state = 'backoff';
    for (const cancel of a.timers.splice(0)) cancel();
    a.deadlineTimer?.();
    a.nonce = -1;
  }

  activityStarted(): void {
    this.busyCount++;
  }

  activityStopped(): void {
    this.busyCount--;
  }

  private applyParentClosePolicy(run: Run): void {
    for (const child of run.children.values()) {
      if (!child.runId) continue;
      const childRun = this.currentRunOfChain(child.namespace, child.workflowId, child.runId);
      if (!childRun || !this.isOpen(childRun)) continue;
      const policy = child.parentClosePolicy || 'PARENT_CLOSE_POLICY_TERMINATE';
      if (policy === 'PARENT_CLOSE_POLICY_TERMINATE' || policy === 'PARENT_CLOSE_POLICY_UNSPECIFIED') {
        this.terminate(childRun, 'by parent close policy', undefined, 'stratus-temporal');
      } else if (policy === 'PARENT_CLOSE_POLICY_REQUEST_CANCEL') {
        this.requestCancel(childRun, { reason: 'by parent close policy', identity: 'stratus-temporal' });
      }
    }
  }

  /** The open (or last) run of a chain that started with `runId` (continue-as-new followed). */
  currentRunOfChain(ns: string, workflowId: string, runId: string): Run | undefined {
    let run = this.runsById.get(runId);
    while (run?.newRunId) run = this.runsById.get(run.newRunId);
    return run && run.namespace === ns && run.workflowId === workflowId ? run : undefined;
  }

  private notifyParent(run: Run): void {
    const p = run.parent;
    if (!p) return;
    const parent = this.runsById.get(p.runId);
    if (!parent || !this.isOpen(parent)) return;
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
    this.deliver(parent, () => {
      switch (run.status) {
        case 'WORKFLOW_EXECUTION_STATUS_COMPLETED':
          this.append(parent, 'CHILD_WORKFLOW_EXECUTION_COMPLETED', 'childWorkflowExecutionCompletedEventAttributes', {
            ...base,
            result: close.workflowExecutionCompletedEventAttributes?.result,
          });
          break;
        case 'WORKFLOW_EXECUTION_STATUS_FAILED':
          this.append(parent, 'CHILD_WORKFLOW_EXECUTION_FAILED', 'childWorkflowExecutionFailedEventAttributes', {
            ...base,
            failure: close.workflowExecutionFailedEventAttributes?.failure,
            retryState: close.workflowExecutionFailedEventAttributes?.retryState ?? 'RETRY_STATE_NON_RETRYABLE_FAILURE',
          });
          break;
        case 'WORKFLOW_EXECUTION_STATUS_CANCELED':
          this.append(parent, 'CHILD_WORKFLOW_EXECUTION_CANCELED', 'childWorkflowExecutionCanceledEventAttributes', {
            ...base,
            details: close.workflowExecutionCanceledEventAttributes?.details,
          });
          break;
        case 'WORKFLOW_EXECUTION_STATUS_TIMED_OUT':
          this.append(parent, 'CHILD_WORKFLOW_EXECUTION_TIMED_OUT', 'childWorkflowExecutionTimedOutEventAttributes', {
            ...base,
            retryState: 'RETRY_STATE_TIMEOUT',
          });
          break;
        default:
          this.append(parent, 'CHILD_WORKFLOW_EXECUTION_TERMINATED', 'childWorkflowExecutionTerminatedEventAttributes', base);
      }
    });
  }

  // ---------------------------------------------------------------- queries

  query(run: Run, query: Msg): Promise<Msg> {
    return new Promise((resolve, reject) => {
      const q: QueryState = { id: randomUUID(), query, resolve, reject, done: false };
      // no worker answering at all: fail like the real server does at its deadline
      const deadline = setTimeout(
        () => this.abandonQuery(q, new GrpcError(4, `query ${query.queryType} timed out: no worker answered within ${QUERY_DEADLINE_MS / 1000} s`)),
        QUERY_DEADLINE_MS,
      );
      q.resolve = (r) => {
        clearTimeout(deadline);
        resolve(r);
      };
      q.reject = (e) => {
        clearTimeout(deadline);
        reject(e);
      };
      run.pendingQueries.push(q);
      this.dispatchQueries(run);
    });
  }

  /** Queries go out as legacy query tasks when no workflow task is outstanding. */
  private dispatchQueries(run: Run): void {
    if (run.wft) return;
    for (const q of run.pendingQueries.splice(0)) this.enqueueQueryTask(run, q);
  }

  /** A query task taken by a worker that never answers (it died) is handed out again. */
  private enqueueQueryTask(run: Run, q: QueryState): void {
    this.queryTasks.set(q.id, { run, q });
    const nonce = this.nextNonce();
    q.nonce = nonce;
    this.workflowQueues.add(run.taskQueue, {
      valid: () => !q.done && q.nonce === nonce,
      start: () => {
        if (q.done || q.nonce !== nonce) return undefined;
        const retry = setTimeout(() => {
          if (!q.done && q.nonce === nonce) this.enqueueQueryTask(run, q);
        }, QUERY_TASK_TIMEOUT_MS);
        retry.unref?.();
        return {
          taskToken: encodeToken({ k: 'q', ns: run.namespace, wid: run.workflowId, rid: run.runId, n: nonce, q: q.id }),
          workflowExecution: { workflowId: run.workflowId, runId: run.runId },
          workflowType: { name: run.workflowType },
          previousStartedEventId: run.lastCompletedStartedEventId,
          startedEventId: 0,
          attempt: 1,
          // empty: a worker with the run cached answers from cache, others fetch the history
          history: { events: [] },
          query: q.query,
          workflowExecutionTaskQueue: { name: run.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
          scheduledTime: ts(this.clock.now()),
          startedTime: ts(this.clock.now()),
        };
      },
    });
  }

  readonly queryTasks = new Map<string, { run: Run; q: QueryState }>();

  answerQuery(token: TokenData, req: Msg): void {
    const entry = token.q ? this.queryTasks.get(token.q) : undefined;
    if (!entry || entry.q.done) throw notFound('Query task not found.');
    this.queryTasks.delete(token.q!);
    entry.q.done = true;
    if (req.completedType === 'QUERY_RESULT_TYPE_ANSWERED') entry.q.resolve(req.queryResult ?? {});
    else entry.q.reject(invalidArgument(req.errorMessage || 'query failed'));
  }

  abandonQuery(q: QueryState, err: Error): void {
    this.queryTasks.delete(q.id);
    for (const run of this.runsById.values()) {
      const i = run.pendingQueries.indexOf(q);
      if (i >= 0) run.pendingQueries.splice(i, 1);
    }
    if (!q.done) {
      q.done = true;
      q.reject(err);
    }
  }

  // ---------------------------------------------------------------- updates

  admitUpdate(run: Run, request: Msg, encoded: Buffer): UpdateState {
    const id = request.meta?.updateId as string | undefined;
    if (!id) throw invalidArgument('Update id is not set on request.');
    if (!request.input?.name) throw invalidArgument('Update name is not set on request.');
    const existing = run.updates.get(id);
    if (existing) return existing;
    if (!this.isOpen(run)) throw notFound('workflow execution already completed');
    const u: UpdateState = { id, request: { ...request, __encoded: encoded }, stage: 'admitted', waiters: [] };
    run.updates.set(id, u);
    this.scheduleWorkflowTask(run);
    this.changed();
    return u;
  }

  /** Waits until the update reaches `stage` (or the long poll ends); returns the response. */
  async waitUpdate(run: Run, u: UpdateState, stage: string): Promise<Msg> {
    const wanted = stage === 'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED' ? 'completed' : 'accepted';
    const reached = () => u.stage === 'completed' || (wanted === 'accepted' && u.stage === 'accepted');
    if (!reached() && !u.error) await waitUntil(u.waiters, () => reached() || !!u.error, UPDATE_LONG_POLL_MS);
    if (u.error) throw u.error;
    const stageName = {
      admitted: 'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED',
      accepted: 'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED',
      completed: 'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED',
    }[u.stage];
    return {
      updateRef: { workflowExecution: { workflowId: run.workflowId, runId: run.runId }, updateId: u.id },
      outcome: u.stage === 'completed' ? u.outcome : undefined,
      stage: stageName,
    };
  }

  settleUpdate(u: UpdateState): void {
    for (const w of u.waiters.splice(0)) w();
  }

  // ---------------------------------------------------------------- history reads

  async waitForClose(run: Run, timeoutMs = HISTORY_LONG_POLL_MS): Promise<boolean> {
    if (!this.isOpen(run)) return true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      run.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return !this.isOpen(run);
  }

  async waitForEvent(run: Run, afterEventId: number, timeoutMs = HISTORY_LONG_POLL_MS): Promise<void> {
    if (run.history.length > afterEventId || !this.isOpen(run)) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      run.eventWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  shutdown(): void {
    this.clock.close();
    this.workflowQueues.closeAll();
    this.activityQueues.closeAll();
    for (const { q } of this.queryTasks.values()) if (!q.done) q.reject(new GrpcError(14, 'server shutting down'));
  }
}
