// A sweep whose credential is a project member, not an admin, through a real worker on the
// embedded server against the strict fake: it plans what it can see (its own project), says in the
// report which kinds and which ended projects it could not see and which role is missing, and
// never turns Nova's all_tenants 403 into a failed sweep. An admin plan lists Swift containers.
import { type SweepReport } from '../../workflows/lifecycle-sweep-types.js';
import { createLifecycleRig, DAY, day, settingsFrom, TASK_QUEUE, type LifecycleRig } from './lifecycle-sweep-support.js';

let rig: LifecycleRig;

beforeAll(async () => {
  rig = await createLifecycleRig({
    fake: { appCredentials: [{ id: 'member-cred', secret: 'member-secret', projectId: 'p-mine', roles: ['member', 'reader'] }] },
    credential: { id: 'member-cred', secret: 'member-secret' },
  });
  await rig.startWorker();
});
afterAll(async () => {
  await rig?.teardown();
});

const rules = [
  { kind: 'shelve-stopped', after: '14d', states: ['SHUTOFF'], warn: ['7d'] },
  { kind: 'expire-allocation', after: '30d', warn: ['7d'] },
];

test('a member credential plans its own project and names what it could not see and why', async () => {
  const now = await rig.t.env.currentTimeMs();
  rig.fake.setClock(new Date(now));
  const mine = rig.fake.addServer({ name: 'mine', projectId: 'p-mine', status: 'SHUTOFF', actions: [{ action: 'stop', startTime: new Date(now - 10 * DAY).toISOString() }] });
  const theirs = rig.fake.addServer({ name: 'theirs', projectId: 'p-gone', status: 'SHUTOFF', actions: [{ action: 'stop', startTime: new Date(now - 10 * DAY).toISOString() }] });
  rig.fake.addObject('p-gone', 'results', 'a.csv');
  rig.allocations([['p-mine', day(now + 400 * DAY), 'me@example.org'], ['p-gone', day(now - 60 * DAY), 'gone@example.org']]);
  const settings = settingsFrom({ enforce: false, sweepAt: '03:00', rules });
  const report: SweepReport = await rig.t.env.client.workflow.execute('lifecycleSweep', {
    taskQueue: TASK_QUEUE, workflowId: 'lifecycle-plan-member',
    args: [{ sweepId: 'lifecycle-plan-member', mode: 'plan', settings, noticesSent: [], exemptions: [] }],
  });
  expect(report.status).toBe('planned');
  expect(report.error).toBeUndefined();
  const planned = (report.plan ?? []).map((p) => p.resource.id);
  expect(planned).toContain(mine.id);
  expect(planned).not.toContain(theirs.id);
  const missing = 'it has roles member, reader on project p-mine; seeing other projects needs the admin role';
  expect(report.unseen).toEqual([
    `not visible to this credential: servers, volumes, floatingIps, networks, routers, ports, volumeSnapshots, securityGroups of every project but p-mine — ${missing}`,
    `not visible to this credential: images of every project but p-mine — ${missing} (only public and community images of other projects are listed)`,
    'not visible to this credential: containers of p-gone — it has roles member, reader on project p-mine; seeing other projects needs the ResellerAdmin role',
    `not visible to this credential: the resources of project p-gone, whose allocation ended, so they are neither planned nor purged — ${missing}`,
  ]);
  expect(report.summary).toContain('not visible to this credential: the resources of project p-gone');
  expect(JSON.stringify(report)).not.toContain('403');
}, 60_000);
