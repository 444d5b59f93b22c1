// Schedules (the real server's scheduler, without its workflow): each schedule keeps the time up
// to which its spec was processed; a clock timer wakes it at its next time (a timer holds no lock,
// so time skips to it), the spec times since then are taken (buffered as starts, or counted as
// missed when older than the catch-up window, or passed while paused or out of actions) and the
// buffer is processed under the overlap policies. Started workflows are watched through the
// engine's close listeners (their chain followed through retries and continue-as-new); a close
// may start a buffered action, pause the schedule (pauseOnFailure) and gives the next start its
// last completion result or failure. With --db each schedule is one record (persistence.ts).
import { randomUUID } from 'node:crypto';
import type { Engine } from './engine.js';
import { type Msg, durationToMs, notFound } from './proto.js';
import { type CompiledSpec, compileSpec } from './schedule-spec.js';
import type { Run } from './types.js';
import { keywordPayload, searchAttributePayload } from './visibility.js';

export const MAX_BUFFER = 1000;
const RECENT = 10;
/** how long a schedule with nothing more to do is kept (the real server's RetentionTime) */
const RETENTION_MS = 7 * 86_400_000;

export interface BufferedStart {
  nominal: number;
  actual: number;
  overlap?: string;
  manual: boolean;
}

export interface ActionResult {
  scheduleTime: number;
  actualTime: number;
  workflowId: string;
  runId: string;
}

/** A schedule as --db stores it. */
export interface SavedSchedule {
  namespace: string;
  id: string;
  /** spec (normalised), action, policies (defaults filled in), state */
  schedule: Msg;
  memo?: Msg;
  searchAttributes: Record<string, Msg>;
  counts: { actionCount: number; missedCatchupWindow: number; overlapSkipped: number; bufferDropped: number };
  createTime: number;
  updateTime?: number;
  recent: ActionResult[];
  /** the workflows started and still open, by their first run */
  running: Array<{ workflowId: string; runId: string }>;
  buffer: BufferedStart[];
  /** spec times up to this one are processed */
  lastProcessed: number;
  token: number;
  /** the create request's id: the same create again is answered as done */
  requestId?: string;
  lastCompletionResult?: Msg;
  continuedFailure?: Msg;
}

export interface Sched {
  saved: SavedSchedule;
  spec: CompiledSpec;
  cancelTimer?: () => void;
  busy: boolean;
  again: boolean;
}

const key = (ns: string, id: string) => `${ns}/${id}`;
/** RFC 3339 in UTC without fractional seconds, as the real server appends it to workflow ids. */
export const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export class Schedules {
  readonly map = new Map<string, Sched>();
  /** the schedule that started the open workflow `${ns}/${workflowId}` */
  private readonly byWorkflow = new Map<string, Sched>();

  constructor(private readonly engine: Engine) {
    engine.closeListeners.push((run) => this.runClosed(run));
  }

  /** What the jitter of a schedule's times is hashed with: `<namespace id>-<schedule id>`, as on the real server. */
  jitterSeed(ns: string, id: string): string {
    return `${this.engine.namespace(ns).id}-${id}`;
  }

  get(ns: string, id: string): Sched {
    const s = this.map.get(key(ns, id));
    if (!s) throw notFound(`schedule "${id}" not found`);
    return s;
  }

  add(saved: SavedSchedule): Sched {
    const s: Sched = { saved, spec: compileSpec(saved.schedule.spec, this.jitterSeed(saved.namespace, saved.id)), busy: false, again: false };
    this.map.set(key(saved.namespace, saved.id), s);
    for (const r of saved.running) this.byWorkflow.set(key(saved.namespace, r.workflowId), s);
    return s;
  }

  delete(s: Sched): void {
    s.cancelTimer?.();
    const k = key(s.saved.namespace, s.saved.id);
    this.map.delete(k);
    for (const r of s.saved.running) if (this.byWorkflow.get(key(s.saved.namespace, r.workflowId)) === s) this.byWorkflow.delete(key(s.saved.namespace, r.workflowId));
    this.engine.changed();
  }

  /** Replaces the compiled spec (an update). */
  setSpec(s: Sched, spec: CompiledSpec): void {
    s.spec = spec;
  }

  /** Takes the due times, processes the buffer (again while closes it caused come in), re-arms. */
  step(s: Sched): void {
    if (s.busy) {
      s.again = true;
      return;
    }
    s.busy = true;
    try {
      do {
        s.again = false;
        this.takeDue(s);
        this.processBuffer(s);
      } while (s.again);
    } finally {
      s.busy = false;
    }
    this.arm(s);
    this.engine.changed();
  }

  /** Whether a start may be taken: manual ones always; scheduled ones unless paused or out of actions. */
  private canTake(s: Sched, manual: boolean, decrement: boolean): boolean {
    const state = s.saved.schedule.state as Msg;
    if (manual) return true;
    if (state.paused) return false;
    if (!state.limitedActions) return true;
    if (Number(state.remainingActions ?? 0) <= 0) return false;
    if (decrement) {
      state.remainingActions = Number(state.remainingActions) - 1;
      s.saved.token++;
    }
    return true;
  }

  pushBuffer(s: Sched, start: BufferedStart): void {
    if (s.saved.buffer.length >= MAX_BUFFER) s.saved.counts.bufferDropped++;
    else s.saved.buffer.push(start);
  }

  private takeDue(s: Sched): void {
    const now = this.engine.clock.now();
    const window = durationToMs(s.saved.schedule.policies.catchupWindow) ?? 365 * 86_400_000;
    if (!this.canTake(s, false, false)) {
      // paused or out of actions: the whole range passes at once, nothing counted (as the real server)
      s.saved.lastProcessed = Math.max(s.saved.lastProcessed, now);
      return;
    }
    let n = s.spec.nextNominal(s.saved.lastProcessed);
    for (let count = 0; n !== undefined; count++) {
      const actual = s.spec.actual(n);
      if (actual > now) break;
      s.saved.lastProcessed = n;
      if (count >= 100_000) {
        // a long outage of a frequent schedule: the rest is older than any catch-up window
        s.saved.lastProcessed = now;
        break;
      }
      if (now - actual > window) s.saved.counts.missedCatchupWindow++;
      else this.pushBuffer(s, { nominal: n, actual, manual: false });
      n = s.spec.nextNominal(n);
    }
  }

  private processBuffer(s: Sched): void {
    const saved = s.saved;
    const policies = saved.schedule.policies as Msg;
    const resolve = (o?: string) => (o && o !== 'SCHEDULE_OVERLAP_POLICY_UNSPECIFIED' ? o : policies.overlapPolicy);
    let running = saved.running.length > 0;
    const toStart: BufferedStart[] = [];
    let buffer: BufferedStart[] = [];
    let cancel = false;
    let terminate = false;
    let bufferedOne = false;
    for (const b of saved.buffer) {
      const policy = resolve(b.overlap);
      if (!running) {
        toStart.push(b);
        running = true;
        continue;
      }
      switch (policy) {
        case 'SCHEDULE_OVERLAP_POLICY_BUFFER_ONE':
          if (bufferedOne) saved.counts.overlapSkipped++;
          else buffer.push(b);
          bufferedOne = true;
          break;
        case 'SCHEDULE_OVERLAP_POLICY_BUFFER_ALL':
          buffer.push(b);
          break;
        case 'SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER':
          cancel = true;
          buffer = [b];
          break;
        case 'SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER':
          terminate = true;
          buffer = [b];
          break;
        case 'SCHEDULE_OVERLAP_POLICY_ALLOW_ALL':
          toStart.push(b);
          break;
        default:
          saved.counts.overlapSkipped++;
      }
    }
    saved.buffer = buffer;
    toStart.forEach((b, i) => {
      // a start that overlaps (ALLOW_ALL while one runs) is not tracked, as on the real server
      if (this.canTake(s, b.manual, true)) this.start(s, b, i === 0 && saved.running.length === 0);
    });
    if (terminate || cancel) {
      for (const r of [...saved.running]) {
        const run = this.engine.currentRunOfChain(saved.namespace, r.workflowId, r.runId);
        if (!run || !this.engine.isOpen(run)) continue;
        if (terminate) this.engine.terminate(run, 'terminated by schedule overlap policy', undefined, identity(saved));
        else this.engine.requestCancel(run, { reason: 'cancelled by schedule overlap policy', identity: identity(saved) });
      }
    }
  }

  private start(s: Sched, b: BufferedStart, track: boolean): void {
    const saved = s.saved;
    const sw = saved.schedule.action.startWorkflow as Msg;
    const workflowId = saved.schedule.policies.keepOriginalWorkflowId ? sw.workflowId : `${sw.workflowId}-${rfc3339(b.nominal)}`;
    const now = this.engine.clock.now();
    const scheduledAt = searchAttributePayload('INDEXED_VALUE_TYPE_DATETIME', rfc3339(b.nominal));
    try {
      const { run } = this.engine.startWorkflow(
        {
          ...sw,
          namespace: saved.namespace,
          workflowId,
          requestId: randomUUID(),
          identity: identity(saved),
          // scheduled starts refuse a duplicate id, manual ones (trigger, backfill) allow it
          workflowIdReusePolicy: b.manual ? 'WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE' : 'WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE',
          searchAttributes: {
            indexedFields: { ...(sw.searchAttributes?.indexedFields ?? {}), TemporalScheduledStartTime: scheduledAt, TemporalScheduledById: keywordPayload(saved.id) },
          },
        },
        // ALLOW_ALL starts take no part in the last completion result or failure
        b.overlap === 'SCHEDULE_OVERLAP_POLICY_ALLOW_ALL' ? {} : { canAttrs: { lastCompletionResult: saved.lastCompletionResult, failure: saved.continuedFailure } },
      );
      if (track) {
        saved.running.push({ workflowId, runId: run.runId });
        this.byWorkflow.set(key(saved.namespace, workflowId), s);
      }
      saved.recent.push({ scheduleTime: b.actual, actualTime: now, workflowId, runId: run.runId });
      if (saved.recent.length > RECENT) saved.recent.splice(0, saved.recent.length - RECENT);
      saved.counts.actionCount++;
    } catch (err) {
      // the real scheduler logs a start that fails (e.g. the workflow id is taken) and goes on
      this.engine.log(`schedule ${saved.id}: starting workflow ${workflowId} failed: ${(err as Error).message}`);
    }
  }

  private arm(s: Sched): void {
    s.cancelTimer?.();
    s.cancelTimer = undefined;
    if (this.map.get(key(s.saved.namespace, s.saved.id)) !== s) return;
    const state = s.saved.schedule.state as Msg;
    if (state.paused) return;
    const n = state.limitedActions && Number(state.remainingActions ?? 0) <= 0 ? undefined : s.spec.nextNominal(s.saved.lastProcessed);
    if (n === undefined) {
      // nothing more to do: the real server deletes the schedule a retention time after its last event
      const last = Math.max(s.saved.createTime, s.saved.updateTime ?? 0, s.saved.recent[s.saved.recent.length - 1]?.actualTime ?? 0);
      s.cancelTimer = this.engine.clock.at(last + RETENTION_MS, () => {
        s.cancelTimer = undefined;
        this.engine.log(`schedule ${s.saved.id} has nothing more to do: deleted ${RETENTION_MS / 86_400_000} days after its last action or update`);
        this.delete(s);
      });
      return;
    }
    s.cancelTimer = this.engine.clock.at(s.spec.actual(n), () => {
      s.cancelTimer = undefined;
      this.step(s);
    });
  }

  /** The next `count` action times (fewer when actions are limited). */
  futureTimes(s: Sched, count: number): number[] {
    const state = s.saved.schedule.state as Msg;
    const n = state.limitedActions ? Math.min(count, Number(state.remainingActions ?? 0)) : count;
    const out: number[] = [];
    // a paused schedule has not passed the times since it was paused (they go by when it is unpaused)
    const now = this.engine.clock.now();
    const from = Math.max(s.saved.lastProcessed, now - s.spec.jitterMs - 1000);
    for (let t = s.spec.nextNominal(from); t !== undefined && out.length < n; t = s.spec.nextNominal(t)) {
      const actual = s.spec.actual(t);
      if (actual > now && t >= (s.saved.updateTime ?? 0)) out.push(actual);
    }
    return out;
  }

  private runClosed(run: Run): void {
    if (run.newRunId) return; // a retry or continue-as-new: the chain goes on
    const s = this.byWorkflow.get(key(run.namespace, run.workflowId));
    if (!s) return;
    const saved = s.saved;
    const i = saved.running.findIndex((r) => r.workflowId === run.workflowId && this.engine.currentRunOfChain(run.namespace, r.workflowId, r.runId) === run);
    if (i < 0) return;
    this.settle(s, run, i);
    this.step(s);
  }

  /** A started workflow closed: it leaves the running list and passes on its result or failure (and may pause the schedule). */
  private settle(s: Sched, run: Run, i: number): void {
    const saved = s.saved;
    saved.running.splice(i, 1);
    this.byWorkflow.delete(key(run.namespace, run.workflowId));
    const close = run.history[run.history.length - 1];
    if (run.status === 'WORKFLOW_EXECUTION_STATUS_COMPLETED') {
      saved.lastCompletionResult = close?.workflowExecutionCompletedEventAttributes?.result;
      saved.continuedFailure = undefined;
    } else if (run.status === 'WORKFLOW_EXECUTION_STATUS_FAILED' || run.status === 'WORKFLOW_EXECUTION_STATUS_TIMED_OUT') {
      const failed = run.status === 'WORKFLOW_EXECUTION_STATUS_FAILED';
      const failure = failed ? close?.workflowExecutionFailedEventAttributes?.failure : { message: 'workflow timed out', timeoutFailureInfo: { timeoutType: 'TIMEOUT_TYPE_START_TO_CLOSE' } };
      saved.continuedFailure = failure;
      if (saved.schedule.policies.pauseOnFailure && !saved.schedule.state.paused) {
        saved.schedule.state.paused = true;
        saved.schedule.state.notes = failed ? `paused due to workflow failure: ${run.workflowId}: ${failure?.message ?? ''}` : `paused due to workflow timeout: ${run.workflowId}`;
        saved.token++;
      }
    }
  }

  /** After a restart: started workflows that closed while the server was down are settled, and the missed times taken. */
  restore(saved: SavedSchedule[]): void {
    for (const rec of saved) {
      const s = this.add(rec);
      for (let i = rec.running.length - 1; i >= 0; i--) {
        const r = rec.running[i]!;
        const run = this.engine.currentRunOfChain(rec.namespace, r.workflowId, r.runId);
        if (!run) rec.running.splice(i, 1);
        else if (!this.engine.isOpen(run)) this.settle(s, run, i);
      }
      this.step(s);
    }
  }
}

function identity(saved: SavedSchedule): string {
  return `temporal-scheduler-${saved.namespace}-${saved.id}`;
}
