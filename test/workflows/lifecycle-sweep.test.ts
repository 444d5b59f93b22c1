// Seven simulated months of the `lifecycle` workflow on the embedded server with time skipping,
// against the fake OpenStack cloud and a real SMTP listener: a stopped server warned (7d, 1d),
// shelved, left, warned (30d, 7d) and deleted; an allocation that ends and a project purged in
// dependency order; exemptions (metadata and the `exempt` update) that hold; every email once.
import { type WorkflowHandle } from '@temporalio/client';
import { type LifecycleStatus, type SweepReport } from '../../workflows/lifecycle-sweep-types.js';
import { createLifecycleRig, DAY, day, settingsFrom, TASK_QUEUE, type LifecycleRig } from './lifecycle-sweep-support.js';

let rig: LifecycleRig;

beforeAll(async () => {
  rig = await createLifecycleRig();
  await rig.startWorker();
});
afterAll(async () => {
  await rig?.teardown();
});

test('seven months: warn, shelve, warn, delete; an ended allocation purged in order; exemptions hold; each email once', async () => {
  const { t, fake, smtp } = rig;
  // Start at 04:00 UTC, an hour after the daily sweep, so the days below are whole.
  const now = await t.env.currentTimeMs();
  await t.env.sleep(Math.ceil((now - 4 * 3_600_000) / DAY) * DAY + 4 * 3_600_000 - now);
  const T0 = await t.env.currentTimeMs();
  fake.setClock(new Date(T0));
  const stoppedAt = new Date(T0).toISOString();
  const stopped = fake.addServer({ name: 'stopped-vm', projectId: 'p-active', status: 'SHUTOFF', actions: [{ action: 'stop', startTime: stoppedAt }] });
  const exemptByMeta = fake.addServer({
    name: 'kept-vm', projectId: 'p-active', status: 'SHUTOFF', actions: [{ action: 'stop', startTime: stoppedAt }],
    metadata: { 'stratus:exempt': `until:${day(T0 + 300 * DAY)}` },
  });
  const exemptByUpdate = fake.addServer({ name: 'thesis-vm', projectId: 'p-active', status: 'SHUTOFF', actions: [{ action: 'stop', startTime: stoppedAt }] });
  const running = fake.addServer({ name: 'web', projectId: 'p-active', status: 'ACTIVE' });
  // p-ended: everything a project owns, wired together the way the real APIs refuse to delete out of order.
  const endedServer = fake.addServer({ name: 'old-db', projectId: 'p-ended', status: 'ACTIVE' });
  const volume = fake.addVolume({ name: 'old-data', projectId: 'p-ended', attachedTo: [endedServer.id] });
  const network = fake.addNetwork({ name: 'old-net', projectId: 'p-ended' });
  const router = fake.addRouter({ name: 'old-router', projectId: 'p-ended' });
  fake.addRouterInterface(router.id, network.id);
  const port = fake.addPort({ name: 'old-port', projectId: 'p-ended', networkId: network.id, deviceOwner: 'compute:nova', deviceId: endedServer.id });
  fake.addFloatingIp({ projectId: 'p-ended', portId: port.id });
  fake.addImage({ name: 'old-image', owner: 'p-ended' });
  fake.addObject('p-ended', 'results', 'run-1.csv', 'a,b');
  rig.allocations([['p-active', day(T0 + 400 * DAY), 'alice@example.org'], ['p-ended', day(T0 + 5 * DAY), 'bob@example.org']]);

  const settings = settingsFrom({
    enforce: true, sweepAt: '03:00', maxActionsPerSweep: 50, maxActionsPercent: 100,
    rules: [
      { kind: 'shelve-stopped', after: '14d', states: ['SHUTOFF', 'SUSPENDED'], warn: ['7d', '1d'] },
      { kind: 'delete-shelved', after: '180d', warn: ['30d', '7d'] },
      { kind: 'expire-allocation', after: '180d', warn: ['30d', '7d'] },
    ],
  });
  const handle = await t.env.client.workflow.signalWithStart('lifecycle', {
    workflowId: 'lifecycle', taskQueue: TASK_QUEUE, args: [{ settings }], signal: 'configure', signalArgs: [settings],
  });
  // Advance to day `d`, then let a sweep that the last timer started finish.
  const sleepUntil = async (d: number) => {
    await t.env.sleep(T0 + d * DAY - (await t.env.currentTimeMs()));
    for (let i = 0; i < 200; i++) {
      const s = await handle.query<LifecycleStatus>('status');
      if (!s.running && Date.parse(s.nextSweepAt) > (await t.env.currentTimeMs())) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the lifecycle workflow did not settle');
  };
  const subjects = () => smtp.messages.map((m) => `${m.envelopeTo.join(',')}: ${m.subject}`);

  // Day 8: the 7-day warning went out (one email for both stopped servers); then thesis-vm is exempted.
  await sleepUntil(8);
  expect(smtp.messages).toHaveLength(1);
  expect(smtp.messages[0].envelopeTo).toEqual(['alice@example.org']);
  expect(smtp.messages[0].text).toContain('stopped-vm');
  expect(smtp.messages[0].text).toContain('thesis-vm');
  expect(smtp.messages[0].text).not.toContain('kept-vm');
  const exemption = await handle.executeUpdate('exempt', { args: [{ resourceId: exemptByUpdate.id, until: day(T0 + 250 * DAY), reason: 'thesis data, back in March' }] });
  expect(exemption).toMatchObject({ id: exemptByUpdate.id, reason: 'thesis data, back in March' });

  // Day 16: the 1-day warning (stopped-vm only), then shelved, once.
  await sleepUntil(16);
  expect(smtp.messages).toHaveLength(2);
  expect(smtp.messages[1].text).toContain('stopped-vm');
  expect(smtp.messages[1].text).not.toContain('thesis-vm');
  expect(fake.servers.get(stopped.id)!.status).toBe('SHELVED_OFFLOADED');
  expect(fake.servers.get(stopped.id)!.actions.filter((a) => a.action === 'shelve')).toHaveLength(1);
  expect(fake.servers.get(exemptByUpdate.id)!.status).toBe('SHUTOFF');
  expect(fake.servers.get(exemptByMeta.id)!.status).toBe('SHUTOFF');
  const status = await handle.query<LifecycleStatus>('status');
  expect(status.exemptions.map((e) => e.id)).toEqual([exemptByUpdate.id]);
  expect(status.lastReport?.status).toBe('completed');
  expect(Date.parse(status.nextSweepAt)).toBeGreaterThan(await t.env.currentTimeMs());

  // Day 187: the allocation of p-ended ended on day 5: warned at 30 and 7 days, purged on day ~185.
  await sleepUntil(187);
  const purge = await findReport(handle, (r) => r.actions.some((a) => a.rule === 'expire-allocation' && a.outcome === 'done'));
  expect(purge.actions.filter((a) => a.rule === 'expire-allocation').every((a) => a.outcome === 'done')).toBe(true);
  expect([...fake.servers.values()].filter((s) => s.projectId === 'p-ended')).toEqual([]);
  expect(fake.volumes.has(volume.id)).toBe(false);
  expect(fake.networks.has(network.id)).toBe(false);
  expect(fake.routers.has(router.id)).toBe(false);
  expect([...fake.floatingIps.values(), ...fake.ports.values()].filter((x) => x.projectId === 'p-ended')).toEqual([]);
  expect([...fake.images.values()].filter((i) => i.owner === 'p-ended')).toEqual([]);
  expect(fake.objects.get('p-ended')?.size ?? 0).toBe(0);
  const deletes = fake.requests.filter((r) => r.method === 'DELETE').map((r) => r.path.split('/').slice(1, 4).join('/'));
  const firstIndex = (re: RegExp) => deletes.findIndex((p) => re.test(p));
  expect(firstIndex(/floatingips/)).toBeLessThan(firstIndex(/compute/));
  expect(firstIndex(/compute/)).toBeLessThan(firstIndex(/volume/));
  expect(firstIndex(/volume/)).toBeLessThan(firstIndex(/image/));
  expect(firstIndex(/image/)).toBeLessThan(firstIndex(/routers/));
  expect(firstIndex(/routers/)).toBeLessThan(firstIndex(/networks/));
  const bob = smtp.messages.filter((m) => m.envelopeTo.includes('bob@example.org'));
  expect(bob).toHaveLength(2);
  expect(bob[0].text).toContain('old-db');
  expect(bob[0].text).toContain('old-data');
  // Swift containers are in the inventory now: warned about, and reported as purged.
  expect(bob[0].text).toContain('results');
  expect(purge.actions).toContainEqual(expect.objectContaining({ resource: expect.objectContaining({ type: 'container', name: 'results', project: 'p-ended' }), outcome: 'done' }));

  // Day 198: stopped-vm (shelved on day ~14) was warned 30 and 7 days ahead and deleted on day ~194.
  await sleepUntil(198);
  expect(fake.servers.has(stopped.id)).toBe(false);
  expect(fake.servers.get(exemptByUpdate.id)!.status).toBe('SHUTOFF');
  expect(fake.servers.get(exemptByMeta.id)!.status).toBe('SHUTOFF');
  expect(fake.servers.get(running.id)!.status).toBe('ACTIVE');
  const alice = smtp.messages.filter((m) => m.envelopeTo.includes('alice@example.org'));
  expect(alice).toHaveLength(4);
  expect(alice[2].text).toContain('stopped-vm');
  expect(alice[3].text).toContain('stopped-vm');
  // Every email exactly once across ~200 sweeps and several continue-as-new runs.
  expect(subjects()).toHaveLength(6);
  expect(new Set(smtp.messages.map((m) => m.headers['message-id'])).size).toBe(6);
  const final = await handle.query<LifecycleStatus>('status');
  expect(final.sweeps).toBeGreaterThanOrEqual(195);
  expect(final.noticesRemembered).toBeGreaterThanOrEqual(6);
  await handle.terminate('test over');
}, 120_000);

/** The report of the latest sweep matching `pred`, from the sweep workflows themselves. */
async function findReport(handle: WorkflowHandle, pred: (r: SweepReport) => boolean): Promise<SweepReport> {
  const client = rig.t.env.client;
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'lifecycleSweep'` })) {
    const report = await client.workflow.getHandle<() => Promise<SweepReport>>(wf.workflowId, wf.runId).result();
    if (pred(report)) return report;
  }
  throw new Error(`no sweep report of ${handle.workflowId} matches`);
}
