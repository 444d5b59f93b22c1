// `lifecycle`: the long-running entity workflow of the resource lifecycle (id `lifecycle`). A daily
// durable timer at `sweepAt` UTC starts a `lifecycleSweep` child; it remembers the notices sent,
// the exemptions added with `exempt` and the last reports across sweeps and continue-as-new.
import {
  allHandlersFinished, ChildWorkflowFailure, condition, continueAsNew, defineQuery, defineSignal, defineUpdate,
  setHandler, startChild, workflowInfo, type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { exemptionsChangedSignal, lifecycleSweep } from './lifecycle-sweep.js';
import type {
  ExemptRequest, LifecycleInput, LifecycleMemory, LifecycleSettings, LifecycleStatus, RememberedExemption, SweepNowRequest, SweepReport,
} from './lifecycle-sweep-types.js';
import { LIFECYCLE_TASK_QUEUE } from './lifecycle-sweep-types.js';
import { nextSweepTime, sweepIdFor } from './lifecycle-sweep-logic.js';
import type { NoticeRecord } from './lifecycle-types.js';

export const lifecycleStatusQuery = defineQuery<LifecycleStatus>('status');
/** The last report, or the one of `sweepId`. */
export const lifecycleReportQuery = defineQuery<SweepReport | undefined, [string?]>('report');
/** What a plan needs from memory: notices sent and exemptions (the CLI's `lifecycle plan`). */
export const lifecycleMemoryQuery = defineQuery<Pick<LifecycleMemory, 'noticesSent' | 'exemptions'>>('memory');
export const exemptUpdate = defineUpdate<RememberedExemption, [ExemptRequest]>('exempt');
export const sweepNowUpdate = defineUpdate<{ sweepId: string }, [SweepNowRequest]>('sweepNow');
/** New settings from the config (signal-with-start by the worker and the CLI: idempotent). */
export const configureSignal = defineSignal<[LifecycleSettings]>('configure');

const DAY = 86_400_000;
const KEEP_REPORTS = 10;
/** Notices older than this can no longer count for any episode the planner looks at. */
const KEEP_NOTICES_MS = 400 * DAY;
const SWEEPS_PER_RUN = 30;

export async function lifecycle(input: LifecycleInput): Promise<never> {
  let settings = input.settings;
  const memory: LifecycleMemory = input.memory ?? { noticesSent: [], exemptions: [], reports: [], sweeps: 0 };
  let nextAt = nextSweepTime(Date.now(), settings.sweepAt);
  let requested: { sweepId: string; enforce?: boolean } | undefined;
  let running: { sweepId: string; handle?: ChildWorkflowHandle<typeof lifecycleSweep> } | undefined;
  let reschedule = false;
  let sweepsThisRun = 0;

  const activeExemptions = (): RememberedExemption[] => {
    const today = new Date(Date.now()).toISOString().slice(0, 10);
    return memory.exemptions.filter((e) => e.until >= today);
  };

  setHandler(lifecycleStatusQuery, (): LifecycleStatus => {
    const last = memory.reports[memory.reports.length - 1];
    return {
      enforce: settings.enforce, sweepAt: settings.sweepAt, nextSweepAt: new Date(nextAt).toISOString(),
      ...(running ? { running: { sweepId: running.sweepId } } : {}),
      ...(last ? { lastReport: { sweepId: last.sweepId, status: last.status, at: last.at, summary: last.summary } } : {}),
      exemptions: activeExemptions(), noticesRemembered: memory.noticesSent.length, sweeps: memory.sweeps,
    };
  });
  setHandler(lifecycleReportQuery, (sweepId?: string) =>
    sweepId ? memory.reports.find((r) => r.sweepId === sweepId) : memory.reports[memory.reports.length - 1]);
  setHandler(lifecycleMemoryQuery, () => ({ noticesSent: memory.noticesSent, exemptions: activeExemptions() }));

  setHandler(exemptUpdate, async (req) => {
    const exemption: RememberedExemption = { id: req.resourceId.trim(), until: req.until, reason: req.reason.trim(), addedAt: new Date().toISOString() };
    memory.exemptions = [...memory.exemptions.filter((e) => e.id !== exemption.id), exemption];
    // A sweep in progress re-checks against the latest exemptions before acting.
    if (running?.handle) await running.handle.signal(exemptionsChangedSignal, activeExemptions());
    return exemption;
  }, { validator: validateExempt });

  setHandler(sweepNowUpdate, async (req) => {
    const sweepId = sweepIdFor(Date.now(), true);
    requested = { sweepId, ...(req?.enforce !== undefined ? { enforce: req.enforce } : {}) };
    await condition(() => (running?.sweepId === sweepId && running.handle !== undefined) || memory.reports.some((r) => r.sweepId === sweepId));
    return { sweepId };
  }, {
    validator: (req) => {
      if (running || requested) throw new Error(`sweep ${running?.sweepId ?? requested?.sweepId} is still running; wait for it (or approve it) first`);
      if (req !== undefined && (typeof req !== 'object' || (req.enforce !== undefined && typeof req.enforce !== 'boolean'))) {
        throw new Error('enforce: must be true or false');
      }
    },
  });

  setHandler(configureSignal, (next) => {
    if (!next || typeof next !== 'object' || !next.policies || !/^\d{2}:\d{2}$/.test(next.sweepAt ?? '')) return; // not settings: ignored
    if (JSON.stringify(next) === JSON.stringify(settings)) return;
    settings = next;
    nextAt = nextSweepTime(Date.now(), settings.sweepAt);
    reschedule = true;
  });

  for (;;) {
    const fired = !(await condition(() => requested !== undefined || reschedule, Math.max(1, nextAt - Date.now())));
    if (reschedule && !requested && !fired) {
      reschedule = false;
      continue;
    }
    reschedule = false;
    const onDemand = requested;
    const sweepId = onDemand?.sweepId ?? sweepIdFor(Date.now(), false);
    // A daily sweep plans at its scheduled time, so "due in exactly N days" is due N sweeps later.
    const at = onDemand ? undefined : new Date(nextAt).toISOString();
    if (!onDemand) nextAt = nextSweepTime(Math.max(Date.now(), nextAt) + 1000, settings.sweepAt);
    running = { sweepId };
    requested = undefined;
    const report = await runSweep(sweepId, at, settings, memory, activeExemptions(), onDemand?.enforce, (handle) => {
      if (running) running.handle = handle;
    });
    running = undefined;
    remember(memory, report);
    sweepsThisRun++;
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 5000 || sweepsThisRun >= SWEEPS_PER_RUN) {
      await condition(() => allHandlersFinished() && requested === undefined);
      await continueAsNew<typeof lifecycle>({ settings, memory });
    }
  }
}

async function runSweep(
  sweepId: string, at: string | undefined, settings: LifecycleSettings, memory: LifecycleMemory, exemptions: RememberedExemption[], enforce: boolean | undefined,
  started: (handle: ChildWorkflowHandle<typeof lifecycleSweep>) => void,
): Promise<SweepReport> {
  const startedAt = new Date().toISOString();
  try {
    const handle = await startChild(lifecycleSweep, {
      workflowId: sweepId, taskQueue: LIFECYCLE_TASK_QUEUE,
      args: [{
        sweepId, mode: 'sweep', settings, noticesSent: memory.noticesSent, ...(at ? { at } : {}),
        exemptions: exemptions.map(({ id, reason, until }) => ({ id, reason, until })),
        ...(enforce !== undefined ? { enforce } : {}),
      }],
    });
    started(handle);
    return await handle.result();
  } catch (err) {
    const message = err instanceof ChildWorkflowFailure && err.cause ? err.cause.message : err instanceof Error ? err.message : String(err);
    return {
      sweepId, mode: 'sweep', enforce: enforce ?? settings.enforce, status: 'failed', at: startedAt, startedAt, finishedAt: new Date().toISOString(),
      inventory: {}, pages: 0, problems: [], notices: { sent: [], due: 0, unaddressed: 0, failed: [] }, actions: [], error: message,
      summary: `sweep ${sweepId} failed: ${message} (nothing destructive was done after the failure)`,
    };
  }
}

function remember(memory: LifecycleMemory, report: SweepReport): void {
  const cutoff = Date.now() - KEEP_NOTICES_MS;
  const seen = new Set<string>();
  const key = (n: NoticeRecord) => `${n.resourceId}\u0000${n.rule}\u0000${n.stage}\u0000${n.sentAt}`;
  memory.noticesSent = [...memory.noticesSent, ...report.notices.sent].filter((n) => {
    if (Date.parse(n.sentAt) < cutoff || seen.has(key(n))) return false;
    seen.add(key(n));
    return true;
  });
  const today = new Date(Date.now()).toISOString().slice(0, 10);
  memory.exemptions = memory.exemptions.filter((e) => e.until >= today);
  // Plans can be large; the CLI gets them from the plan run, not from memory.
  memory.reports = [...memory.reports.filter((r) => r.sweepId !== report.sweepId), report].slice(-KEEP_REPORTS);
  memory.sweeps++;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const RESOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}$/;

/** Validator of `exempt`: a resource id, a real date not in the past, and a reason. */
export function validateExempt(req: ExemptRequest): void {
  if (!req || typeof req !== 'object') throw new Error('exempt needs { resourceId, until, reason }');
  if (typeof req.resourceId !== 'string' || !RESOURCE_ID.test(req.resourceId.trim())) {
    throw new Error(`resourceId: ${JSON.stringify(req.resourceId)} is not a resource or project id`);
  }
  const until = typeof req.until === 'string' ? req.until : '';
  const t = Date.parse(`${until}T00:00:00Z`);
  if (!DATE_RE.test(until) || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== until) {
    throw new Error(`until: must be a date YYYY-MM-DD, got ${JSON.stringify(req.until)}`);
  }
  const today = new Date(Date.now()).toISOString().slice(0, 10);
  if (until < today) throw new Error(`until: ${until} is in the past (today is ${today})`);
  if (typeof req.reason !== 'string' || !req.reason.trim()) throw new Error('reason: must not be empty (say why the resource is kept)');
  if (req.reason.length > 500) throw new Error('reason: must be at most 500 characters');
}
