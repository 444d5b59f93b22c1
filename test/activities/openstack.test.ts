// OpenStack activities through a real Temporal activity context (MockActivityEnvironment from
// @temporalio/testing) against the stateful fake cloud.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpenStackActivities, SHA256_PROPERTY, type InventoryCursor } from '../../activities/openstack.js';
import { createCloud, type Cloud } from '../../clients/openstack/index.js';
import { type Inventory } from '../../workflows/lifecycle-types.js';
import { startFakeOpenStack, type FakeOpenStack } from '../fakes/openstack.js';

let fake: FakeOpenStack;
let cloud: Cloud;
let dir: string;
const retry = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2_000 };
const credentials = { kind: 'password' as const, username: 'admin', password: 'admin-secret' };
let acts: ReturnType<typeof createOpenStackActivities>;

const noop = (): void => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
/** An activity context whose `run` keeps the activity's result type. */
function mockEnv(info?: ConstructorParameters<typeof MockActivityEnvironment>[0]) {
  const env = new MockActivityEnvironment(info, { logger: quiet });
  return {
    run: <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => env.run(fn, ...args) as Promise<R>,
    on: (event: 'heartbeat', listener: (details: unknown) => void) => env.on(event, listener),
    cancel: () => env.cancel(),
  };
}

beforeAll(async () => {
  fake = await startFakeOpenStack();
  cloud = createCloud({ authUrl: fake.authUrl, credentials, retry, busyDelayMs: 5 });
  acts = createOpenStackActivities({ cloud, protectedProjectIds: ['admin-project'], pollIntervalMs: 20 });
  dir = await mkdtemp(join(tmpdir(), 'stratus-os-act-'));
});
afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('listInventory', () => {
  it('lists every kind page by page, with action logs only for servers that could be due', async () => {
    const own = await startFakeOpenStack();
    try {
      const c = createCloud({ authUrl: own.authUrl, credentials, retry });
      const a = createOpenStackActivities({ cloud: c });
      const stopped = Array.from({ length: 3 }, (_, i) => own.addServer({ name: `off-${i}`, projectId: 'p1', status: 'SHUTOFF', actions: [{ action: 'stop', startTime: '2024-12-01T00:00:00.000Z' }] }));
      const active = Array.from({ length: 2 }, (_, i) => own.addServer({ name: `on-${i}`, projectId: 'p1', status: 'ACTIVE', actions: [{ action: 'create', startTime: '2024-11-01T00:00:00.000Z' }] }));
      own.addImage({ name: 'ubuntu', owner: 'p1', visibility: 'public', properties: { os_distro: 'ubuntu', os_version: '18.04' } });
      own.addVolume({ projectId: 'p1', name: 'data' });
      const net = own.addNetwork({ projectId: 'p1', name: 'net' });
      own.addFloatingIp({ projectId: 'p1' });

      const env = mockEnv();
      const beats: unknown[] = [];
      env.on('heartbeat', (d: unknown) => beats.push(d));
      const merged: Inventory = { servers: [], images: [], volumes: [], floatingIps: [], networks: [], routers: [], ports: [], containers: [] };
      let cursor: InventoryCursor | undefined;
      let calls = 0;
      do {
        const page = await env.run(a.listInventory, { cursor, pageSize: 2 });
        for (const key of Object.keys(merged) as (keyof Inventory)[]) (merged[key] as unknown[]).push(...(page.inventory[key] ?? []));
        cursor = page.next;
        calls++;
      } while (cursor);

      expect(merged.servers.map((s) => s.name).sort()).toEqual(['off-0', 'off-1', 'off-2', 'on-0', 'on-1']);
      for (const s of stopped) expect(merged.servers.find((x) => x.id === s.id)?.lastActions).toEqual([{ action: 'stop', startTime: '2024-12-01T00:00:00.000Z' }]);
      for (const s of active) expect(merged.servers.find((x) => x.id === s.id)?.lastActions).toBeUndefined();
      expect(merged.servers[0]).not.toHaveProperty('addresses');
      expect(merged.images).toEqual([expect.objectContaining({ name: 'ubuntu', osDistro: 'ubuntu', osVersion: '18.04', ownerProjectId: 'p1', featured: false })]);
      expect(merged.volumes.map((v) => v.name)).toEqual(['data']);
      expect(merged.networks.map((n) => n.id)).toEqual([net.id]);
      expect(merged.floatingIps).toHaveLength(1);
      expect(merged.ports.map((p) => p.deviceOwner)).toEqual(['network:dhcp']);
      expect(calls).toBeGreaterThanOrEqual(9); // 3 server pages + one or more per other kind
      expect(beats).toContainEqual(expect.objectContaining({ cursor: expect.objectContaining({ kind: 'servers' }) }));
    } finally {
      await own.close();
    }
  });

  it('rejects an unknown cursor kind with a clear message', async () => {
    const f = await failureOf(mockEnv().run(acts.listInventory, { cursor: { kind: 'flavors' as never } }));
    expect(f.type).toBe('InvalidInput');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toBe('cursor.kind: "flavors" is not one of servers, images, volumes, volumeSnapshots, floatingIps, networks, routers, ports, securityGroups');
  });
});

describe('shelveServer and deleteServer', () => {
  it('shelves only a server still in the planned state, and only once', async () => {
    const env = mockEnv();
    const off = fake.addServer({ name: 'off', projectId: 'p2', status: 'SHUTOFF' });
    const restarted = fake.addServer({ name: 'restarted', projectId: 'p2', status: 'ACTIVE' });
    expect(await env.run(acts.shelveServer, { serverId: restarted.id, onlyIfStatus: ['SHUTOFF', 'SUSPENDED'] })).toEqual({
      serverId: restarted.id, outcome: 'skipped', reason: 'status is ACTIVE, expected SHUTOFF or SUSPENDED',
    });
    expect(fake.servers.get(restarted.id)?.status).toBe('ACTIVE');
    expect(await env.run(acts.shelveServer, { serverId: off.id, onlyIfStatus: ['SHUTOFF'] })).toEqual({ serverId: off.id, outcome: 'shelved' });
    expect(await env.run(acts.shelveServer, { serverId: off.id })).toEqual({ serverId: off.id, outcome: 'already-shelved' });
    expect(await env.run(acts.shelveServer, { serverId: '22222222-2222-2222-2222-222222222222' })).toMatchObject({ outcome: 'already-gone' });
  });

  it('skips a server changed after the plan was made', async () => {
    fake.setClock('2025-06-01T00:00:00Z');
    const s = fake.addServer({ name: 'touched', projectId: 'p2', status: 'SHELVED_OFFLOADED' });
    const result = await mockEnv().run(acts.deleteServer, { serverId: s.id, unchangedSince: '2025-05-01T00:00:00Z' });
    expect(result).toEqual({ serverId: s.id, outcome: 'skipped', reason: 'changed at 2025-06-01T00:00:00.000Z, after 2025-05-01T00:00:00Z' });
    expect(fake.servers.has(s.id)).toBe(true);
  });

  it('deletes once; a missing server counts as done', async () => {
    const s = fake.addServer({ name: 'old', projectId: 'p2', status: 'SHELVED_OFFLOADED' });
    const env = mockEnv();
    expect(await env.run(acts.deleteServer, { serverId: s.id, onlyIfStatus: ['SHELVED_OFFLOADED'] })).toEqual({ serverId: s.id, outcome: 'deleted' });
    expect(await env.run(acts.deleteServer, { serverId: s.id })).toEqual({ serverId: s.id, outcome: 'already-gone' });
  });

  it('turns a server Nova refuses to shelve into a non-retryable conflict', async () => {
    const s = fake.addServer({ name: 'err', projectId: 'p2', status: 'ERROR' });
    const f = await failureOf(mockEnv().run(acts.shelveServer, { serverId: s.id }));
    expect(f.type).toBe('OpenStackConflict');
    expect(f.nonRetryable).toBe(true);
    expect(f.details).toEqual([{ resource: 'server', id: s.id, status: 409 }]);
  });
});

describe('deleteProjectResources', () => {
  function seedProject(p: string) {
    const net = fake.addNetwork({ projectId: p, name: 'private' });
    const router = fake.addRouter({ projectId: p, name: 'gw' });
    fake.addRouterInterface(router.id, net.id);
    const server = fake.addServer({ name: 'vm', projectId: p });
    const port = fake.addPort({ projectId: p, networkId: net.id, deviceOwner: 'compute:nova', deviceId: server.id });
    const fip = fake.addFloatingIp({ projectId: p, portId: port.id });
    const stray = fake.addPort({ projectId: p, networkId: net.id, deviceOwner: '', name: 'unbound' });
    const volume = fake.addVolume({ projectId: p, attachedTo: [server.id] });
    const image = fake.addImage({ name: 'snap', owner: p });
    const guardedImage = fake.addImage({ name: 'keep', owner: p, protected: true });
    fake.addObject(p, 'bucket', 'a');
    fake.addObject(p, 'bucket', 'b/c');
    return { net, router, server, port, fip, stray, volume, image, guardedImage };
  }

  it('deletes a project in dependency order, reports what it could not delete, and leaves others alone', async () => {
    const r = seedProject('expired');
    const other = seedProject('still-paid');
    const env = mockEnv();
    // Glance refuses to delete one image (as a policy would); the protected one is unprotected first and goes.
    fake.faults.failNext({ status: 403, count: 10, method: 'DELETE', path: new RegExp(`images/${r.image.id}`) });
    const result = await env.run(acts.deleteProjectResources, { projectId: 'expired' });
    // The port brought the project's `default` security group with it (Neutron does): it goes too.
    expect(result.deleted).toEqual({ 'floating-ip': 1, server: 1, volume: 1, image: 1, router: 1, port: 1, 'security-group': 1, network: 1, container: 1 });
    expect(result.failed).toEqual([{ type: 'image', id: r.image.id, message: expect.stringContaining('403') }]);
    expect(fake.images.has(r.guardedImage.id)).toBe(false);
    expect(fake.images.get(other.guardedImage.id)?.protected).toBe(true);
    for (const map of [fake.servers, fake.volumes, fake.networks, fake.routers, fake.floatingIps, fake.ports]) {
      expect([...map.values()].filter((x) => x.projectId === 'expired')).toEqual([]);
    }
    expect([...fake.images.values()].filter((i) => i.owner === 'expired').map((i) => i.id)).toEqual([r.image.id]);
    expect(fake.objects.get('expired')?.size ?? 0).toBe(0);
    expect(fake.servers.has(other.server.id) && fake.networks.has(other.net.id) && fake.objects.get('still-paid')?.size === 1).toBe(true);

    const again = await env.run(acts.deleteProjectResources, { projectId: 'expired' });
    expect(again.deleted).toEqual({});
    expect(again.failed).toHaveLength(1);
    fake.faults.reset();
  });

  it('resumes at the stage a previous attempt heartbeated', async () => {
    const r = seedProject('resumed');
    // The previous attempt got through floating IPs, servers and volumes (3 stages) before dying.
    fake.servers.delete(r.server.id);
    fake.volumes.delete(r.volume.id);
    const env = mockEnv({
      heartbeatDetails: { projectId: 'resumed', done: 3, result: { projectId: 'resumed', deleted: { server: 1, volume: 1 }, failed: [] } },
    });
    const result = await env.run(acts.deleteProjectResources, { projectId: 'resumed' });
    expect(result.deleted).toMatchObject({ server: 1, volume: 1, image: 2, router: 1, network: 1, container: 1 });
    expect(fake.floatingIps.has(r.fip.id)).toBe(true); // its stage was done before; not listed again
    expect(fake.networks.has(r.net.id)).toBe(false);
  });

  it('never purges a protected project and refuses a malformed id', async () => {
    const env = mockEnv();
    const f = await failureOf(env.run(acts.deleteProjectResources, { projectId: 'admin-project' }));
    expect(f).toMatchObject({ type: 'ProtectedProject', nonRetryable: true, message: 'project admin-project is protected and is never purged' });
    const g = await failureOf(env.run(acts.deleteProjectResources, { projectId: '../x' }));
    expect(g).toMatchObject({ type: 'InvalidInput', message: 'projectId: "../x" is not a project id' });
  });
});

describe('images', () => {
  it('unfeatures an image once and can hide it from the listing', async () => {
    const env = mockEnv();
    const img = fake.addImage({ name: 'centos-7', owner: 'p3', visibility: 'public', properties: { featured: 'true' } });
    expect(await env.run(acts.unfeatureImage, { imageId: img.id })).toEqual({ imageId: img.id, outcome: 'unfeatured' });
    expect(fake.images.get(img.id)?.properties.featured).toBe('false');
    expect(fake.images.get(img.id)?.visibility).toBe('public');
    expect(await env.run(acts.unfeatureImage, { imageId: img.id })).toEqual({ imageId: img.id, outcome: 'already' });
    expect(await env.run(acts.unfeatureImage, { imageId: img.id, hide: true })).toEqual({ imageId: img.id, outcome: 'unfeatured' });
    expect(fake.images.get(img.id)?.visibility).toBe('community');
    expect(await env.run(acts.unfeatureImage, { imageId: '33333333-3333-3333-3333-333333333333' })).toMatchObject({ outcome: 'gone' });
  });

  it('uploads an image once per name and content, finishing a half-created one', async () => {
    const env = mockEnv();
    const file = join(dir, 'nightly.qcow2');
    await writeFile(file, 'image bytes v1');
    const first = await env.run(acts.uploadImageToGlance, { name: 'fedora-nightly', file, properties: { os_distro: 'fedora' } });
    expect(first.outcome).toBe('uploaded');
    expect(fake.images.get(first.imageId)).toMatchObject({ status: 'active', properties: { os_distro: 'fedora', [SHA256_PROPERTY]: first.sha256 } });
    expect(await env.run(acts.uploadImageToGlance, { name: 'fedora-nightly', file })).toEqual({ ...first, outcome: 'existing' });

    await writeFile(file, 'image bytes v2');
    const second = await env.run(acts.uploadImageToGlance, { name: 'fedora-nightly', file });
    expect(second.imageId).not.toBe(first.imageId);

    await writeFile(file, 'image bytes v3');
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update('image bytes v3').digest('hex');
    const leftover = fake.addImage({ name: 'fedora-nightly', owner: 'admin-project', status: 'queued', properties: { [SHA256_PROPERTY]: sha } });
    expect(await env.run(acts.uploadImageToGlance, { name: 'fedora-nightly', file })).toEqual({ imageId: leftover.id, outcome: 'uploaded', sha256: sha });

    const f = await failureOf(env.run(acts.uploadImageToGlance, { name: 'x', file: join(dir, 'missing') }));
    expect(f).toMatchObject({ type: 'InvalidInput', message: `file: ${join(dir, 'missing')} is not a readable file` });
  });
});

describe('deployment support', () => {
  it('records metadata on a server, and says which server is missing', async () => {
    const s = fake.addServer({ name: 'deploy', projectId: 'p4' });
    const env = mockEnv();
    expect(await env.run(acts.setServerMetadata, { serverId: s.id, metadata: { 'stratus:deploy': 'ok' } })).toEqual({ metadata: { 'stratus:deploy': 'ok' } });
    const f = await failureOf(env.run(acts.setServerMetadata, { serverId: '44444444-4444-4444-4444-444444444444', metadata: { a: 'b' } }));
    expect(f).toMatchObject({ type: 'OpenStackNotFound', nonRetryable: true, message: 'server 44444444-4444-4444-4444-444444444444 not found' });
  });

  it('waits for ACTIVE, heartbeating the status, and returns the addresses', async () => {
    const s = fake.addServer({ name: 'booting', projectId: 'p4', status: 'BUILD', taskState: 'spawning' });
    const env = mockEnv();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    setTimeout(() => Object.assign(s, { status: 'ACTIVE', taskState: null, addresses: { private: [{ addr: '10.1.0.7', version: 4 }] } }), 150);
    const result = await env.run(acts.waitForServerActive, { serverId: s.id });
    expect(result).toEqual({ serverId: s.id, status: 'ACTIVE', addresses: [{ network: 'private', address: '10.1.0.7', version: 4, type: 'fixed' }] });
    expect(beats).toContainEqual({ status: 'BUILD', taskState: 'spawning' });
  });

  it('fails for good when the server goes into ERROR, and stops when cancelled', async () => {
    const broken = fake.addServer({ name: 'broken', projectId: 'p4', status: 'ERROR' });
    const f = await failureOf(mockEnv().run(acts.waitForServerActive, { serverId: broken.id }));
    expect(f).toMatchObject({ type: 'ServerInError', nonRetryable: true });

    const slow = fake.addServer({ name: 'slow', projectId: 'p4', status: 'BUILD' });
    const env = mockEnv();
    const pending = env.run(acts.waitForServerActive, { serverId: slow.id });
    setTimeout(() => env.cancel(), 100);
    await expect(pending).rejects.toBeInstanceOf(CancelledFailure);
  });
});

describe('error mapping', () => {
  it('makes bad credentials non-retryable and outages retryable, with stable types', async () => {
    const bad = createOpenStackActivities({ cloud: createCloud({ authUrl: fake.authUrl, credentials: { ...credentials, password: 'nope-nope' }, retry }) });
    const f = await failureOf(mockEnv().run(bad.deleteServer, { serverId: 'x1' }));
    expect(f).toMatchObject({ type: 'OpenStackAuth', nonRetryable: true, message: 'Keystone rejected the password of user admin (HTTP 401)' });

    fake.faults.failNext({ count: 5, status: 503, path: /\/servers\// });
    const g = await failureOf(mockEnv().run(acts.deleteServer, { serverId: 'x2' }));
    expect(g).toMatchObject({ type: 'OpenStackUnavailable', nonRetryable: false });
    fake.faults.reset();

    fake.faults.failNext({ count: 1, status: 429, retryAfter: 600, path: /\/servers\// });
    const h = await failureOf(mockEnv().run(acts.deleteServer, { serverId: 'x3' }));
    expect(h.type).toBe('OpenStackRateLimited');
    expect(h.nextRetryDelay).toBe(600_000);
  });

  it('retries a server that stays busy later instead of failing it', async () => {
    const s = fake.addServer({ name: 'stuck', projectId: 'p4', status: 'ACTIVE', taskState: 'migrating' });
    const f = await failureOf(mockEnv().run(acts.shelveServer, { serverId: s.id }));
    expect(f).toMatchObject({ type: 'OpenStackBusy', nonRetryable: false });
  });
});
