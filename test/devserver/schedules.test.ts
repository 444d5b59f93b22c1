// Conformance: schedules through the SDK's client.schedule with a real worker, as the real server
// runs them (workflow ids with the scheduled time appended, the two scheduler search attributes,
// overlap policies, pause, trigger, backfill, update, delete, list, limited actions, time zones).
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { msToTs, tsToMs } from '@temporalio/common/lib/time.js';
import { useConformanceWorker } from './conformance-env.js';
import { withDbFile, withServer } from './persistence-support.js';
import { errorOf } from './error-of.js';

const taskQueue = 'conformance-schedules';
const conformance = useConformanceWorker(taskQueue);
const { id } = conformance;
const HOUR = 3_600_000;
const MINUTE = 60_000;

const client = () => conformance.t.env.client;
const now = () => conformance.t.env.currentTimeMs();
/** RFC 3339 in UTC without fractional seconds, as the real server appends it to workflow ids */
const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

function options(scheduleId: string, extra: Partial<ScheduleOptions> = {}, workflowType = 'greeting', args: unknown[] = ['sched']): ScheduleOptions {
  return {
    scheduleId,
    spec: { intervals: [{ every: '1 hour' }] },
    action: { type: 'startWorkflow', workflowType, args, taskQueue, workflowId: `${scheduleId}-wf` },
    ...extra,
  } as ScheduleOptions;
}

async function terminateRunning(scheduleId: string): Promise<void> {
  const d = await client().schedule.getHandle(scheduleId).describe();
  for (const a of d.info.runningActions) await client().workflow.getHandle(a.workflow.workflowId).terminate('test over');
}

test('create and describe: the spec, action and policies come back; the next action times follow the calendar and the interval', async () => {
  const scheduleId = id('roundtrip');
  const t0 = await now();
  const handle = await client().schedule.create({
    ...options(scheduleId),
    spec: { calendars: [{ hour: 10, minute: 30, comment: 'daily' }], intervals: [{ every: '7 hours', offset: '15 minutes' }] },
    policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: '5 minutes' },
    memo: { team: 'atmosphere' },
  });
  const d = await handle.describe();
  expect(d.spec.calendars).toEqual([
    { second: [{ start: 0, end: 0, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }], hour: [{ start: 10, end: 10, step: 1 }],
      dayOfMonth: [{ start: 1, end: 31, step: 1 }], month: [{ start: 'JANUARY', end: 'DECEMBER', step: 1 }], year: [],
      dayOfWeek: [{ start: 'SUNDAY', end: 'SATURDAY', step: 1 }], comment: 'daily' },
  ]);
  expect(d.spec.intervals).toEqual([{ every: 7 * HOUR, offset: 15 * MINUTE }]);
  expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'greeting', taskQueue, args: ['sched'], workflowId: `${scheduleId}-wf` });
  expect(d.policies).toEqual({ overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: 5 * MINUTE, pauseOnFailure: false });
  expect(d.memo).toEqual({ team: 'atmosphere' });
  expect(d.state.paused).toBe(false);
  expect(d.info.numActionsTaken).toBe(0);
  // expected: the union of 10:30 UTC daily and 00:15 + n * 7 h since the epoch
  const expected: number[] = [];
  const day = 86_400_000;
  for (let d0 = Math.floor(t0 / day) * day; expected.length < 40; d0 += day) expected.push(d0 + 10.5 * HOUR);
  for (let n = Math.floor((t0 - 15 * MINUTE) / (7 * HOUR)) + 1; expected.length < 80; n++) expected.push(n * 7 * HOUR + 15 * MINUTE);
  const next = expected.filter((x) => x > t0).sort((a, b) => a - b).slice(0, 10);
  expect(d.info.nextActionTimes.map((x) => x.getTime())).toEqual(next);
  expect(d.info.createdAt.getTime()).toBeGreaterThanOrEqual(t0 - 1000);
  await handle.delete();
});

test('fires start workflows named id-<RFC 3339 time> with TemporalScheduledStartTime and TemporalScheduledById; recent actions show them', async () => {
  const scheduleId = id('fires');
  const t0 = await now();
  const handle = await client().schedule.create(options(scheduleId));
  await conformance.t.env.sleep(2 * HOUR);
  const d = await handle.describe();
  const times = [Math.floor(t0 / HOUR) * HOUR + HOUR, Math.floor(t0 / HOUR) * HOUR + 2 * HOUR];
  expect(d.info.numActionsTaken).toBe(2);
  expect(d.info.recentActions.map((a) => a.action.workflow.workflowId)).toEqual(times.map((x) => `${scheduleId}-wf-${rfc3339(x)}`));
  expect(d.info.recentActions.map((a) => a.scheduledAt.getTime())).toEqual(times);
  const listed = [];
  for await (const x of client().workflow.list({ query: `TemporalScheduledById = "${scheduleId}"` })) listed.push(x.workflowId);
  expect(listed.sort()).toEqual(times.map((x) => `${scheduleId}-wf-${rfc3339(x)}`).sort());
  await handle.delete(); // before waiting on a result, which lets time skip to the next fire
  const wf = client().workflow.getHandle(`${scheduleId}-wf-${rfc3339(times[0]!)}`);
  expect(await wf.result()).toBe('hello, sched');
  const w = await wf.describe();
  expect(w.searchAttributes.TemporalScheduledById).toEqual([scheduleId]);
  expect((w.searchAttributes.TemporalScheduledStartTime as Date[])[0]!.getTime()).toBe(times[0]);
});

test('SKIP (the default): a time due while the last workflow runs is skipped and counted', async () => {
  const scheduleId = id('skip');
  const handle = await client().schedule.create({ ...options(scheduleId, {}, 'waitForever', []), spec: { intervals: [{ every: '10 minutes' }] } });
  await conformance.t.env.sleep(35 * MINUTE);
  const d = await handle.describe();
  expect(d.info.numActionsTaken).toBe(1);
  expect(d.info.runningActions).toHaveLength(1);
  expect(d.info.numActionsSkippedOverlap).toBeGreaterThanOrEqual(2);
  await terminateRunning(scheduleId);
  await handle.delete();
});

test('ALLOW_ALL: every time starts a workflow, overlapping', async () => {
  const scheduleId = id('allow');
  const handle = await client().schedule.create({
    ...options(scheduleId, {}, 'waitForever', []), spec: { intervals: [{ every: '10 minutes' }] }, policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
  });
  await conformance.t.env.sleep(35 * MINUTE);
  const d = await handle.describe();
  expect(d.info.numActionsTaken).toBeGreaterThanOrEqual(3);
  expect(d.info.numActionsSkippedOverlap).toBe(0);
  // only the start that overlapped nothing is tracked as running, as on the real server
  expect(d.info.runningActions).toHaveLength(1);
  for (const a of d.info.recentActions) expect((await client().workflow.getHandle(a.action.workflow.workflowId).describe()).status.name).toBe('RUNNING');
  for (const a of d.info.recentActions) await client().workflow.getHandle(a.action.workflow.workflowId).terminate('test over');
  await handle.delete();
});

test('BUFFER_ONE: one time waits for the running workflow and starts when it closes', async () => {
  const scheduleId = id('buffer');
  const handle = await client().schedule.create({
    ...options(scheduleId, {}, 'sleeper', [25 * MINUTE]), spec: { intervals: [{ every: '10 minutes' }] }, policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE },
  });
  await conformance.t.env.sleep(10 * MINUTE + 25 * MINUTE + 5 * MINUTE);
  const d = await handle.describe();
  // the first runs 25 min; of the two times due meanwhile one is buffered (started when it closes), one skipped
  expect(d.info.numActionsTaken).toBe(2);
  expect(d.info.numActionsSkippedOverlap).toBe(1);
  await terminateRunning(scheduleId);
  await handle.delete();
});

test('BUFFER_ALL: every time due while the workflow runs waits its turn', async () => {
  const scheduleId = id('buffer-all');
  const handle = await client().schedule.create({
    ...options(scheduleId, {}, 'sleeper', [25 * MINUTE]), spec: { intervals: [{ every: '10 minutes' }] }, policies: { overlap: ScheduleOverlapPolicy.BUFFER_ALL },
  });
  await conformance.t.env.sleep(10 * MINUTE + 25 * MINUTE + 5 * MINUTE);
  const d = await handle.describe();
  // the first runs 25 min, the second starts when it closes; the two times due since wait in the buffer
  expect(d.info.numActionsTaken).toBe(2);
  expect(d.info.numActionsSkippedOverlap).toBe(0);
  expect(Number(d.raw.info?.bufferSize)).toBe(2);
  await terminateRunning(scheduleId);
  await handle.delete();
});

test('each workflow gets the last completion result of the one before', async () => {
  const scheduleId = id('last-result');
  const handle = await client().schedule.create({ ...options(scheduleId, {}, 'cronCounter', []), spec: { intervals: [{ every: '10 minutes' }] } });
  await conformance.t.env.sleep(30 * MINUTE);
  const ids = (await handle.describe()).info.recentActions.map((a) => a.action.workflow.workflowId);
  await handle.delete();
  expect(ids).toHaveLength(3);
  const results = [];
  for (const w of ids) results.push(((await client().workflow.getHandle(w).result()) as { count: number }).count);
  expect(results).toEqual([1, 2, 3]);
});

test('TERMINATE_OTHER: a time due while the last workflow runs terminates it and starts the next', async () => {
  const scheduleId = id('terminate');
  const t0 = await now();
  const handle = await client().schedule.create({
    ...options(scheduleId, {}, 'waitForever', []), spec: { intervals: [{ every: '10 minutes' }] }, policies: { overlap: ScheduleOverlapPolicy.TERMINATE_OTHER },
  });
  await conformance.t.env.sleep(20 * MINUTE);
  const d = await handle.describe();
  expect(d.info.numActionsTaken).toBe(2); // exactly two multiples of 10 min in any 20 min
  expect(d.info.runningActions).toHaveLength(1);
  const [first, second] = d.info.recentActions.map((a) => a.action.workflow.workflowId);
  expect(first).toBe(`${scheduleId}-wf-${rfc3339(Math.floor(t0 / (10 * MINUTE)) * 10 * MINUTE + 10 * MINUTE)}`);
  expect((await client().workflow.getHandle(first!).describe()).status.name).toBe('TERMINATED');
  expect(d.info.runningActions[0]!.workflow.workflowId).toBe(second);
  await terminateRunning(scheduleId);
  await handle.delete();
});

test('CANCEL_OTHER: a time due while the last workflow runs cancels it and starts once it has closed', async () => {
  const scheduleId = id('cancel');
  const handle = await client().schedule.create({
    ...options(scheduleId, {}, 'waitForever', []), spec: { intervals: [{ every: '10 minutes' }] }, policies: { overlap: ScheduleOverlapPolicy.CANCEL_OTHER },
  });
  await conformance.t.env.sleep(20 * MINUTE);
  const d = await handle.describe();
  expect(d.info.numActionsTaken).toBe(2);
  const [first, second] = d.info.recentActions.map((a) => a.action.workflow.workflowId);
  expect((await client().workflow.getHandle(first!).describe()).status.name).toBe('CANCELLED');
  expect(d.info.runningActions.map((a) => a.workflow.workflowId)).toEqual([second]);
  await terminateRunning(scheduleId);
  await handle.delete();
});

test('jitter delays each time by a stable amount up to the jitter', async () => {
  const scheduleId = id('jitter');
  const handle = await client().schedule.create({ ...options(scheduleId), spec: { intervals: [{ every: '1 hour' }], jitter: '30 minutes' } });
  const times = (await handle.describe()).info.nextActionTimes.map((x) => x.getTime());
  const delays = times.map((x) => x % HOUR);
  expect(delays.every((x) => x >= 0 && x < 30 * MINUTE)).toBe(true);
  expect(new Set(delays).size).toBeGreaterThan(1);
  expect((await handle.describe()).info.nextActionTimes.map((x) => x.getTime())).toEqual(times);
  await conformance.t.env.sleep(HOUR + 30 * MINUTE);
  const d = await handle.describe();
  expect(d.info.recentActions[0]!.scheduledAt.getTime()).toBe(times[0]);
  expect(d.info.recentActions[0]!.action.workflow.workflowId).toBe(`${scheduleId}-wf-${rfc3339(times[0]! - delays[0]!)}`);
  await handle.delete();
});

test('pause and unpause: no actions while paused, the note shows; actions again after', async () => {
  const scheduleId = id('pause');
  const handle = await client().schedule.create(options(scheduleId));
  await handle.pause('maintenance window');
  await conformance.t.env.sleep(2 * HOUR);
  let d = await handle.describe();
  expect(d.state).toMatchObject({ paused: true, note: 'maintenance window' });
  expect(d.info.numActionsTaken).toBe(0);
  expect(d.info.nextActionTimes[0]!.getTime()).toBeGreaterThan(await now());
  expect(d.info.numActionsMissedCatchupWindow).toBe(0);
  await handle.unpause('back');
  await conformance.t.env.sleep(HOUR);
  d = await handle.describe();
  expect(d.state).toMatchObject({ paused: false, note: 'back' });
  expect(d.info.numActionsTaken).toBe(1);
  await handle.delete();
});

test('trigger starts a workflow now; delete keeps it running and the schedule is then not found', async () => {
  const scheduleId = id('trigger');
  const handle = await client().schedule.create({ ...options(scheduleId, {}, 'waitForever', []), spec: { calendars: [{ month: 'JANUARY', dayOfMonth: 1 }] } });
  const t0 = await now();
  await handle.trigger();
  const d = await handle.describe();
  expect(d.info.numActionsTaken).toBe(1);
  const workflowId = d.info.recentActions[0]!.action.workflow.workflowId;
  expect(workflowId).toBe(`${scheduleId}-wf-${rfc3339(t0)}`);
  await handle.delete();
  expect(await errorOf(handle.describe())).toBeInstanceOf(ScheduleNotFoundError);
  expect((await client().workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
  await client().workflow.getHandle(workflowId).terminate('test over');
});

test('backfill over a past range starts a workflow per time in it', async () => {
  const scheduleId = id('backfill');
  const handle = await client().schedule.create({ ...options(scheduleId), spec: { calendars: [{ month: 'JANUARY', dayOfMonth: 1 }], intervals: [{ every: '1 hour' }] } });
  const t0 = await now();
  const top = Math.floor(t0 / HOUR) * HOUR;
  // the start is inclusive, the end too
  await handle.backfill({ start: new Date(top - 5 * HOUR), end: new Date(top - HOUR), overlap: ScheduleOverlapPolicy.ALLOW_ALL });
  const d = await handle.describe();
  const times = [5, 4, 3, 2, 1].map((k) => top - k * HOUR);
  expect(d.info.numActionsTaken).toBe(5);
  expect(d.info.recentActions.map((a) => a.action.workflow.workflowId)).toEqual(times.map((x) => `${scheduleId}-wf-${rfc3339(x)}`));
  await handle.delete();
});

test('update changes the spec; an update with a stale conflict token is refused', async () => {
  const scheduleId = id('update');
  const handle = await client().schedule.create(options(scheduleId));
  await handle.update((s) => ({ ...s, spec: { intervals: [{ every: '10 minutes' }] }, state: { ...s.state, note: 'faster' } }));
  const d = await handle.describe();
  expect(d.spec.intervals).toEqual([{ every: 10 * MINUTE }]);
  expect(d.state.note).toBe('faster');
  expect(d.info.lastUpdatedAt).toBeDefined();
  expect(d.info.nextActionTimes[1]!.getTime() - d.info.nextActionTimes[0]!.getTime()).toBe(10 * MINUTE);
  const raw = d.raw;
  const err = await errorOf(client().workflowService.updateSchedule({ namespace: 'default', scheduleId, schedule: raw.schedule, conflictToken: Buffer.from('stale') }));
  expect(err.code).toBe(9); // FAILED_PRECONDITION
  expect(err.message).toContain('conflict token');
  await handle.delete();
});

test('list shows the schedules; TemporalSchedulePaused selects the paused ones', async () => {
  const a = id('list-a');
  const b = id('list-b');
  await client().schedule.create(options(a));
  await client().schedule.create({ ...options(b), state: { paused: true, note: 'held' }, searchAttributes: { CustomKeywordField: ['team-b'] } });
  const all = [];
  for await (const s of client().schedule.list()) all.push(s);
  expect(all.map((s) => s.scheduleId)).toEqual(expect.arrayContaining([a, b]));
  const entry = all.find((s) => s.scheduleId === b)!;
  expect(entry.state).toEqual({ paused: true, note: 'held' });
  expect(entry.action).toEqual({ type: 'startWorkflow', workflowType: 'greeting' });
  const paged = [];
  for await (const s of client().schedule.list({ pageSize: 1 })) paged.push(s.scheduleId);
  expect(paged.sort()).toEqual(all.map((s) => s.scheduleId).sort());
  const paused = [];
  for await (const s of client().schedule.list({ query: 'TemporalSchedulePaused = true' })) paused.push(s.scheduleId);
  expect(paused).toContain(b);
  expect(paused).not.toContain(a);
  const byAttribute = [];
  for await (const s of client().schedule.list({ query: 'CustomKeywordField = "team-b"' })) byAttribute.push(s);
  expect(byAttribute.map((s) => s.scheduleId)).toEqual([b]);
  expect(byAttribute[0]!.searchAttributes).toEqual({ CustomKeywordField: ['team-b'] });
  const byId = [];
  for await (const s of client().schedule.list({ query: `ScheduleId = "${a}"` })) byId.push(s.scheduleId);
  expect(byId).toEqual([a]);
  await client().schedule.getHandle(a).delete();
  await client().schedule.getHandle(b).delete();
});

test('validation errors name what is wrong; a duplicate id is ScheduleAlreadyRunning', async () => {
  const scheduleId = id('invalid');
  const cron = await errorOf(client().schedule.create({ ...options(scheduleId), spec: { cronExpressions: ['61 * * * *'] } }));
  expect(cron).toBeInstanceOf(TypeError);
  expect(cron.message).toBe('minute value "61" is out of range [0-59]');
  const interval = await errorOf(client().schedule.create({ ...options(scheduleId), spec: { intervals: [{ every: 0 }] } }));
  expect(interval.message).toContain('interval is too small (interval[0].interval must be at least one second)');
  const zone = await errorOf(client().schedule.create({ ...options(scheduleId), spec: { calendars: [{ hour: 9 }], timezone: 'Mars/Olympus' } }));
  expect(zone.message).toContain('unknown time zone Mars/Olympus');
  const raw = await errorOf(client().workflowService.createSchedule({
    namespace: 'default', scheduleId, schedule: { spec: {}, action: { startWorkflow: { workflowId: 'w', workflowType: { name: 'greeting' } } } },
  }));
  expect(raw.code).toBe(3);
  expect(raw.message).toContain('action.startWorkflow.taskQueue is not set');
  const cronInAction = await errorOf(client().workflowService.createSchedule({
    namespace: 'default', scheduleId, schedule: { spec: {}, action: { startWorkflow: { workflowId: 'w', workflowType: { name: 'greeting' }, taskQueue: { name: taskQueue }, cronSchedule: '* * * * *' } } },
  }));
  expect(cronInAction.message).toContain('Scheduled workflow must not contain CronSchedule');
  await client().schedule.create(options(scheduleId));
  expect(await errorOf(client().schedule.create(options(scheduleId)))).toBeInstanceOf(ScheduleAlreadyRunning);
  // the same request again (a retried call) is answered as done
  const again = { namespace: 'default', scheduleId: id('retried'), requestId: 'req-1', schedule: (await client().schedule.getHandle(scheduleId).describe()).raw.schedule };
  await client().workflowService.createSchedule(again);
  await client().workflowService.createSchedule(again);
  expect(await errorOf(client().workflowService.createSchedule({ ...again, requestId: 'req-2' }))).toMatchObject({ code: 6 });
  await client().schedule.getHandle(again.scheduleId).delete();
  await client().schedule.getHandle(scheduleId).delete();
});

test('a calendar in America/New_York fires at 09:00 local time on both sides of a DST change (cron string too)', async () => {
  const scheduleId = id('tz');
  await client().schedule.create({ ...options(scheduleId), spec: { calendars: [{ hour: 9 }], timezone: 'America/New_York' } });
  const times = async (sid: string) => {
    const res: temporal.api.workflowservice.v1.IListScheduleMatchingTimesResponse = await client().workflowService.listScheduleMatchingTimes({
      namespace: 'default', scheduleId: sid,
      startTime: msToTs(Date.parse('2027-03-12T00:00:00Z')), endTime: msToTs(Date.parse('2027-03-16T00:00:00Z')),
    });
    return (res.startTime ?? []).map((x) => new Date(tsToMs(x)).toISOString());
  };
  const expected = ['2027-03-12T14:00:00.000Z', '2027-03-13T14:00:00.000Z', '2027-03-14T13:00:00.000Z', '2027-03-15T13:00:00.000Z'];
  expect(await times(scheduleId)).toEqual(expected);
  const cronId = id('tz-cron');
  await client().schedule.create({ ...options(cronId), spec: { cronExpressions: ['CRON_TZ=America/New_York 0 9 * * *'] } });
  expect(await times(cronId)).toEqual(expected);
  const d = await client().schedule.getHandle(cronId).describe();
  expect(d.spec.timezone).toBe('America/New_York');
  expect(d.spec.calendars?.[0]?.hour).toEqual([{ start: 9, end: 9, step: 1 }]);
  await client().schedule.getHandle(scheduleId).delete();
  await client().schedule.getHandle(cronId).delete();
});

test('limited actions: the schedule stops after its remaining actions', async () => {
  const scheduleId = id('limited');
  const handle = await client().schedule.create({ ...options(scheduleId), spec: { intervals: [{ every: '10 minutes' }] }, state: { remainingActions: 2 } });
  expect((await handle.describe()).info.nextActionTimes).toHaveLength(2);
  await conformance.t.env.sleep(HOUR);
  const d = await handle.describe();
  expect(d.info.numActionsTaken).toBe(2);
  expect(d.state.remainingActions).toBe(0);
  expect(d.info.nextActionTimes).toEqual([]);
  // with nothing more to do it is deleted a week after its last action, as on the real server
  await conformance.t.env.sleep(6 * 24 * HOUR);
  await handle.describe();
  await conformance.t.env.sleep(24 * HOUR + MINUTE);
  expect(await errorOf(handle.describe())).toBeInstanceOf(ScheduleNotFoundError);
});

test('pauseOnFailure: a failed workflow pauses the schedule with a note naming it', async () => {
  const scheduleId = id('pause-on-failure');
  const handle = await client().schedule.create({
    ...options(scheduleId, {}, 'businessFailure', []), spec: { calendars: [{ month: 'JANUARY', dayOfMonth: 1 }] }, policies: { pauseOnFailure: true },
  });
  await handle.trigger();
  const workflowId = (await handle.describe()).info.recentActions[0]!.action.workflow.workflowId;
  await errorOf(client().workflow.getHandle(workflowId).result());
  const d = await handle.describe();
  expect(d.state.paused).toBe(true);
  expect(d.state.note).toBe(`paused due to workflow failure: ${workflowId}: the release is blocked`);
  await handle.delete();
});

test('--db: a schedule survives a restart, catches up on the times within its catch-up window and keeps firing', async () => {
  const scheduleId = 'persisted';
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await withDbFile(async (dbFile) => {
    const before = await withServer(dbFile, async (_server, c) => {
      const h = await c.schedule.create({ ...options(scheduleId, {}, 'waitForever', []), spec: { intervals: [{ every: '1 second' }] },
        policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: '10 seconds' },
      });
      await sleep(2500);
      return (await h.describe()).info.numActionsTaken;
    });
    expect(before).toBeGreaterThanOrEqual(2);
    await sleep(12_000); // down: the times of the last 10 s are caught up, older ones missed
    await withServer(dbFile, async (_server, c) => {
      const h = c.schedule.getHandle(scheduleId);
      const d = await h.describe();
      expect(d.action).toMatchObject({ workflowType: 'waitForever' });
      expect(d.info.numActionsTaken).toBeGreaterThanOrEqual(before + 8);
      expect(d.info.numActionsMissedCatchupWindow).toBeGreaterThanOrEqual(1);
      await sleep(2000);
      const after = await h.describe();
      expect(after.info.numActionsTaken).toBeGreaterThanOrEqual(d.info.numActionsTaken + 1);
      expect(after.info.runningActions.length).toBe(1); // the overlapping ALLOW_ALL starts are not tracked
      await h.delete();
    });
    await withServer(dbFile, async (_server, c) => {
      expect(await errorOf(c.schedule.getHandle(scheduleId).describe())).toBeInstanceOf(ScheduleNotFoundError);
    });
  });
});
