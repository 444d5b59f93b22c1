// Nova, Glance, Cinder, Neutron and Swift through the typed client against the stateful fake:
// paging, state changes, idempotent deletes and the real APIs' dependency refusals.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCloud, OpenStackConflictError, OpenStackInputError, OpenStackNotFoundError, type Cloud } from '../../clients/openstack/index.js';
import { startFakeOpenStack, type FakeOpenStack } from '../fakes/openstack.js';

let fake: FakeOpenStack;
let cloud: Cloud;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOpenStack();
  cloud = createCloud({
    authUrl: fake.authUrl,
    credentials: { kind: 'password', username: 'admin', password: 'admin-secret', projectName: 'admin-project' },
    retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2_000 },
    busyDelayMs: 5,
  });
  dir = await mkdtemp(join(tmpdir(), 'stratus-os-'));
});
afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

async function all<T>(list: (marker?: string) => Promise<{ items: T[]; nextMarker?: string }>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let marker: string | undefined;
  let pages = 0;
  do {
    const page = await list(marker);
    items.push(...page.items);
    marker = page.nextMarker;
    pages++;
  } while (marker);
  return { items, pages };
}

describe('Nova', () => {
  it('lists every server of every project page by page', async () => {
    const seeded = Array.from({ length: 7 }, (_, i) => fake.addServer({ name: `vm-${i}`, projectId: i % 2 ? 'p-odd' : 'p-even' }));
    const { items, pages } = await all((marker) => cloud.compute.listServers({ limit: 3, marker }));
    expect(items.map((s) => s.id)).toEqual(expect.arrayContaining(seeded.map((s) => s.id)));
    expect(pages).toBeGreaterThanOrEqual(3);
    const odd = await cloud.compute.listServers({ projectId: 'p-odd' });
    expect(odd.items.map((s) => s.name).sort()).toEqual(['vm-1', 'vm-3', 'vm-5']);
  });

  it('maps a server into the planner shape, with addresses for deployment', async () => {
    const s = fake.addServer({
      name: 'mapped', projectId: 'p1', status: 'SHUTOFF', imageId: 'img-1', updated: '2025-02-03T04:05:06.000Z',
      metadata: { 'stratus:exempt': 'forever' }, addresses: { private: [{ addr: '10.0.0.5', version: 4 }] },
    });
    const got = await cloud.compute.getServer(s.id);
    expect(got).toEqual({
      id: s.id, name: 'mapped', projectId: 'p1', status: 'SHUTOFF', updated: '2025-02-03T04:05:06.000Z', imageId: 'img-1',
      metadata: { 'stratus:exempt': 'forever' }, taskState: null,
      addresses: [{ network: 'private', address: '10.0.0.5', version: 4, type: 'fixed' }],
    });
    expect(await cloud.compute.getServer('00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });

  it('reads the instance action log with UTC start times', async () => {
    const s = fake.addServer({ name: 'stopped', projectId: 'p1', status: 'SHUTOFF', actions: [
      { action: 'create', startTime: '2024-12-01T10:00:00.000Z' },
      { action: 'stop', startTime: '2024-12-20T08:30:00.000Z' },
    ] });
    const actions = await cloud.compute.listInstanceActions(s.id);
    expect(actions).toEqual(expect.arrayContaining([{ action: 'stop', startTime: '2024-12-20T08:30:00.000Z' }, { action: 'create', startTime: '2024-12-01T10:00:00.000Z' }]));
  });

  it('shelves a stopped server once; shelving again is a no-op', async () => {
    fake.setClock('2025-03-01T12:00:00Z');
    const s = fake.addServer({ name: 'idle', projectId: 'p1', status: 'SHUTOFF' });
    expect(await cloud.compute.shelveServer(s.id)).toBe('shelved');
    expect(fake.servers.get(s.id)?.status).toBe('SHELVED_OFFLOADED');
    expect(await cloud.compute.listInstanceActions(s.id)).toEqual([{ action: 'shelve', startTime: '2025-03-01T12:00:00.000Z' }]);
    expect(await cloud.compute.shelveServer(s.id)).toBe('already-shelved');
  });

  it('waits for a running task to finish before shelving', async () => {
    const s = fake.addServer({ name: 'busy', projectId: 'p1', status: 'ACTIVE', taskState: 'powering-off', busyFor: 2 });
    expect(await cloud.compute.shelveServer(s.id)).toBe('shelved');
  });

  it('reports a server Nova will not shelve, with the reason', async () => {
    const s = fake.addServer({ name: 'broken', projectId: 'p1', status: 'ERROR' });
    const err = (await cloud.compute.shelveServer(s.id).catch((e: unknown) => e)) as OpenStackConflictError;
    expect(err).toBeInstanceOf(OpenStackConflictError);
    expect(err.busy).toBe(false);
    expect(err.message).toBe(`server ${s.id}: conflict (HTTP 409): Cannot 'shelve' instance ${s.id} while it is in vm_state error`);
    await expect(cloud.compute.shelveServer('11111111-1111-1111-1111-111111111111')).rejects.toThrow(OpenStackNotFoundError);
  });

  it('deletes a server idempotently', async () => {
    const s = fake.addServer({ name: 'gone', projectId: 'p1' });
    expect(await cloud.compute.deleteServer(s.id)).toBe(true);
    expect(await cloud.compute.deleteServer(s.id)).toBe(false);
    expect(fake.servers.has(s.id)).toBe(false);
  });

  it('merges metadata and rejects values Nova would refuse, naming the key', async () => {
    const s = fake.addServer({ name: 'meta', projectId: 'p1', metadata: { keep: 'yes' } });
    expect(await cloud.compute.setServerMetadata(s.id, { 'stratus:deploy': 'ok' })).toEqual({ keep: 'yes', 'stratus:deploy': 'ok' });
    expect(await cloud.compute.getServerMetadata(s.id)).toEqual({ keep: 'yes', 'stratus:deploy': 'ok' });
    await expect(cloud.compute.setServerMetadata(s.id, { long: 'x'.repeat(256) })).rejects.toThrow(
      new OpenStackInputError('metadata.long', 'values must be strings of at most 255 characters'),
    );
  });

  it('refuses an id that would change the URL path', async () => {
    await expect(cloud.compute.deleteServer('../images')).rejects.toThrow('serverId: "../images" is not a valid OpenStack id');
  });
});

describe('Glance', () => {
  it('follows the next link through every visibility and maps properties', async () => {
    fake.images.clear(); // the shelve tests above left their `-shelved` snapshot images
    const seeded = [
      fake.addImage({ name: 'ubuntu-20.04', owner: 'p1', visibility: 'public', properties: { os_distro: 'ubuntu', os_version: '20.04', featured: 'true' } }),
      fake.addImage({ name: 'community', owner: 'p2', visibility: 'community' }),
      fake.addImage({ name: 'a', owner: 'p2' }),
      fake.addImage({ name: 'b', owner: 'p2' }),
      fake.addImage({ name: 'c', owner: 'p3', visibility: 'shared' }),
    ];
    const { items, pages } = await all((marker) => cloud.image.listImages({ limit: 2, marker }));
    expect(items.map((i) => i.id).sort()).toEqual(seeded.map((i) => i.id).sort());
    expect(pages).toBe(3);
    const ubuntu = items.find((i) => i.name === 'ubuntu-20.04');
    expect(ubuntu).toMatchObject({ ownerProjectId: 'p1', visibility: 'public', featured: true, osDistro: 'ubuntu', osVersion: '20.04', status: 'active' });
    expect(ubuntu?.properties).toEqual({ os_distro: 'ubuntu', os_version: '20.04', featured: 'true' });
  });

  it('unfeatures with a JSON patch, adding or replacing as needed, and can hide the image', async () => {
    const featured = fake.addImage({ name: 'eol', owner: 'p1', visibility: 'public', properties: { featured: 'true' } });
    const plain = fake.addImage({ name: 'plain', owner: 'p1', visibility: 'public' });
    expect((await cloud.image.updateImage(featured.id, { set: { featured: 'false' } })).featured).toBe(false);
    expect((await cloud.image.updateImage(plain.id, { set: { featured: 'false' }, visibility: 'community' })).visibility).toBe('community');
    expect(fake.images.get(plain.id)?.properties).toEqual({ featured: 'false' });
    const again = await cloud.image.updateImage(plain.id, { set: { featured: 'false' }, remove: ['missing'] });
    expect(again.properties).toEqual({ featured: 'false' });
    await expect(cloud.image.updateImage(plain.id, { set: { status: 'x' } })).rejects.toThrow('properties.status: is not a settable image property name');
  });

  it('deletes idempotently and refuses a protected image', async () => {
    const img = fake.addImage({ name: 'old', owner: 'p1' });
    const guarded = fake.addImage({ name: 'guarded', owner: 'p1', protected: true });
    expect(await cloud.image.deleteImage(img.id)).toBe(true);
    expect(await cloud.image.deleteImage(img.id)).toBe(false);
    const err = (await cloud.image.deleteImage(guarded.id).catch((e: unknown) => e)) as OpenStackConflictError;
    expect(err).toBeInstanceOf(OpenStackConflictError);
    expect(err.status).toBe(403);
    expect(err.message).toContain('is protected and cannot be deleted');
  });

  it('creates an image and streams a file into it, re-sending after a 503', async () => {
    const file = join(dir, 'disk.qcow2');
    const content = Buffer.alloc(256 * 1024, 7);
    await writeFile(file, content);
    const created = await cloud.image.createImage({ name: 'nightly', diskFormat: 'qcow2', containerFormat: 'bare', properties: { os_distro: 'fedora' } });
    expect(created).toMatchObject({ status: 'queued', osDistro: 'fedora', ownerProjectId: 'admin-project', visibility: 'private' });
    fake.faults.failNext({ status: 503, path: /\/file$/ });
    await cloud.image.uploadImageFile(created.id, file);
    const after = await cloud.image.getImage(created.id);
    expect(after).toMatchObject({ status: 'active', size: content.length, checksum: createHash('md5').update(content).digest('hex') });
    await expect(cloud.image.uploadImageFile(created.id, join(dir, 'missing.img'))).rejects.toThrow(`file: ${join(dir, 'missing.img')} is not a readable file`);
  });
});

describe('Cinder', () => {
  it('lists one project page by page and refuses to delete an attached volume until its server is gone', async () => {
    const server = fake.addServer({ name: 'with-disk', projectId: 'vol-p' });
    const attached = fake.addVolume({ projectId: 'vol-p', name: 'data', attachedTo: [server.id] });
    fake.addVolume({ projectId: 'vol-p', name: 'spare' });
    fake.addVolume({ projectId: 'vol-p', name: 'spare2' });
    fake.addVolume({ projectId: 'other', name: 'not-mine' });
    const { items } = await all((marker) => cloud.volume.listVolumes({ projectId: 'vol-p', limit: 2, marker }));
    expect(items.map((v) => v.name).sort()).toEqual(['data', 'spare', 'spare2']);
    expect(items.find((v) => v.name === 'data')).toMatchObject({ status: 'in-use', attachedTo: [server.id], projectId: 'vol-p' });

    const err = (await cloud.volume.deleteVolume(attached.id).catch((e: unknown) => e)) as OpenStackConflictError;
    expect(err).toBeInstanceOf(OpenStackConflictError);
    expect(err.status).toBe(400);
    expect(err.message).toContain(`status in-use, attached to ${server.id}`);
    await cloud.compute.deleteServer(server.id);
    expect(await cloud.volume.deleteVolume(attached.id)).toBe(true);
    expect(await cloud.volume.deleteVolume(attached.id)).toBe(false);
  });

  it('reports a detaching volume as busy so it is retried later', async () => {
    const v = fake.addVolume({ projectId: 'vol-p', status: 'detaching' });
    const err = (await cloud.volume.deleteVolume(v.id).catch((e: unknown) => e)) as OpenStackConflictError;
    expect(err.busy).toBe(true);
  });
});

describe('Neutron', () => {
  it('refuses to delete a network in use, and deletes it once the router interface is removed', async () => {
    const net = fake.addNetwork({ projectId: 'net-p', name: 'private' });
    const router = fake.addRouter({ projectId: 'net-p', name: 'gw' });
    const iface = fake.addRouterInterface(router.id, net.id);
    const fip = fake.addFloatingIp({ projectId: 'net-p', portId: iface.id });

    expect((await cloud.network.listFloatingIps({ projectId: 'net-p' })).items).toEqual([{ id: fip.id, address: fip.address, projectId: 'net-p', portId: iface.id }]);
    const ports = await cloud.network.listPorts({ projectId: 'net-p', deviceId: router.id });
    expect(ports.items).toEqual([expect.objectContaining({ id: iface.id, deviceOwner: 'network:router_interface', networkId: net.id })]);

    await expect(cloud.network.deleteNetwork(net.id)).rejects.toThrow(`network ${net.id}: conflict (HTTP 409): Unable to complete operation on network ${net.id}. There are one or more ports still in use on the network.`);
    await expect(cloud.network.deleteRouter(router.id)).rejects.toThrow(OpenStackConflictError);
    await expect(cloud.network.deletePort(iface.id)).rejects.toThrow('cannot be deleted directly via the port API');

    expect(await cloud.network.deleteFloatingIp(fip.id)).toBe(true);
    expect(await cloud.network.removeRouterInterface(router.id, iface.id)).toBe(true);
    expect(await cloud.network.removeRouterInterface(router.id, iface.id)).toBe(false);
    expect(await cloud.network.deleteRouter(router.id)).toBe(true);
    expect(await cloud.network.deleteNetwork(net.id)).toBe(true);
    expect(await cloud.network.deleteNetwork(net.id)).toBe(false);
    expect((await cloud.network.listNetworks({ projectId: 'net-p' })).items).toEqual([]);
  });

  it('pages through networks with limit and marker', async () => {
    for (let i = 0; i < 5; i++) fake.addNetwork({ projectId: 'many-nets', name: `n${i}` }, { dhcpPort: false });
    const { items, pages } = await all((marker) => cloud.network.listNetworks({ projectId: 'many-nets', limit: 2, marker }));
    expect(items.map((n) => n.name)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    expect(pages).toBe(3);
  });
});

describe('Swift', () => {
  it("lists another project's containers and objects and deletes them, container last", async () => {
    for (const name of ['a/1', 'a/2', 'b']) fake.addObject('swift-p', 'backups', name);
    fake.addObject('swift-p', 'empty');
    const containers = await cloud.objectStore.listContainers('swift-p');
    expect(containers.items).toEqual([
      { projectId: 'swift-p', name: 'backups', objectCount: 3, bytes: 3 },
      { projectId: 'swift-p', name: 'empty', objectCount: 0, bytes: 0 },
    ]);
    const { items } = await all((marker) => cloud.objectStore.listObjects('swift-p', 'backups', { limit: 2, marker }));
    expect(items.map((o) => o.name)).toEqual(['a/1', 'a/2', 'b']);

    await expect(cloud.objectStore.deleteContainer('swift-p', 'backups')).rejects.toThrow(OpenStackConflictError);
    for (const o of items) expect(await cloud.objectStore.deleteObject('swift-p', 'backups', o.name)).toBe(true);
    expect(await cloud.objectStore.deleteObject('swift-p', 'backups', 'a/1')).toBe(false);
    expect(await cloud.objectStore.deleteContainer('swift-p', 'backups')).toBe(true);
    expect(await cloud.objectStore.deleteContainer('swift-p', 'backups')).toBe(false);
    expect((await cloud.objectStore.listObjects('swift-p', 'backups')).items).toEqual([]);
    expect((await cloud.objectStore.listContainers('nobody')).items).toEqual([]);
  });
});
