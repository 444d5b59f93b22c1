// Keystone restarted in the middle of a project purge on the real cloud, with the sweep's tokens
// revoked and every service's token cache flushed: the sweep's client gets 401, re-authenticates
// and the purge goes on to leave the project owning nothing.
import { type SweepReport } from '../../workflows/lifecycle-sweep-types.js';
import { day, DAY, settingsFrom } from '../workflows/lifecycle-sweep-support.js';
import { flushTokenCache, keystonePid, restartStack, stopKeystone } from './keystone.js';
import { createRealLifecycleRig, exemptAllBut, TASK_QUEUE, type RealLifecycleRig } from './lifecycle-rig.js';
import { ensureFixtures, ownedBy, seedProject, type SeededProject } from './seed-data.js';

let rig: RealLifecycleRig;
let doomed: SeededProject;
const run = Date.now().toString(36);

beforeAll(async () => {
  rig = await createRealLifecycleRig();
  const fx = await ensureFixtures(rig.api);
  doomed = await seedProject(rig.api, fx, await rig.api.project(`stratus-ks-${run}`), `ks-${run}`, 50);
  await rig.startWorker();
}, 900_000);
afterAll(async () => {
  await rig?.teardown();
});

test('Keystone restarts mid purge with the sweep\'s tokens revoked and the token cache flushed: the sweep re-authenticates and finishes', async () => {
  const { t, api, cloud } = rig;
  const T0 = await t.env.currentTimeMs();
  rig.allocations([[doomed.projectId, day(T0 - 10 * DAY), 'dave@example.org']]);
  const settings = settingsFrom({
    enforce: true, maxActionsPerSweep: 200, maxActionsPercent: 100,
    exempt: await exemptAllBut(api, [doomed.projectId]),
    rules: [{ kind: 'expire-allocation', after: '3d', warn: ['1d'] }],
  });
  const client = t.env.client;
  // The warning sweep, then (two days on) the purge with the notices it sent.
  const warned = await client.workflow.execute('lifecycleSweep', {
    workflowId: `ks-warn-${run}`, taskQueue: TASK_QUEUE,
    args: [{ sweepId: `ks-warn-${run}`, mode: 'sweep', settings, noticesSent: [], exemptions: [] }],
  }) as SweepReport;
  expect(warned.notices.sent.length).toBeGreaterThan(0);
  await t.env.sleep(2 * DAY);
  // The worker's cloud client (rig.cloud) holds a token issued before the restart.
  await cloud.compute.getServer(doomed.servers.active);

  const purge = await client.workflow.start('lifecycleSweep', {
    workflowId: `ks-purge-${run}`, taskQueue: TASK_QUEUE,
    args: [{ sweepId: `ks-purge-${run}`, mode: 'sweep', settings, noticesSent: warned.notices.sent, exemptions: [] }],
  });
  await api.until('the first deletion of the purge', async () => (await ownedBy(api, doomed.projectId)).floatingips.length, (n) => n === 0, 300_000);
  // The purge is under way, not done: networks go last.
  expect((await ownedBy(api, doomed.projectId)).networks).not.toEqual([]);
  const revoked = [...rig.tokensSent];
  for (const token of revoked) await api.ok('identity', 'DELETE', '/auth/tokens', { headers: { 'x-subject-token': token } });
  const before = keystonePid();
  await stopKeystone();
  await flushTokenCache();
  await restartStack();
  expect(keystonePid()).not.toBe(before);
  // Keystone remembers the revocations across its restart.
  for (const token of revoked) expect((await api.req('identity', 'GET', '/auth/tokens', { headers: { 'x-subject-token': token } })).status).toBe(404);

  const report = await purge.result() as SweepReport;
  expect(report.actions.filter((a) => a.outcome === 'failed').map((a) => `${a.resource.type} ${a.resource.name}: ${a.detail}`)).toEqual([]);
  expect(report.problems).toEqual([]);
  expect(report.status).toBe('completed');
  expect(await ownedBy(api, doomed.projectId)).toEqual({
    servers: [], volumes: [], snapshots: [], images: [], networks: [], subnets: [], routers: [], ports: [], floatingips: [],
    securityGroups: [], containers: [],
  });
  // The client held a revoked token: it was refused and replaced by a fresh one, not fatal.
  await expect(cloud.compute.getServer(doomed.servers.active)).resolves.toBeUndefined();
  expect([...rig.tokensSent].filter((tk) => !revoked.includes(tk)).length).toBeGreaterThan(0);
}, 1_800_000);
