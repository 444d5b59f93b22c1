// The schedule methods of WorkflowService over the schedules (schedules.ts): validation as the
// real server's frontend does it (spec errors start "Invalid schedule spec: ", which the SDK turns
// into a TypeError), defaults filled in (overlap SKIP, catch-up window one year, at least 10 s),
// and the describe and list views.
import type { Engine } from './engine.js';
import { type Msg, alreadyExists, failedPrecondition, invalidArgument, ts, tsToMs, durationToMs } from './proto.js';
import { pageOf } from './listing.js';
import { compileSpec } from './schedule-spec.js';
import { type Sched, type SavedSchedule, type Schedules, MAX_BUFFER } from './schedules.js';
import type { Run } from './types.js';
import { parseQuery, searchAttributePayload } from './visibility.js';

const YEAR_MS = 365 * 86_400_000;
const MIN_CATCHUP_MS = 10_000;
const MAX_MATCHING_TIMES = 1000;

function checkAction(action: Msg | undefined): Msg {
  const sw = action?.startWorkflow as Msg | undefined;
  if (!sw) throw invalidArgument('Invalid schedule action: action.startWorkflow is not set.');
  if (!sw.workflowId) throw invalidArgument('Invalid schedule action: action.startWorkflow.workflowId is not set.');
  if (!sw.workflowType?.name) throw invalidArgument('Invalid schedule action: action.startWorkflow.workflowType is not set.');
  if (!sw.taskQueue?.name) throw invalidArgument('Invalid schedule action: action.startWorkflow.taskQueue is not set.');
  // the real frontend's words
  if (sw.cronSchedule) throw invalidArgument('Scheduled workflow must not contain CronSchedule');
  if (sw.workflowIdReusePolicy && sw.workflowIdReusePolicy !== 'WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED') throw invalidArgument('Scheduled workflow must not contain WorkflowIDReusePolicy');
  return action!;
}

function policiesOf(p: Msg | undefined): Msg {
  const overlap = p?.overlapPolicy && p.overlapPolicy !== 'SCHEDULE_OVERLAP_POLICY_UNSPECIFIED' ? p.overlapPolicy : 'SCHEDULE_OVERLAP_POLICY_SKIP';
  const window = durationToMs(p?.catchupWindow);
  return {
    overlapPolicy: overlap,
    catchupWindow: ts(window === undefined || window === 0 ? YEAR_MS : Math.max(window, MIN_CATCHUP_MS)),
    pauseOnFailure: !!p?.pauseOnFailure,
    keepOriginalWorkflowId: !!p?.keepOriginalWorkflowId,
  };
}

function stateOf(s: Msg | undefined): Msg {
  const limited = !!s?.limitedActions;
  return { notes: s?.notes ?? '', paused: !!s?.paused, limitedActions: limited, remainingActions: limited ? Number(s?.remainingActions ?? 0) : 0 };
}

function checkedSearchAttributes(engine: Engine, sa: Msg | undefined, what: string): Record<string, Msg> {
  const checked = engine.searchAttributes.validate(sa?.indexedFields ?? {});
  if (typeof checked === 'string') throw invalidArgument(`${what}: ${checked}`);
  return checked;
}

/** The schedule as stored: the spec compiled (and so checked), the rest with its defaults. */
function normalised(engine: Engine, schedule: Msg | undefined, seed: string): { schedule: Msg; spec: ReturnType<typeof compileSpec> } {
  if (!schedule) throw invalidArgument('Schedule is not set on request.');
  const action = checkAction(schedule.action);
  checkedSearchAttributes(engine, action.startWorkflow.searchAttributes, 'Invalid schedule action: action.startWorkflow.searchAttributes');
  const spec = compileSpec(schedule.spec, seed);
  return { schedule: { spec: spec.normalized, action, policies: policiesOf(schedule.policies), state: stateOf(schedule.state) }, spec };
}

function applyPatch(engine: Engine, schedules: Schedules, s: Sched, patch: Msg | undefined): void {
  if (!patch) return;
  const saved = s.saved;
  const now = engine.clock.now();
  if (patch.pause || patch.unpause) {
    schedules.step(s); // the times until now pass under the state they had
    saved.schedule.state.paused = !!patch.pause;
    saved.schedule.state.notes = patch.pause || patch.unpause;
    saved.token++;
  }
  const trigger = patch.triggerImmediately as Msg | undefined;
  if (trigger) {
    const nominal = tsToMs(trigger.scheduledTime) ?? now;
    schedules.pushBuffer(s, { nominal, actual: now, overlap: trigger.overlapPolicy, manual: true });
  }
  for (const b of (patch.backfillRequest ?? []) as Msg[]) {
    const start = tsToMs(b.startTime);
    const end = tsToMs(b.endTime);
    if (start === undefined || end === undefined) throw invalidArgument('Invalid backfill request: startTime and endTime are required.');
    if (end < start) throw invalidArgument('Invalid backfill request: endTime is before startTime.');
    // the start is inclusive (the real server's scheduler since its InclusiveBackfillStartTime version)
    for (let t = s.spec.nextNominal(start - 1); t !== undefined && t <= end; t = s.spec.nextNominal(t)) {
      schedules.pushBuffer(s, { nominal: t, actual: s.spec.actual(t), overlap: b.overlapPolicy, manual: true });
      if (saved.buffer.length >= MAX_BUFFER) break;
    }
  }
  schedules.step(s);
}

function describe(engine: Engine, schedules: Schedules, s: Sched): Msg {
  const saved = s.saved;
  return {
    schedule: saved.schedule,
    info: {
      actionCount: saved.counts.actionCount,
      missedCatchupWindow: saved.counts.missedCatchupWindow,
      overlapSkipped: saved.counts.overlapSkipped,
      bufferDropped: saved.counts.bufferDropped,
      bufferSize: saved.buffer.length,
      runningWorkflows: saved.running.map((r) => ({ workflowId: r.workflowId, runId: r.runId })),
      recentActions: recentActions(engine, saved, 10),
      futureActionTimes: schedules.futureTimes(s, 10).map(ts),
      createTime: ts(saved.createTime),
      updateTime: saved.updateTime !== undefined ? ts(saved.updateTime) : undefined,
    },
    memo: saved.memo,
    searchAttributes: { indexedFields: saved.searchAttributes },
    conflictToken: Buffer.from(String(saved.token)),
  };
}

/** The spec in a list entry: at most 10 calendars, intervals and excludes each, as the real server keeps in its memo. */
function listSpec(spec: Msg): Msg {
  return {
    ...spec,
    structuredCalendar: spec.structuredCalendar?.slice(0, 10),
    interval: spec.interval?.slice(0, 10),
    excludeStructuredCalendar: spec.excludeStructuredCalendar?.slice(0, 10),
  };
}

function recentActions(engine: Engine, saved: SavedSchedule, count: number): Msg[] {
  return saved.recent.slice(-count).map((a) => ({
    scheduleTime: ts(a.scheduleTime),
    actualTime: ts(a.actualTime),
    startWorkflowResult: { workflowId: a.workflowId, runId: a.runId },
    startWorkflowStatus: engine.currentRunOfChain(saved.namespace, a.workflowId, a.runId)?.status,
  }));
}

/** The schedules of a namespace a visibility query selects (by ScheduleId, TemporalSchedulePaused, custom attributes). */
function matching(engine: Engine, schedules: Schedules, ns: string, query: string | undefined): Sched[] {
  const predicate = parseQuery((query ?? '').replace(/\bScheduleId\b/g, 'WorkflowId'), engine.searchAttributes);
  const out: Sched[] = [];
  for (const s of schedules.map.values()) {
    if (s.saved.namespace !== ns) continue;
    const paused = searchAttributePayload('INDEXED_VALUE_TYPE_BOOL', !!s.saved.schedule.state.paused);
    const pseudo = {
      workflowId: s.saved.id, runId: '', workflowType: 'temporal-sys-scheduler-workflow', status: 'WORKFLOW_EXECUTION_STATUS_RUNNING',
      taskQueue: '', history: [], startTime: s.saved.createTime, executionTime: s.saved.createTime,
      searchAttributes: { ...s.saved.searchAttributes, TemporalSchedulePaused: paused },
    } as unknown as Run;
    if (predicate(pseudo)) out.push(s);
  }
  return out.sort((a, b) => b.saved.createTime - a.saved.createTime || (a.saved.id < b.saved.id ? -1 : 1));
}

export function scheduleHandlers(engine: Engine, ns: (req: Msg) => string): Record<string, (req: Msg) => Msg> {
  const schedules = engine.schedules;
  return {
    CreateSchedule: (req) => {
      const namespace = ns(req);
      const id = req.scheduleId as string;
      if (!id) throw invalidArgument('ScheduleId is not set on request.');
      const existing = schedules.map.get(`${namespace}/${id}`);
      if (existing && req.requestId && existing.saved.requestId === req.requestId) return { conflictToken: Buffer.from(String(existing.saved.token)) };
      if (existing) {
        throw alreadyExists('Schedule with this ID is already registered', {
          typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
          value: { startRequestId: '', runId: '' },
        });
      }
      const { schedule } = normalised(engine, req.schedule, schedules.jitterSeed(namespace, id));
      const searchAttributes = checkedSearchAttributes(engine, req.searchAttributes, 'Invalid schedule search attributes');
      const now = engine.clock.now();
      const s = schedules.add({
        namespace, id, schedule, memo: req.memo, searchAttributes,
        counts: { actionCount: 0, missedCatchupWindow: 0, overlapSkipped: 0, bufferDropped: 0 },
        createTime: now, recent: [], running: [], buffer: [], lastProcessed: now, token: 1, requestId: req.requestId || undefined,
      });
      applyPatch(engine, schedules, s, req.initialPatch);
      schedules.step(s);
      return { conflictToken: Buffer.from(String(s.saved.token)) };
    },

    DescribeSchedule: (req) => describe(engine, schedules, schedules.get(ns(req), req.scheduleId)),

    UpdateSchedule: (req) => {
      const s = schedules.get(ns(req), req.scheduleId);
      const token = req.conflictToken as Uint8Array | undefined;
      if (token && token.length > 0 && Buffer.from(token).toString() !== String(s.saved.token)) {
        throw failedPrecondition('mismatched conflict token'); // the CHASM scheduler's answer (the older workflow-based one drops the update)
      }
      const { schedule, spec } = normalised(engine, req.schedule, schedules.jitterSeed(s.saved.namespace, s.saved.id));
      const searchAttributes = req.searchAttributes ? checkedSearchAttributes(engine, req.searchAttributes, 'Invalid schedule search attributes') : undefined;
      schedules.step(s); // what was due is taken under the old schedule
      const now = engine.clock.now();
      Object.assign(s.saved, { schedule, updateTime: now, lastProcessed: Math.max(s.saved.lastProcessed, now), token: s.saved.token + 1 });
      if (searchAttributes) s.saved.searchAttributes = searchAttributes;
      if (req.memo) s.saved.memo = req.memo;
      schedules.setSpec(s, spec);
      schedules.step(s);
      return {};
    },

    PatchSchedule: (req) => {
      const s = schedules.get(ns(req), req.scheduleId);
      applyPatch(engine, schedules, s, req.patch);
      return {};
    },

    DeleteSchedule: (req) => {
      schedules.delete(schedules.get(ns(req), req.scheduleId));
      return {};
    },

    ListSchedules: (req) => {
      const all = matching(engine, schedules, ns(req), req.query);
      const { page, nextPageToken } = pageOf(all, req.maximumPageSize, req.nextPageToken);
      return {
        schedules: page.map((s) => ({
          scheduleId: s.saved.id,
          memo: s.saved.memo,
          searchAttributes: { indexedFields: s.saved.searchAttributes },
          info: {
            spec: listSpec(s.saved.schedule.spec),
            workflowType: s.saved.schedule.action.startWorkflow.workflowType,
            notes: s.saved.schedule.state.notes,
            paused: s.saved.schedule.state.paused,
            recentActions: recentActions(engine, s.saved, 5),
            futureActionTimes: schedules.futureTimes(s, 5).map(ts),
          },
        })),
        nextPageToken,
      };
    },

    CountSchedules: (req) => ({ count: matching(engine, schedules, ns(req), req.query).length }),

    ListScheduleMatchingTimes: (req) => {
      const s = schedules.get(ns(req), req.scheduleId);
      const start = tsToMs(req.startTime);
      const end = tsToMs(req.endTime);
      if (start === undefined || end === undefined) throw invalidArgument('ListScheduleMatchingTimes needs startTime and endTime.');
      const times: Msg[] = [];
      for (let t = s.spec.nextNominal(start); t !== undefined && t <= end && times.length < MAX_MATCHING_TIMES; t = s.spec.nextNominal(t)) {
        times.push(ts(s.spec.actual(t)));
      }
      return { startTime: times };
    },
  };
}
