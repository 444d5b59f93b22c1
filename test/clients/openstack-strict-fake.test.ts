// The fake cloud answers as Zed's services do where the lifecycle can trip, checked over raw HTTP
// so the exact status and body are what a real cloud sends (the client's handling of them is in
// openstack-access.test.ts).
import { startFakeOpenStack, type FakeOpenStack } from '../fakes/openstack.js';

let fake: FakeOpenStack;

beforeAll(async () => {
  fake = await startFakeOpenStack({
    users: [
      { username: 'admin', password: 'admin-secret', projectId: 'admin-project' },
      { username: 'alice', password: 'alice-secret', projectId: 'p-alice', roles: ['member', 'reader'] },
      { username: 'nobody', password: 'nobody-secret', projectId: 'p-alice', roles: ['member'], scopedByDefault: false },
    ],
  });
});
afterAll(() => fake.close());

interface Login { token: string; body: { token: { roles?: { name: string }[]; catalog?: unknown[]; project?: { id: string } } } }

async function login(username: string, password: string, project?: string): Promise<Login> {
  const res = await fetch(`${fake.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: username, domain: { name: 'Default' }, password } } },
        ...(project ? { scope: { project: { name: project, domain: { name: 'Default' } } } } : {}),
      },
    }),
  });
  expect(res.status).toBe(201);
  return { token: res.headers.get('x-subject-token') ?? '', body: (await res.json()) as Login['body'] };
}

async function call(token: string, method: string, path: string): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(`${fake.url}${path}`, { method, headers: { 'x-auth-token': token } });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

let admin: string;
let alice: string;
beforeAll(async () => {
  admin = (await login('admin', 'admin-secret')).token;
  alice = (await login('alice', 'alice-secret')).token;
});

describe('Keystone', () => {
  it('puts the roles in the token body; an unscoped token has no project, roles or catalog', async () => {
    const member = await login('alice', 'alice-secret', 'p-alice');
    expect(member.body.token.roles?.map((r) => r.name).sort()).toEqual(['member', 'reader']);
    const unscoped = await login('nobody', 'nobody-secret');
    expect(unscoped.body.token.project).toBeUndefined();
    expect(unscoped.body.token.catalog).toBeUndefined();
    expect((await call(unscoped.token, 'GET', '/compute/v2.1/servers/detail')).status).toBe(401);
  });
});

describe('Nova policy', () => {
  it('refuses all_tenants to a member with the policy message, and lists its own project without it', async () => {
    const own = fake.addServer({ name: 'alice-vm', projectId: 'p-alice' });
    const other = fake.addServer({ name: 'bob-vm', projectId: 'p-bob' });
    const refused = await call(alice, 'GET', '/compute/v2.1/servers/detail?all_tenants=1');
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed." } });
    // project_id is ignored without all_tenants: Nova lists the token's project.
    const listed = await call(alice, 'GET', '/compute/v2.1/servers/detail?project_id=p-bob');
    expect((listed.body as { servers: { id: string }[] }).servers.map((s) => s.id)).toEqual([own.id]);
    expect((await call(admin, 'GET', '/compute/v2.1/servers/detail?all_tenants=1&project_id=p-bob')).body).toMatchObject({ servers: [{ id: other.id }] });
  });

  it('answers 404 to a member GET or DELETE of a server of another project, which stays', async () => {
    const other = fake.addServer({ name: 'bob-vm-2', projectId: 'p-bob' });
    expect((await call(alice, 'GET', `/compute/v2.1/servers/${other.id}`)).status).toBe(404);
    expect((await call(alice, 'DELETE', `/compute/v2.1/servers/${other.id}`)).status).toBe(404);
    expect(fake.servers.has(other.id)).toBe(true);
    expect((await call(admin, 'GET', `/compute/v2.1/servers/${other.id}`)).status).toBe(200);
  });

  it('shelving makes a `<server>-shelved` snapshot image that inherits the base image, featured flag included', async () => {
    const base = fake.addImage({ name: 'ubuntu-18.04', owner: 'admin-project', visibility: 'public', properties: { featured: 'true', os_distro: 'ubuntu', os_version: '18.04' } });
    const vm = fake.addServer({ name: 'shelve-me', projectId: 'p-alice', status: 'SHUTOFF', imageId: base.id });
    const res = await fetch(`${fake.url}/compute/v2.1/servers/${vm.id}/action`, { method: 'POST', headers: { 'x-auth-token': alice, 'content-type': 'application/json' }, body: '{"shelve":null}' });
    expect(res.status).toBe(202);
    const image = [...fake.images.values()].find((i) => i.name === 'shelve-me-shelved');
    expect(image).toMatchObject({ owner: 'p-alice', visibility: 'private', properties: expect.objectContaining({ featured: 'true', os_distro: 'ubuntu', image_type: 'snapshot', instance_uuid: vm.id, base_image_ref: base.id }) });
    expect((await call(admin, 'DELETE', `/compute/v2.1/servers/${vm.id}`)).status).toBe(204);
    expect(fake.images.has(image!.id)).toBe(false);
  });
});

describe('Cinder', () => {
  it('silently ignores all_tenants for a member and hides other projects\' volumes', async () => {
    const own = fake.addVolume({ projectId: 'p-alice', name: 'alice-data' });
    const other = fake.addVolume({ projectId: 'p-bob', name: 'bob-data' });
    const listed = await call(alice, 'GET', '/volume/v3/p-alice/volumes/detail?all_tenants=1');
    expect(listed.status).toBe(200);
    expect((listed.body as { volumes: { id: string }[] }).volumes.map((v) => v.id)).toEqual([own.id]);
    expect((await call(alice, 'GET', `/volume/v3/p-alice/volumes/${other.id}`)).status).toBe(404);
  });

  it('refuses to delete a volume with snapshots (400, Cinder\'s message); without them it goes', async () => {
    const volume = fake.addVolume({ projectId: 'p-bob', name: 'snapped' });
    const snapshot = fake.addVolumeSnapshot({ volumeId: volume.id, name: 'snap' });
    const refused = await call(admin, 'DELETE', `/volume/v3/admin-project/volumes/${volume.id}`);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ badRequest: { code: 400, message: 'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.' } });
    const snaps = await call(admin, 'GET', '/volume/v3/admin-project/snapshots/detail?all_tenants=1&project_id=p-bob');
    expect((snaps.body as { snapshots: { id: string; volume_id: string }[] }).snapshots).toEqual([expect.objectContaining({ id: snapshot.id, volume_id: volume.id })]);
    expect((await call(admin, 'DELETE', `/volume/v3/admin-project/snapshots/${snapshot.id}`)).status).toBe(202);
    expect((await call(admin, 'DELETE', `/volume/v3/admin-project/volumes/${volume.id}`)).status).toBe(202);
  });
});

describe('Glance', () => {
  it('leaves os_hidden images out unless os_hidden=true is asked for', async () => {
    const hidden = fake.addImage({ name: 'hidden-one', owner: 'p-bob', hidden: true });
    const plain = await call(admin, 'GET', '/image/v2/images?visibility=all&owner=p-bob');
    expect((plain.body as { images: { id: string }[] }).images.map((i) => i.id)).not.toContain(hidden.id);
    const asked = await call(admin, 'GET', '/image/v2/images?visibility=all&owner=p-bob&os_hidden=true');
    expect((asked.body as { images: { id: string; os_hidden: boolean }[] }).images).toEqual([expect.objectContaining({ id: hidden.id, os_hidden: true })]);
  });

  it("shows a member no private image of another project", async () => {
    const privateOne = fake.addImage({ name: 'bob-private', owner: 'p-bob' });
    const listed = await call(alice, 'GET', '/image/v2/images?visibility=all');
    expect((listed.body as { images: { id: string }[] }).images.map((i) => i.id)).not.toContain(privateOne.id);
    expect((await call(alice, 'DELETE', `/image/v2/images/${privateOne.id}`)).status).toBe(404);
  });
});

describe('Neutron', () => {
  it('gives each project a default security group a member cannot delete; a group used by a port is in use', async () => {
    const listed = await call(alice, 'GET', '/network/v2.0/security-groups');
    const groups = (listed.body as { security_groups: { id: string; name: string; project_id: string }[] }).security_groups;
    expect(groups).toEqual([expect.objectContaining({ name: 'default', project_id: 'p-alice' })]);
    const refused = await call(alice, 'DELETE', `/network/v2.0/security-groups/${groups[0].id}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ NeutronError: { type: 'SecurityGroupCannotRemoveDefault', message: 'Insufficient rights for removing default security group.', detail: '' } });
    const web = fake.addSecurityGroup({ projectId: 'p-alice', name: 'web' });
    const net = fake.addNetwork({ projectId: 'p-alice' });
    const port = fake.addPort({ projectId: 'p-alice', networkId: net.id, securityGroups: [web.id] });
    const inUse = await call(alice, 'DELETE', `/network/v2.0/security-groups/${web.id}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body).toMatchObject({ NeutronError: { type: 'SecurityGroupInUse', message: `Security Group ${web.id} in use.` } });
    expect((await call(alice, 'DELETE', `/network/v2.0/ports/${port.id}`)).status).toBe(204);
    expect((await call(alice, 'DELETE', `/network/v2.0/security-groups/${web.id}`)).status).toBe(204);
  });

  it('re-creates a deleted default group on the next listing for that project', async () => {
    const first = fake.defaultSecurityGroup('p-gone');
    expect((await call(admin, 'DELETE', `/network/v2.0/security-groups/${first.id}`)).status).toBe(204);
    const again = await call(admin, 'GET', '/network/v2.0/security-groups?project_id=p-gone');
    expect((again.body as { security_groups: { id: string; name: string }[] }).security_groups).toEqual([expect.objectContaining({ name: 'default' })]);
  });

  it('router-gateway and floating-IP ports carry project_id "" and go with their router / floating IP', async () => {
    const ext = fake.addNetwork({ projectId: 'admin-project', name: 'public', shared: false }, { dhcpPort: false });
    const router = fake.addRouter({ projectId: 'p-alice', name: 'r' });
    fake.addRouterGateway(router.id, ext.id);
    const fip = fake.addFloatingIp({ projectId: 'p-alice' }, { floatingNetworkId: ext.id });
    const ports = await call(admin, 'GET', `/network/v2.0/ports?network_id=${ext.id}`);
    const owned = (ports.body as { ports: { project_id: string; device_owner: string; device_id: string }[] }).ports;
    expect(owned).toEqual(expect.arrayContaining([
      expect.objectContaining({ project_id: '', device_owner: 'network:router_gateway', device_id: router.id }),
      expect.objectContaining({ project_id: '', device_owner: 'network:floatingip', device_id: fip.id }),
    ]));
    // A member does not see them in its own listing.
    const mine = await call(alice, 'GET', '/network/v2.0/ports');
    expect((mine.body as { ports: { device_owner: string }[] }).ports.map((p) => p.device_owner)).not.toContain('network:router_gateway');
    expect((await call(admin, 'DELETE', `/network/v2.0/routers/${router.id}`)).status).toBe(204);
    expect((await call(admin, 'DELETE', `/network/v2.0/floatingips/${fip.id}`)).status).toBe(204);
    expect([...fake.ports.values()].filter((p) => p.networkId === ext.id)).toEqual([]);
  });

  it('hides another project\'s network from a member (404)', async () => {
    const net = fake.addNetwork({ projectId: 'p-bob' });
    expect((await call(alice, 'DELETE', `/network/v2.0/networks/${net.id}`)).status).toBe(404);
    expect(fake.networks.has(net.id)).toBe(true);
  });
});

describe('Swift', () => {
  it("closes another project's account unless the token holds ResellerAdmin", async () => {
    fake.addObject('p-bob', 'bob-bucket', 'x.txt');
    const refused = await call(alice, 'GET', '/object/v1/AUTH_p-bob?format=json');
    expect(refused.status).toBe(403);
    const seen = await call(admin, 'GET', '/object/v1/AUTH_p-bob?format=json');
    expect(seen.body).toEqual([expect.objectContaining({ name: 'bob-bucket', count: 1 })]);
  });
});
