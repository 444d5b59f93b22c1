// One `lifecycleSweep` at a time on the embedded server, against the fake OpenStack cloud and a
// real SMTP listener: dry-run changes nothing; over the caps the sweep waits for approval and
// re-checks each item before acting; OpenStack faults are retried and a resource that keeps
// failing is reported; a worker shut down mid-sweep resumes with every action and email once;
// bad allocations stop the sweep before anything happens.
import { type WorkflowHandle } from '@temporalio/client';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NoticeRecord } from '../../workflows/lifecycle-types.js';
import { type LifecycleSettings, type LifecycleSweepInput, type SweepReport } from '../../workflows/lifecycle-sweep-types.js';
import { createLifecycleRig, DAY, day, settingsFrom, TASK_QUEUE, type LifecycleRig } from './lifecycle-sweep-support.js';

let rig: LifecycleRig;
let n = 0;

beforeAll(async () => {
  rig = await createLifecycleRig();
  await rig.startWorker();
});
afterAll(async () => {
  await rig?.teardown();
});
beforeEach(() => {
  for (const map of [rig.fake.servers, rig.fake.volumes, rig.fake.images]) map.clear();
  rig.fake.requests.length = 0;
  rig.fake.faults.reset();
  rig.smtp.messages.length = 0;
});

const rules = [{ kind: 'shelve-stopped', after: '14d', warn: ['7d', '1d'] }, { kind: 'delete-shelved', after: '180d', warn: ['30d', '7d'] }];

/** A server stopped 20 days ago whose 7- and 1-day warnings went out: due for shelving now. */
async function dueServer(name: string, projectId = 'p1'): Promise<{ id: string; notices: NoticeRecord[] }> {
  const now = await rig.t.env.currentTimeMs();
  rig.fake.setClock(new Date(now - 20 * DAY));
  const stoppedAt = now - 20 * DAY;
  const s = rig.fake.addServer({ name, projectId, status: 'SHUTOFF', actions: [{ action: 'stop', startTime: new Date(stoppedAt).toISOString() }] });
  rig.fake.setClock(new Date(now));
  return {
    id: s.id,
    notices: [
      { resourceId: s.id, rule: 'shelve-stopped', stage: 'warn-7d', sentAt: new Date(stoppedAt + 7 * DAY).toISOString() },
      { resourceId: s.id, rule: 'shelve-stopped', stage: 'warn-1d', sentAt: new Date(stoppedAt + 13 * DAY).toISOString() },
    ],
  };
}

function input(settings: LifecycleSettings, noticesSent: NoticeRecord[], extra: Partial<LifecycleSweepInput> = {}): LifecycleSweepInput {
  return { sweepId: `lifecycle-sweep-test-${++n}`, mode: 'sweep', settings, noticesSent, exemptions: [], ...extra };
}

async function start(i: LifecycleSweepInput): Promise<WorkflowHandle> {
  return rig.t.env.client.workflow.start('lifecycleSweep', { taskQueue: TASK_QUEUE, workflowId: i.sweepId, args: [i] });
}

async function until<T>(fn: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('dry-run (the default) plans and reports but sends nothing and changes nothing', async () => {
  rig.allocations([['p1', day(Date.now() + 400 * DAY), 'alice@example.org']]);
  const due = await dueServer('due-vm');
  const now = await rig.t.env.currentTimeMs();
  const fresh = rig.fake.addServer({ name: 'fresh-stop', projectId: 'p1', status: 'SHUTOFF', actions: [{ action: 'stop', startTime: new Date(now - 8 * DAY).toISOString() }] });
  const report: SweepReport = await (await start(input(settingsFrom({ rules }), due.notices))).result();
  expect(report.status).toBe('dry-run');
  expect(report.enforce).toBe(false);
  expect(report.actions).toEqual([expect.objectContaining({ action: 'shelve', outcome: 'dry-run', resource: expect.objectContaining({ id: due.id, name: 'due-vm' }) })]);
  expect(report.notices).toMatchObject({ due: 1, sent: [] });
  expect(report.summary).toContain('dry-run sweep');
  expect(rig.fake.servers.get(due.id)!.status).toBe('SHUTOFF');
  expect(rig.fake.servers.get(fresh.id)!.status).toBe('SHUTOFF');
  expect(rig.fake.requests.filter((r) => r.method !== 'GET' && !r.path.includes('auth/tokens'))).toEqual([]);
  expect(rig.smtp.messages).toEqual([]);
});

test('over maxActionsPerSweep the sweep waits for approval, then re-checks each item before acting', async () => {
  rig.allocations([['p1', day(Date.now() + 400 * DAY), 'alice@example.org']]);
  const [a, b, c] = [await dueServer('a-vm'), await dueServer('b-vm'), await dueServer('c-vm')];
  const handle = await start(input(settingsFrom({ rules, enforce: true, maxActionsPerSweep: 2, maxActionsPercent: 100 }), [...a.notices, ...b.notices, ...c.notices]));
  const waiting = await until(async () => {
    const s = await handle.query<SweepReport>('status');
    return s.status === 'awaiting-approval' ? s : undefined;
  }, 'awaiting-approval');
  expect(waiting.blastRadius).toMatchObject({ destructive: 3, exceeded: true, reason: '3 destructive actions is more than maxActionsPerSweep (2)' });
  expect([...rig.fake.servers.values()].map((s) => s.status)).toEqual(['SHUTOFF', 'SHUTOFF', 'SHUTOFF']);

  const empty = await handle.executeUpdate('approve', { args: [{ by: ' ' }] }).catch((e: Error & { cause?: Error }) => e);
  expect((empty as Error & { cause?: Error }).cause?.message).toBe('by: say who approves (must not be empty)');
  // While it waited: b was exempted and someone started c.
  await handle.signal('exemptionsChanged', [{ id: b.id, reason: 'grant deadline', until: day(Date.now() + 30 * DAY) }]);
  Object.assign(rig.fake.servers.get(c.id)!, { status: 'ACTIVE', updated: new Date(await rig.t.env.currentTimeMs()).toISOString() });
  expect(await handle.executeUpdate('approve', { args: [{ by: 'ops-oncall' }] })).toEqual({ approvedBy: 'ops-oncall' });

  const report: SweepReport = await handle.result();
  expect(report.status).toBe('completed');
  expect(report.approvedBy).toBe('ops-oncall');
  const outcome = (id: string) => report.actions.find((x) => x.resource.id === id);
  expect(outcome(a.id)).toMatchObject({ outcome: 'done' });
  expect(outcome(b.id)).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('no longer due') });
  expect(outcome(c.id)?.outcome).toBe('skipped');
  expect(rig.fake.servers.get(a.id)!.status).toBe('SHELVED_OFFLOADED');
  expect(rig.fake.servers.get(b.id)!.status).toBe('SHUTOFF');
  expect(rig.fake.servers.get(c.id)!.status).toBe('ACTIVE');
  const late = await handle.executeUpdate('approve', { args: [{ by: 'ops' }] }).catch((e: Error) => e);
  expect((late as Error).name).toMatch(/WorkflowNotFoundError|WorkflowUpdateFailedError/);
});

test('OpenStack faults (503, 429 Retry-After, expired token) are retried; a resource that keeps failing is reported', async () => {
  rig.allocations([['p1', day(Date.now() + 400 * DAY), 'alice@example.org']]);
  const ok = await dueServer('ok-vm');
  const stuck = await dueServer('stuck-vm');
  rig.fake.expireTokens();
  rig.fake.faults.failNext({ status: 503, count: 2, path: /servers\/detail/ });
  rig.fake.faults.failNext({ status: 429, retryAfter: 1, path: /servers\/detail/ });
  rig.fake.faults.failNext({ status: 503, path: new RegExp(`servers/${ok.id}/action`), method: 'POST' });
  rig.fake.faults.failNext({ status: 403, count: 50, path: new RegExp(`servers/${stuck.id}/action`), method: 'POST' });
  const report: SweepReport = await (await start(input(settingsFrom({ rules, enforce: true, maxActionsPercent: 100 }), [...ok.notices, ...stuck.notices]))).result();
  // An action that failed makes the sweep say so: it completed, with failures.
  expect(report.status).toBe('completed-with-failures');
  expect(report.actions.find((x) => x.resource.id === ok.id)).toMatchObject({ outcome: 'done' });
  expect(report.actions.find((x) => x.resource.id === stuck.id)).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('403') });
  expect(rig.fake.servers.get(ok.id)!.status).toBe('SHELVED_OFFLOADED');
  expect(rig.fake.servers.get(ok.id)!.actions.filter((x) => x.action === 'shelve')).toHaveLength(1);
  expect(rig.fake.servers.get(stuck.id)!.status).toBe('SHUTOFF');
  expect(rig.fake.faults.injected).toBeGreaterThanOrEqual(5);
  expect(rig.fake.requests.filter((r) => r.path.endsWith('/auth/tokens')).length).toBeGreaterThanOrEqual(1);
});

test('a worker shut down mid-sweep: a new one resumes, and each action and email happens once', async () => {
  rig.allocations([['p1', day(Date.now() + 400 * DAY), 'alice@example.org']]);
  const a = await dueServer('a-vm');
  const b = await dueServer('b-vm');
  const now = await rig.t.env.currentTimeMs();
  // c is due for its first warning now.
  rig.fake.addServer({ name: 'c-vm', projectId: 'p1', status: 'SHUTOFF', actions: [{ action: 'stop', startTime: new Date(now - 8 * DAY).toISOString() }] });
  rig.fake.faults.failNext({ hang: true, path: new RegExp(`servers/${b.id}/action`), method: 'POST' });
  const handle = await start(input(settingsFrom({ rules, enforce: true, maxActionsPercent: 100 }), [...a.notices, ...b.notices]));
  await until(() => rig.fake.requests.some((r) => r.method === 'POST' && r.path.includes(`${b.id}/action`)) || undefined, 'the hung shelve');
  await until(() => rig.fake.servers.get(a.id)!.status === 'SHELVED_OFFLOADED' || undefined, 'a shelved');
  await rig.stopWorker();
  rig.fake.faults.reset();
  await rig.startWorker();
  const report: SweepReport = await handle.result();
  expect(report.status).toBe('completed');
  expect(report.actions).toHaveLength(2);
  for (const x of report.actions) expect(['done', 'already-done']).toContain(x.outcome);
  for (const id of [a.id, b.id]) {
    expect(rig.fake.servers.get(id)!.status).toBe('SHELVED_OFFLOADED');
    expect(rig.fake.servers.get(id)!.actions.filter((x) => x.action === 'shelve')).toHaveLength(1);
  }
  expect(rig.smtp.messages).toHaveLength(1);
  expect(rig.smtp.messages[0].text).toContain('c-vm');
  expect(report.notices.sent).toHaveLength(1);
});

test('bad allocation rows stop the sweep before any email or action, naming the row', async () => {
  writeFileSync(join(rig.dir, 'allocations.csv'), 'project_id,end_date,contact_email\np1,2025-13-40,alice@example.org\n');
  const due = await dueServer('due-vm');
  const report: SweepReport = await (await start(input(settingsFrom({ rules, enforce: true, maxActionsPercent: 100 }), due.notices))).result();
  expect(report.status).toBe('failed');
  expect(report.error).toMatch(/line 2|row 2/);
  expect(report.error).toContain('2025-13-40');
  expect(report.summary).toContain('nothing destructive was done');
  expect(rig.fake.servers.get(due.id)!.status).toBe('SHUTOFF');
  expect(rig.smtp.messages).toEqual([]);
});
