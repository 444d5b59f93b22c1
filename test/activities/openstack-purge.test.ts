// The project purge and the inventory as the strict fake cloud (Zed's refusals) sees them: the one
// deletion-order table against what the cloud refuses, a purge that leaves nothing (snapshots,
// hidden images, security groups, containers), and a member credential that sweeps only what it
// can see and says what it cannot.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createOpenStackActivities, type InventoryCursor, type ListInventoryInput } from '../../activities/openstack.js';
import { createCloud, OpenStackConflictError, type Cloud } from '../../clients/openstack/index.js';
import { DELETION_ORDER, type Inventory, type ResourceType } from '../../workflows/lifecycle-types.js';
import { startFakeOpenStack, type FakeOpenStack } from '../fakes/openstack.js';

let fake: FakeOpenStack;
let admin: Cloud;
let member: Cloud;
const retry = { attempts: 2, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2_000 };
const noop = (): void => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  new MockActivityEnvironment(undefined, { logger: quiet }).run(fn, ...args) as Promise<R>;

beforeAll(async () => {
  fake = await startFakeOpenStack({
    appCredentials: [
      { id: 'cred-1', secret: 'cred-secret', projectId: 'admin-project' },
      { id: 'member-cred', secret: 'member-secret', projectId: 'p-member', roles: ['member', 'reader'] },
    ],
  });
  admin = createCloud({ authUrl: fake.authUrl, credentials: { kind: 'application-credential', id: 'cred-1', secret: 'cred-secret' }, retry });
  member = createCloud({ authUrl: fake.authUrl, credentials: { kind: 'application-credential', id: 'member-cred', secret: 'member-secret' }, retry });
});
afterAll(() => fake.close());

/** Everything a project can own, wired together the way the real services make it. */
function seed(p: string) {
  const ext = fake.addNetwork({ projectId: 'admin-project', name: `public-${p}` }, { dhcpPort: false });
  const net = fake.addNetwork({ projectId: p, name: 'private' });
  const router = fake.addRouter({ projectId: p, name: 'gw' });
  fake.addRouterGateway(router.id, ext.id);
  fake.addRouterInterface(router.id, net.id);
  const base = fake.addImage({ name: `ubuntu-${p}`, owner: 'admin-project', visibility: 'public', properties: { featured: 'true', os_distro: 'ubuntu', os_version: '18.04' } });
  const server = fake.addServer({ name: 'vm', projectId: p, imageId: base.id });
  const web = fake.addSecurityGroup({ projectId: p, name: 'web' });
  const port = fake.addPort({ projectId: p, networkId: net.id, deviceOwner: 'compute:nova', deviceId: server.id, securityGroups: [web.id] });
  const stray = fake.addPort({ projectId: p, networkId: net.id, name: 'unbound', securityGroups: [web.id] });
  const fip = fake.addFloatingIp({ projectId: p, portId: port.id }, { floatingNetworkId: ext.id });
  const volume = fake.addVolume({ projectId: p, attachedTo: [server.id] });
  const spare = fake.addVolume({ projectId: p, name: 'spare' });
  const snapshot = fake.addVolumeSnapshot({ volumeId: spare.id, name: 'nightly' });
  const hidden = fake.addImage({ name: 'hidden', owner: p, hidden: true });
  const image = fake.addImage({ name: 'mine', owner: p });
  const guarded = fake.addImage({ name: 'guarded', owner: p, protected: true });
  fake.addObject(p, 'bucket', 'a');
  return { ext, net, router, server, web, port, stray, fip, volume, spare, snapshot, hidden, image, guarded, base };
}

/** What a project still owns in the fake (Neutron's project-less ports attributed to their device). */
function owned(p: string): string[] {
  const left: string[] = [];
  const add = (kind: string, items: { projectId?: string; owner?: string; name?: string }[]): void => {
    for (const i of items) if ((i.projectId ?? i.owner) === p) left.push(`${kind} ${i.name ?? ''}`.trim());
  };
  add('server', [...fake.servers.values()]);
  add('volume', [...fake.volumes.values()]);
  add('snapshot', [...fake.volumeSnapshots.values()]);
  add('image', [...fake.images.values()]);
  add('network', [...fake.networks.values()]);
  add('router', [...fake.routers.values()]);
  add('port', [...fake.ports.values()]);
  add('floating-ip', [...fake.floatingIps.values()].map((f) => ({ projectId: f.projectId })));
  add('security-group', [...fake.securityGroups.values()]);
  for (const c of fake.objects.get(p)?.keys() ?? []) left.push(`container ${c}`);
  return left.sort();
}

describe('the deletion order', () => {
  // Each pair: the cloud refuses to delete `blocked` while `blocker` exists.
  const refusals: { blocker: ResourceType; blocked: ResourceType; refuse: (r: ReturnType<typeof seed>) => Promise<unknown> }[] = [
    { blocker: 'server', blocked: 'volume', refuse: (r) => admin.volume.deleteVolume(r.volume.id) },
    { blocker: 'volume-snapshot', blocked: 'volume', refuse: (r) => admin.volume.deleteVolume(r.spare.id) },
    { blocker: 'router', blocked: 'network', refuse: (r) => admin.network.deleteNetwork(r.net.id) },
    { blocker: 'port', blocked: 'network', refuse: async (r) => {
      await admin.network.removeRouterInterface(r.router.id, [...fake.ports.values()].find((x) => x.deviceId === r.router.id && x.deviceOwner === 'network:router_interface')!.id);
      return admin.network.deleteNetwork(r.net.id);
    } },
    { blocker: 'port', blocked: 'security-group', refuse: (r) => admin.network.deleteSecurityGroup(r.web.id) },
  ];

  it.each(refusals)('puts $blocker before $blocked, which the cloud refuses to delete while it exists', async ({ blocker, blocked, refuse }) => {
    expect(DELETION_ORDER.indexOf(blocker)).toBeLessThan(DELETION_ORDER.indexOf(blocked));
    const r = seed(`order-${blocker}-${blocked}`);
    const err = await refuse(r).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackConflictError);
  });

  it('is one table with every resource type exactly once', () => {
    expect(new Set(DELETION_ORDER).size).toBe(DELETION_ORDER.length);
    expect([...DELETION_ORDER].sort()).toEqual(['container', 'floating-ip', 'image', 'network', 'port', 'router', 'security-group', 'server', 'volume', 'volume-snapshot']);
  });
});

describe('purge with an admin credential', () => {
  it('leaves the project owning nothing: snapshots before volumes, hidden and protected images, security groups after ports', async () => {
    const r = seed('gone');
    const keep = seed('paid');
    const acts = createOpenStackActivities({ cloud: admin, pollIntervalMs: 5 });
    const result = await run(acts.deleteProjectResources, { projectId: 'gone' });
    expect(result.failed).toEqual([]);
    expect(result.deleted).toMatchObject({ 'volume-snapshot': 1, volume: 2, 'security-group': 2, image: 3, container: 1 });
    expect(owned('gone')).toEqual([]);
    expect(fake.images.has(r.hidden.id)).toBe(false);
    // Glance refuses to delete a protected image (403): the purge unprotects it first.
    expect(fake.images.has(r.guarded.id)).toBe(false);
    expect(fake.images.get(keep.guarded.id)?.protected).toBe(true);
    // Neutron's own ports of the router gateway and the floating IP went with them.
    expect([...fake.ports.values()].filter((x) => x.networkId === r.ext.id)).toEqual([]);
    // The project next door is untouched.
    expect(owned('paid')).toContain('volume spare');
    expect(fake.volumeSnapshots.has(keep.snapshot.id)).toBe(true);
    // Listing by project would have re-created `gone`'s default group; the purge never does.
    expect([...fake.securityGroups.values()].filter((g) => g.projectId === 'gone')).toEqual([]);
  });
});

describe('a member credential', () => {
  const acts = (): ReturnType<typeof createOpenStackActivities> => createOpenStackActivities({ cloud: member, pollIntervalMs: 5 });

  async function inventory(input: Omit<ListInventoryInput, 'cursor'> = {}): Promise<Inventory> {
    const merged: Inventory = { servers: [], images: [], volumes: [], floatingIps: [], networks: [], routers: [], ports: [], containers: [], volumeSnapshots: [], securityGroups: [], unseen: [] };
    let cursor: InventoryCursor | undefined;
    do {
      const page = await run(acts().listInventory, { ...input, cursor });
      for (const key of Object.keys(merged) as (keyof Inventory)[]) (merged[key] as unknown[]).push(...((page.inventory[key] as unknown[] | undefined) ?? []));
      cursor = page.next;
    } while (cursor);
    return merged;
  }

  it('lists its own project, hidden images included, and says per kind what it could not see and why', async () => {
    const mine = seed('p-member');
    seed('p-stranger');
    const inv = await inventory();
    expect(inv.servers.map((s) => s.projectId)).toEqual(['p-member']);
    expect(inv.images.map((i) => i.id)).toEqual(expect.arrayContaining([mine.hidden.id, mine.image.id]));
    expect(inv.volumeSnapshots?.map((s) => s.id)).toEqual([mine.snapshot.id]);
    // One entry per page (two image passes); the sweep's mergeInventory keeps one per kind.
    expect([...new Set(inv.unseen?.map((u) => u.kind))].sort()).toEqual(['floatingIps', 'images', 'networks', 'ports', 'routers', 'securityGroups', 'servers', 'volumeSnapshots', 'volumes']);
    expect(inv.unseen?.find((u) => u.kind === 'servers')).toEqual({
      kind: 'servers', projects: 'every project but p-member',
      reason: 'it has roles member, reader on project p-member; seeing other projects needs the admin role',
    });
    const containers = await inventory({ kinds: ['containers'], projectIds: ['p-member', 'p-stranger'] });
    expect(containers.containers.map((c) => `${c.projectId}/${c.name}`)).toEqual(['p-member/bucket']);
    expect(containers.unseen).toEqual([{ kind: 'containers', projects: 'p-stranger', reason: expect.stringContaining('needs the ResellerAdmin role') }]);
  });

  it("refuses to purge another project, naming the missing role; the project keeps everything", async () => {
    seed('p-elsewhere');
    const before = owned('p-elsewhere');
    const err = await run(acts().deleteProjectResources, { projectId: 'p-elsewhere' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('OpenStackNotVisible');
    expect((err as Error).message).toBe('project p-elsewhere cannot be purged with this credential: its resources are not visible to it (has roles member, reader on project p-member; seeing other projects needs the admin role)');
    expect(owned('p-elsewhere')).toEqual(before);
  });

  it('purges its own project except the default security group the cloud refuses it', async () => {
    const own = await startFakeOpenStack({ appCredentials: [{ id: 'm', secret: 's', projectId: 'p-solo', roles: ['member'] }] });
    try {
      const cloud = createCloud({ authUrl: own.authUrl, credentials: { kind: 'application-credential', id: 'm', secret: 's' }, retry });
      const net = own.addNetwork({ projectId: 'p-solo' });
      own.addPort({ projectId: 'p-solo', networkId: net.id });
      own.addSecurityGroup({ projectId: 'p-solo', name: 'extra' });
      const result = await run(createOpenStackActivities({ cloud, pollIntervalMs: 5 }).deleteProjectResources, { projectId: 'p-solo' });
      expect(result.failed).toEqual([]);
      expect(result.kept).toEqual([{ type: 'security-group', id: own.defaultSecurityGroup('p-solo').id, message: expect.stringContaining('Insufficient rights for removing default security group.') }]);
      expect([...own.securityGroups.values()].map((g) => g.name)).toEqual(['default']);
      expect(own.networks.size).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('a server of another project that answers 404 is "not visible", never "already gone"', async () => {
    const other = fake.addServer({ name: 'theirs', projectId: 'p-stranger', status: 'SHELVED_OFFLOADED' });
    const result = await run(acts().deleteServer, { serverId: other.id, projectId: 'p-stranger' });
    expect(result).toEqual({
      serverId: other.id, outcome: 'not-visible',
      reason: `server ${other.id} is not visible to this credential: it is in project p-stranger; this credential has roles member, reader on project p-member; seeing other projects needs the admin role`,
    });
    expect(fake.servers.has(other.id)).toBe(true);
    const gone = await run(acts().deleteServer, { serverId: '33333333-3333-3333-3333-333333333333', projectId: 'p-member' });
    expect(gone.outcome).toBe('already-gone');
  });
});
