// The lifecycle end to end on Debian's real OpenStack, through the real worker on the embedded
// Temporal server with time skipping: plan, warnings by real SMTP, shelve, delete shelved, a full
// purge of a project whose allocation ended (asserted as admin: the project owns nothing), EOL
// image retirement and exemptions; the live project keeps everything the rules do not touch.
import { type WorkflowHandle } from '@temporalio/client';
import { type LifecycleStatus, type SweepReport } from '../../workflows/lifecycle-sweep-types.js';
import { day, DAY, settingsFrom } from '../workflows/lifecycle-sweep-support.js';
import { createRealLifecycleRig, exemptAllBut, TASK_QUEUE, type RealLifecycleRig } from './lifecycle-rig.js';
import { ensureFixtures, ensureServer, ownedBy, seedProject, type Fixtures, type SeededProject } from './seed-data.js';

let rig: RealLifecycleRig;
let fx: Fixtures;
let live: SeededProject;
let ended: SeededProject;
const run = Date.now().toString(36);
const extra: Record<string, string> = {};

beforeAll(async () => {
  rig = await createRealLifecycleRig();
  const { api } = rig;
  fx = await ensureFixtures(api);
  const [liveId, endedId] = [await api.project(`stratus-live-${run}`), await api.project(`stratus-ended-${run}`)];
  [live, ended] = await Promise.all([seedProject(api, fx, liveId, `live-${run}`, 30), seedProject(api, fx, endedId, `ended-${run}`, 31)]);
  // A featured public image of an OS at end of life, and a server built on it.
  const eol = await api.ok('image', 'POST', '/v2/images', { project: liveId, body: {
    name: `eol-${run}`, disk_format: 'raw', container_format: 'bare', visibility: 'public', os_distro: 'stratusos', os_version: `1.${run}`, featured: 'true',
  } });
  await api.ok('image', 'PUT', `/v2/images/${eol.id}/file`, { project: liveId, raw: Buffer.alloc(4096, 1), headers: { 'content-type': 'application/octet-stream' } });
  extra.eolImage = eol.id;
  extra.onEol = await ensureServer(api, { ...fx, baseImageId: eol.id }, liveId, `live-${run}-on-eol`, 'ACTIVE');
  [extra.keptByMeta, extra.keptByUpdate] = await Promise.all([
    ensureServer(api, fx, liveId, `live-${run}-kept-meta`, 'SHUTOFF', { 'stratus:exempt': 'forever' }),
    ensureServer(api, fx, liveId, `live-${run}-kept-update`, 'SHUTOFF'),
  ]);
  await rig.startWorker();
}, 900_000);
afterAll(async () => {
  await rig?.teardown();
});

test('plan, warn, shelve, delete shelved, purge an ended project, retire an EOL image; exemptions hold; each email once', async () => {
  const { t, smtp, api, cloud } = rig;
  const now = await t.env.currentTimeMs();
  await t.env.sleep(Math.ceil((now - 4 * 3_600_000) / DAY) * DAY + 4 * 3_600_000 - now);
  const T0 = await t.env.currentTimeMs();
  rig.allocations([[live.projectId, day(T0 + 400 * DAY), 'alice@example.org'], [ended.projectId, day(T0 - 2 * DAY), 'bob@example.org']]);
  const settings = settingsFrom({
    enforce: true, sweepAt: '03:00', maxActionsPerSweep: 200, maxActionsPercent: 100,
    eol: [{ distro: 'stratusos', version: `1.${run}`, eol: day(T0 + 2 * DAY) }],
    exempt: await exemptAllBut(api, [live.projectId, ended.projectId]),
    rules: [
      { kind: 'shelve-stopped', after: '3d', states: ['SHUTOFF'], warn: ['1d'] },
      { kind: 'delete-shelved', after: '8d', warn: ['1d'] },
      { kind: 'expire-allocation', after: '3d', warn: ['1d'] },
      { kind: 'retire-eol-images', after: '0d', warn: ['1d'] },
    ],
  });
  const client = t.env.client;

  // The plan, as `stratus lifecycle plan` shows it ten days ahead: every rule's resources (a
  // notice first, as none has been sent yet), nothing done.
  const planned = await client.workflow.execute('lifecycleSweep', {
    workflowId: `plan-${run}`, taskQueue: TASK_QUEUE,
    args: [{ sweepId: `plan-${run}`, mode: 'plan', settings, noticesSent: [], exemptions: [], at: new Date(T0 + 10 * DAY).toISOString() }],
  }) as SweepReport;
  expect(planned.status).toBe('planned');
  const lines = (planned.plan ?? []).map((l) => `${l.rule} ${l.resource.id}`);
  const missing = (want: string[]) => want.filter((w) => !lines.includes(w));
  expect(missing([
    `shelve-stopped ${live.servers.stopped}`,
    `delete-shelved ${live.servers.shelved}`,
    ...[ended.servers.active, ended.servers.stopped, ended.volumeId, ended.images.hidden, ended.images.shared, ended.images.protected,
      ended.networkId, ended.routerId, ended.floatingIpId].map((id) => `expire-allocation ${id}`),
    `retire-eol-images ${extra.eolImage}`,
  ])).toEqual([]);
  expect(lines.filter((l) => l.includes(extra.keptByMeta) || l.includes(live.servers.active))).toEqual([]);
  expect(await cloud.compute.getServer(live.servers.stopped)).toMatchObject({ status: 'SHUTOFF' });

  const handle = await client.workflow.signalWithStart('lifecycle', {
    workflowId: `lifecycle-${run}`, taskQueue: TASK_QUEUE, args: [{ settings }], signal: 'configure', signalArgs: [settings],
  });
  await handle.executeUpdate('exempt', { args: [{ resourceId: extra.keptByUpdate, until: day(T0 + 300 * DAY), reason: 'thesis data' }] });
  const sleepUntil = async (d: number) => {
    await t.env.sleep(T0 + d * DAY - (await t.env.currentTimeMs()));
    for (let i = 0; i < 1200; i++) {
      const s = await handle.query<LifecycleStatus>('status');
      if (!s.running && Date.parse(s.nextSweepAt) > (await t.env.currentTimeMs())) return s;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('the lifecycle workflow did not settle');
  };

  // The cloud stamps what it does with real time while the workflows' clock skips ahead: the
  // stopped server (stopped at the start) is shelved on day 3-4, and both shelved servers reach the
  // 8 days of delete-shelved on day 8-9, counted from the start.
  // Day 6: the ended project is purged, the stopped server shelved, the EOL image unfeatured.
  const status = await sleepUntil(6);
  const reports = await sweepReports(handle);
  const failures = reports.flatMap((r) => r.actions.filter((a) => a.outcome === 'failed').map((a) => `${a.resource.type} ${a.resource.name}: ${a.detail}`));
  expect(failures).toEqual([]);
  expect(reports.flatMap((r) => r.problems)).toEqual([]);
  expect(reports.map((r) => r.status).filter((st) => st !== 'completed')).toEqual([]);
  expect(status.lastReport?.status).toBe('completed');

  const left = await ownedBy(api, ended.projectId);
  expect(left).toEqual({
    servers: [], volumes: [], snapshots: [], images: [], networks: [], subnets: [], routers: [], ports: [], floatingips: [],
    securityGroups: [], containers: [],
  });
  // Ports Neutron gives no project (the router's gateway, the floating IP's) went with their device.
  const ports = (await api.ok('network', 'GET', '/v2.0/ports')).ports as { id: string; device_id: string }[];
  expect(ports.filter((p) => p.device_id === ended.routerId || p.device_id === ended.floatingIpId)).toEqual([]);

  const shelved = await cloud.compute.getServer(live.servers.stopped);
  expect(shelved?.status).toBe('SHELVED_OFFLOADED');
  expect((await cloud.compute.listInstanceActions(live.servers.stopped)).filter((a) => a.action === 'shelve')).toHaveLength(1);
  expect((await cloud.compute.getServer(live.servers.shelved))?.status).toBe('SHELVED_OFFLOADED');
  expect((await cloud.compute.getServer(extra.keptByMeta))?.status).toBe('SHUTOFF');
  expect((await cloud.compute.getServer(extra.keptByUpdate))?.status).toBe('SHUTOFF');
  expect((await cloud.compute.getServer(live.servers.active))?.status).toBe('ACTIVE');
  expect((await cloud.compute.getServer(extra.onEol))?.status).toBe('ACTIVE');
  const eolImage = await cloud.image.getImage(extra.eolImage);
  expect(eolImage?.featured).toBe(false);
  expect(eolImage?.status).toBe('active');

  // The live project keeps everything no rule is about.
  const kept = await ownedBy(api, live.projectId);
  expect(kept.volumes).toEqual([expect.stringContaining(live.volumeId)]);
  expect(kept.snapshots).toEqual([expect.stringContaining(live.snapshotId)]);
  expect(kept.images).toEqual(expect.arrayContaining(Object.values(live.images).map((id) => expect.stringContaining(id))));
  for (const [kind, id] of [['networks', live.networkId], ['subnets', live.subnetId], ['routers', live.routerId], ['ports', live.portId], ['floatingips', live.floatingIpId], ['securityGroups', live.securityGroupId]] as const) {
    expect(kept[kind]).toEqual(expect.arrayContaining([expect.stringContaining(id)]));
  }
  expect(kept.containers).toEqual([live.container]);

  // Warnings: before each action, to the project's contact, each once.
  const to = (who: string) => smtp.messages.filter((m) => m.envelopeTo.includes(who));
  const bob = to('bob@example.org');
  expect(bob.length).toBeGreaterThanOrEqual(1);
  expect(bob[0].text).toContain(`ended-${run}-active`);
  const alice = to('alice@example.org').map((m) => m.text).join('\n');
  expect(alice).toContain(`live-${run}-stopped`);
  expect(alice).toContain(`eol-${run}`);
  expect(alice).not.toContain(`live-${run}-kept-meta`);
  expect(alice).not.toContain(`live-${run}-kept-update`);
  expect(new Set(smtp.messages.map((m) => m.headers['message-id'])).size).toBe(smtp.messages.length);
  const purgeSweep = reports.find((r) => r.actions.some((a) => a.rule === 'expire-allocation' && a.outcome === 'done'));
  expect(purgeSweep).toBeDefined();
  const warnedAt = reports.flatMap((r) => r.notices.sent).filter((n) => n.rule === 'expire-allocation' && n.resourceId === ended.servers.active).map((n) => n.sentAt);
  expect(warnedAt).toHaveLength(1);
  expect(Date.parse(warnedAt[0])).toBeLessThan(Date.parse(purgeSweep!.startedAt));

  // Day 11: both shelved servers were warned and deleted; the exemptions still hold.
  const count = smtp.messages.length;
  await sleepUntil(11);
  expect(await cloud.compute.getServer(live.servers.stopped)).toBeUndefined();
  expect(await cloud.compute.getServer(live.servers.shelved)).toBeUndefined();
  expect(to('alice@example.org').map((m) => m.text).join('\n')).toContain(`live-${run}-shelved`);
  expect((await sweepReports(handle)).flatMap((r) => r.actions).filter((a) => a.rule === 'delete-shelved' && a.outcome === 'done').map((a) => a.resource.id).sort())
    .toEqual([live.servers.stopped, live.servers.shelved].sort());
  expect((await cloud.compute.getServer(extra.keptByMeta))?.status).toBe('SHUTOFF');
  expect((await cloud.compute.getServer(extra.keptByUpdate))?.status).toBe('SHUTOFF');
  expect(smtp.messages.length).toBeGreaterThan(count);
  expect(new Set(smtp.messages.map((m) => m.headers['message-id'])).size).toBe(smtp.messages.length);
  await handle.terminate('test over');
}, 1_800_000);

/** The reports of every finished sweep of this run, oldest first. */
async function sweepReports(handle: WorkflowHandle): Promise<SweepReport[]> {
  const client = rig.t.env.client;
  const out: SweepReport[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'lifecycleSweep'` })) {
    if (wf.workflowId.startsWith('plan-') || wf.status.name === 'RUNNING') continue;
    out.push(await client.workflow.getHandle<() => Promise<SweepReport>>(wf.workflowId, wf.runId).result());
  }
  expect(out.length).toBeGreaterThan(0);
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt)).filter(() => handle !== undefined);
}
