// The OpenStack client (clients/openstack) and its activities against Debian's real services, with
// an admin-scoped and a member-only application credential: listing, paging, shelve, delete, and
// what a member may and may not see. Resources are seeded per run in fresh projects.
import { createOpenStackActivities, type InventoryKind } from '../../activities/openstack.js';
import { createCloud, type Cloud, type KeystoneCredentials } from '../../clients/openstack/index.js';
import { type Inventory } from '../../workflows/lifecycle-types.js';
import { AdminApi, loadStack, type StackCredentials } from './admin.js';
import { ensureFixtures, ensureServer, seedProject, type Fixtures, type SeededProject } from './seed-data.js';

let stack: StackCredentials;
let api: AdminApi;
let fx: Fixtures;
let seeded: SeededProject;
let memberServer: string;
const run = Date.now().toString(36);

const cloudWith = (credentials: KeystoneCredentials): Cloud => createCloud({
  authUrl: stack.authUrl, region: stack.region, credentials, retry: { baseDelayMs: 200, maxDelayMs: 2000, maxRetryAfterMs: 5000 }, busyDelayMs: 500,
});
const admin = (): Cloud => cloudWith({ kind: 'application-credential', id: stack.admin.id, secret: stack.admin.secret });
const member = (): Cloud => cloudWith({ kind: 'application-credential', id: stack.member.id, secret: stack.member.secret });

/** Every page of the given kinds through the listInventory activity, as the sweep lists them. */
async function inventory(cloud: Cloud, kinds: InventoryKind[], pageSize = 2): Promise<Inventory & { pages: number }> {
  const acts = createOpenStackActivities({ cloud, pollIntervalMs: 200 });
  const all: Inventory & { pages: number } = { servers: [], images: [], volumes: [], floatingIps: [], networks: [], routers: [], ports: [], containers: [], pages: 0 };
  for (const kind of kinds) {
    let cursor: { kind: InventoryKind; marker?: string } | undefined = { kind };
    while (cursor) {
      const page = await acts.listInventory({ cursor, kinds: [kind], pageSize });
      all.pages++;
      for (const k of Object.keys(page.inventory) as (keyof Inventory)[]) (all[k] as unknown[])?.push(...(page.inventory[k] ?? []));
      cursor = page.next;
    }
  }
  return all;
}

beforeAll(async () => {
  stack = loadStack();
  api = new AdminApi(stack);
  fx = await ensureFixtures(api);
  const projectId = await api.project(`stratus-client-${run}`);
  seeded = await seedProject(api, fx, projectId, `client-${run}`, 20);
  memberServer = await ensureServer(api, fx, stack.memberProjectId, `member-${run}`, 'SHUTOFF');
});

describe('admin application credential', () => {
  test('lists servers of every project page by page, each once, with the stopped one\'s action log', async () => {
    const inv = await inventory(admin(), ['servers'], 2);
    const ids = inv.servers.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining([...Object.values(seeded.servers), memberServer]));
    expect(inv.pages).toBeGreaterThan(2);
    const stopped = inv.servers.find((s) => s.id === seeded.servers.stopped)!;
    expect(stopped).toMatchObject({ status: 'SHUTOFF', projectId: seeded.projectId });
    expect(stopped.lastActions?.map((a) => a.action)).toContain('stop');
    expect(inv.servers.find((s) => s.id === seeded.servers.shelved)!.status).toBe('SHELVED_OFFLOADED');
  });

  test('the image inventory includes the project\'s hidden, shared, community and protected images', async () => {
    const inv = await inventory(admin(), ['images'], 3);
    const mine = inv.images.filter((i) => i.ownerProjectId === seeded.projectId).map((i) => i.id);
    expect(mine).toEqual(expect.arrayContaining(Object.values(seeded.images)));
  });

  test('volumes, floating IPs, networks, routers and ports of another project are listed', async () => {
    const inv = await inventory(admin(), ['volumes', 'floatingIps', 'networks', 'routers', 'ports'], 2);
    expect(inv.volumes.find((v) => v.id === seeded.volumeId)).toMatchObject({ projectId: seeded.projectId, attachedTo: [seeded.servers.active] });
    expect(inv.floatingIps.map((f) => f.id)).toContain(seeded.floatingIpId);
    expect(inv.networks.map((n) => n.id)).toContain(seeded.networkId);
    expect(inv.routers.map((r) => r.id)).toContain(seeded.routerId);
    expect(inv.ports.map((p) => p.id)).toContain(seeded.portId);
    // Neutron gives router-gateway and floating-IP ports project_id "": they are listed with the
    // device that owns them (the planner attributes them to that device's project).
    expect(inv.ports.filter((p) => p.deviceId === seeded.routerId && p.deviceOwner === 'network:router_gateway')).toEqual([expect.objectContaining({ projectId: '' })]);
    expect(inv.ports.filter((p) => p.deviceId === seeded.floatingIpId)).toEqual([expect.objectContaining({ deviceOwner: 'network:floatingip', projectId: '' })]);
  });

  test('Swift containers of another project are listed with their objects, by the reseller-admin role', async () => {
    const page = await admin().objectStore.listContainers(seeded.projectId);
    expect(page.items).toEqual([expect.objectContaining({ name: seeded.container, objectCount: 2 })]);
    const objects = await admin().objectStore.listObjects(seeded.projectId, seeded.container, { limit: 1 });
    expect(objects.items).toHaveLength(1);
    expect(objects.nextMarker).toBe(objects.items[0].name);
  });

  test('shelves a server once: Nova offloads it, a second shelve is already-shelved', async () => {
    const id = await ensureServer(api, fx, seeded.projectId, `client-${run}-to-shelve`, 'ACTIVE');
    const cloud = admin();
    await expect(cloud.compute.shelveServer(id)).resolves.toBe('shelved');
    await api.until('shelved', async () => (await cloud.compute.getServer(id))?.status, (s) => s === 'SHELVED_OFFLOADED');
    await expect(cloud.compute.shelveServer(id)).resolves.toBe('already-shelved');
  });

  test('deletes a server; deleting it again reports it already gone', async () => {
    const id = await ensureServer(api, fx, seeded.projectId, `client-${run}-to-delete`, 'SHUTOFF');
    const cloud = admin();
    await expect(cloud.compute.deleteServer(id)).resolves.toBe(true);
    await api.until('deleted', () => cloud.compute.getServer(id), (s) => s === undefined);
    await expect(cloud.compute.deleteServer(id)).resolves.toBe(false);
  });
});

describe('member-only application credential', () => {
  test('lists what it can see (its own project\'s servers) instead of failing on Nova\'s all_tenants policy', async () => {
    const inv = await inventory(member(), ['servers'], 2);
    expect(inv.servers.map((s) => s.id)).toContain(memberServer);
    expect(inv.servers.every((s) => s.projectId === stack.memberProjectId)).toBe(true);
  });

  test('deleting another project\'s server is never taken for "already gone" while it exists', async () => {
    const outcome = await member().compute.deleteServer(seeded.servers.stopped).then((v) => v, (e: unknown) => e);
    expect(outcome).not.toBe(false);
    expect(await admin().compute.getServer(seeded.servers.stopped)).toMatchObject({ status: 'SHUTOFF' });
  });

  test('Swift refuses another project\'s account to a member, with a message naming the account', async () => {
    const err = await member().objectStore.listContainers(seeded.projectId).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toMatch(new RegExp(seeded.projectId));
  });
});

describe('password credentials', () => {
  test('an unscoped password credential says the token has no project, not that the catalog lacks compute', async () => {
    // Keystone scopes a password token to the user's default project when no scope is sent: this
    // user has none, so its token is really unscoped.
    const password = `pw-${run}-${stack.admin.secret.slice(0, 8)}`;
    const name = `stratus-noproject-${run}`;
    const user = (await api.ok('identity', 'POST', '/users', { body: { user: { name, password, domain_id: 'default' } } })).user.id as string;
    const role = (await api.ok('identity', 'GET', '/roles?name=member')).roles[0].id as string;
    await api.ok('identity', 'PUT', `/projects/${stack.memberProjectId}/users/${user}/roles/${role}`);
    const cloud = cloudWith({ kind: 'password', username: name, password, userDomainName: 'Default' });
    await expect(cloud.compute.listServers({ allTenants: false })).rejects.toThrow(/unscoped|no project/i);
  });

  test('a project-scoped password credential lists its project\'s servers', async () => {
    const p = stack.memberPassword;
    const cloud = cloudWith({ kind: 'password', ...p });
    const page = await cloud.compute.listServers({ allTenants: false, limit: 100 });
    expect(page.items.map((s) => s.id)).toContain(memberServer);
  });
});
