// The execution engine of the embedded server: the state (namespaces, runs, task queues, the
// clock) and one facade over the concepts, each in its own file with the real server's event
// shapes and ordering:
//   history.ts        the event-writing rules (append, buffering behind a started task, close events)
//   runs.ts           start (id policies), signal, cancel request, terminate, time out, close
//   workflow-tasks.ts scheduling and handing out workflow tasks, the worker's answers
//   commands.ts       the commands of a completed workflow task
//   updates.ts, queries.ts, children.ts (and external workflows), next-run.ts (continue-as-new,
//   retries, cron), activities.ts
import { randomUUID } from 'node:crypto';
import { currentRunOfChain } from './children.js';
import { Clock } from './clock.js';
import { appendEvent, deliver, flushBuffered } from './history.js';
import { type Msg, GrpcError, invalidArgument, notFound } from './proto.js';
import { answerQuery, dispatchQueries, query } from './queries.js';
import { type StartOptions, close, requestCancel, signal, startWorkflow, terminate, timeOut } from './runs.js';
import { Schedules } from './schedules.js';
import { TaskQueues } from './task-queues.js';
import type { TokenData } from './tokens.js';
import type { ActivityState, BufferedEvent, QueryState, Run, RunStatus, UpdateState, WorkflowTask } from './types.js';
import { admitUpdate, settleUpdate, waitUpdate } from './updates.js';
import { SearchAttributeRegistry } from './visibility.js';
import {
  afterWorkflowTask,
  enqueueWorkflowTask,
  failWorkflowTask,
  finishWorkflowTask,
  scheduleWorkflowTask,
  startedWorkflowTask,
  writeWorkflowTaskScheduled,
} from './workflow-tasks.js';

export { DEFAULT_WFT_TIMEOUT_MS } from './runs.js';
export { type TokenData, decodeToken, encodeToken } from './tokens.js';

const HISTORY_LONG_POLL_MS = 20_000;

/** Waits until `cond()` holds, re-checking whenever the waiter list is notified, or until timeout. */
export function waitUntil(waiters: Array<() => void>, cond: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref?.(); // a long poll left waiting does not keep a stopped server's process alive
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
  ownerEmail?: string;
  /** the namespace's own key-value data (RegisterNamespace / UpdateNamespace) */
  data?: Record<string, string>;
}

/** Runs by id, with the set of those that may still be open (see Engine.busyLocks). */
class RunIndex extends Map<string, Run> {
  /** every run added, until the busy check finds it closed */
  readonly maybeOpen = new Set<Run>();

  override set(runId: string, run: Run): this {
    this.maybeOpen.add(run);
    return super.set(runId, run);
  }
}

export class Engine {
  readonly clock: Clock;
  readonly namespaces = new Map<string, Namespace>();
  /** runs by `${ns}/${workflowId}`, oldest first; the last one is the current run */
  readonly executions = new Map<string, Run[]>();
  readonly runsById = new RunIndex();
  readonly workflowQueues: TaskQueues<Msg>;
  readonly activityQueues: TaskQueues<Msg>;
  readonly searchAttributes = new SearchAttributeRegistry();
  readonly queryTasks = new Map<string, { run: Run; q: QueryState }>();
  private nonce = Date.now(); // unique across restarts of a persisted server
  readonly clusterId = randomUUID();
  /** set when --db persistence is attached */
  persistent = false;
  /** tasks started and not finished (workflow + activity) */
  busyCount = 0;
  readonly log: (msg: string) => void;
  /** set by persistence.ts */
  onChange: () => void = () => undefined;
  /** set by persistence.ts: the stored state of `run` changed (an event, or a change without one) */
  onRunChange: (run: Run) => void = () => undefined;
  /** set by persistence.ts: `run` was deleted (delete-run.ts) */
  onRunDeleted: (run: Run) => void = () => undefined;
  /** told of every run that closes, after its close event (schedules.ts watches the workflows it started) */
  readonly closeListeners: Array<(run: Run) => void> = [];
  /** run at shutdown (batch jobs stop working) */
  readonly onShutdown: Array<() => void> = [];
  readonly schedules: Schedules;

  constructor(readonly opts: EngineOptions) {
    this.clock = new Clock(opts.timeSkipping);
    this.log = opts.log ?? ((m) => process.stderr.write(`stratus-temporal: ${m}\n`));
    this.clock.busy = () => this.busyLocks();
    this.workflowQueues = new TaskQueues(() => this.changed());
    this.activityQueues = new TaskQueues(() => this.changed());
    for (const name of opts.namespaces ?? ['default']) this.registerNamespace(name);
    this.schedules = new Schedules(this);
  }

  /** After any state change; `run`: its stored state changed without an event (--db must write it). */
  changed(run?: Run): void {
    if (run) this.onRunChange(run);
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
    this.onChange();
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

  /**
   * The time-skipping locks of what runs: one per workflow task and per activity attempt not
   * waiting for a retry. Started ones are in `busyCount` (also after their run closed, while the
   * worker still holds them); scheduled ones are counted here, over the open runs only (checked
   * after every change while time skips).
   */
  private busyLocks(): number {
    let locks = this.busyCount;
    const maybeOpen = this.runsById.maybeOpen;
    for (const run of maybeOpen) {
      if (run.status !== 'WORKFLOW_EXECUTION_STATUS_RUNNING') {
        maybeOpen.delete(run); // a run never reopens
        continue;
      }
      if (run.wft && run.wft.startedEventId === 0) locks++;
      for (const a of run.activities.values()) if (a.state === 'scheduled') locks++;
    }
    return locks;
  }

  // ---------------------------------------------------------------- lookup

  runsOf(ns: string, workflowId: string): Run[] {
    return this.executions.get(`${ns}/${workflowId}`) ?? [];
  }

  /** The current run of a workflow id: its latest, unless that one's successor was deleted. */
  currentRun(ns: string, workflowId: string): Run | undefined {
    const runs = this.runsOf(ns, workflowId);
    const last = runs[runs.length - 1];
    return last?.notCurrent ? undefined : last;
  }

  /** The run named by an execution; an empty run id means the current (latest) run. */
  findRun(ns: string, execution: Msg | undefined, opts: { mustBeOpen?: boolean } = {}): Run {
    this.namespace(ns);
    const workflowId = execution?.workflowId;
    if (!workflowId) throw invalidArgument('WorkflowId is not set on request.');
    const runs = this.runsOf(ns, workflowId);
    let run: Run | undefined;
    if (execution?.runId) run = runs.find((r) => r.runId === execution.runId);
    else run = this.currentRun(ns, workflowId);
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

  /** The open (or last) run of a chain that started with `runId` (continue-as-new followed). */
  currentRunOfChain(ns: string, workflowId: string, runId: string): Run | undefined {
    return currentRunOfChain(this, ns, workflowId, runId);
  }

  // ---------------------------------------------------------------- facade (see the files above)

  append(run: Run, eventType: string, attrsField: string, attrs: Msg, extra: Msg = {}): number {
    return appendEvent(this, run, eventType, attrsField, attrs, extra);
  }
  deliver(run: Run, events: BufferedEvent[]): void {
    deliver(this, run, events);
  }
  flushBuffered(run: Run): boolean {
    return flushBuffered(this, run);
  }

  startWorkflow(req: Msg, opts: StartOptions = {}): { run: Run; started: boolean; eagerTask?: Msg } {
    return startWorkflow(this, req, opts);
  }
  signal(run: Run, req: Msg): void {
    signal(this, run, req);
  }
  requestCancel(run: Run, req: Msg, external?: { initiatedEventId: number; execution: Msg }): void {
    requestCancel(this, run, req, external);
  }
  terminate(run: Run, reason: string | undefined, details: Msg | undefined, identity: string | undefined): void {
    terminate(this, run, reason, details, identity);
  }
  timeOut(run: Run, kind: 'run' | 'execution' = 'run'): void {
    timeOut(this, run, kind);
  }
  close(run: Run, status: RunStatus): void {
    close(this, run, status);
  }

  scheduleWorkflowTask(run: Run, opts: { speculative?: boolean; eagerFor?: string } = {}): Msg | undefined {
    return scheduleWorkflowTask(this, run, opts);
  }
  writeWorkflowTaskScheduled(run: Run, wft: WorkflowTask): void {
    writeWorkflowTaskScheduled(this, run, wft);
  }
  enqueueWorkflowTask(run: Run, wft: WorkflowTask): void {
    enqueueWorkflowTask(this, run, wft);
  }
  finishWorkflowTask(run: Run, wft: WorkflowTask): void {
    finishWorkflowTask(this, run, wft);
  }
  startedWorkflowTask(token: TokenData): { run: Run; wft: WorkflowTask } {
    return startedWorkflowTask(this, token);
  }
  failWorkflowTask(run: Run, wft: WorkflowTask, cause: string, failure: Msg | undefined, identity?: string): void {
    failWorkflowTask(this, run, wft, cause, failure, identity);
  }
  afterWorkflowTask(run: Run): void {
    afterWorkflowTask(this, run);
  }

  query(run: Run, q: Msg): Promise<Msg> {
    return query(this, run, q);
  }
  dispatchQueries(run: Run): void {
    dispatchQueries(this, run);
  }
  answerQuery(token: TokenData, req: Msg): void {
    answerQuery(this, token, req);
  }

  admitUpdate(run: Run, request: Msg, encoded: Buffer): UpdateState {
    return admitUpdate(this, run, request, encoded);
  }
  waitUpdate(run: Run, u: UpdateState, stage: string): Promise<Msg> {
    return waitUpdate(run, u, stage);
  }
  settleUpdate(u: UpdateState): void {
    settleUpdate(u);
  }

  // ---------------------------------------------------------------- activities' share of the busy count

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
    for (const f of this.onShutdown.splice(0)) f();
    this.clock.close();
    this.workflowQueues.closeAll();
    this.activityQueues.closeAll();
    for (const { q } of this.queryTasks.values()) if (!q.done) q.reject(new GrpcError(14, 'server shutting down'));
  }
}
