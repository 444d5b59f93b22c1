// What the client does with what its credential may do, against the strict fake: a member lists its
// own project (and says so) instead of getting Nova's 403, another project is "not visible", a 404
// on delete is checked before it counts as gone, and the messages a user sees are clear.
import {
  createCloud, OpenStackAuthError, OpenStackConflictError, OpenStackHttpError, OpenStackNotVisibleError, UNSCOPED_TOKEN_MESSAGE, type Cloud,
} from '../../clients/openstack/index.js';
import { errorDetail } from '../../clients/openstack/http.js';
import { startFakeOpenStack, type FakeOpenStack } from '../fakes/openstack.js';

let fake: FakeOpenStack;
let admin: Cloud;
let member: Cloud;
const retry = { attempts: 2, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2_000 };
const MISSING = 'it has roles member, reader on project p-member; seeing other projects needs the admin role';

beforeAll(async () => {
  fake = await startFakeOpenStack({
    users: [
      { username: 'admin', password: 'admin-secret', projectId: 'admin-project' },
      { username: 'drifter', password: 'drifter-secret', projectId: 'p-member', roles: ['member'], scopedByDefault: false },
    ],
    appCredentials: [
      { id: 'cred-1', secret: 'cred-secret', projectId: 'admin-project' },
      { id: 'member-cred', secret: 'member-secret', projectId: 'p-member', roles: ['member', 'reader'] },
    ],
  });
  admin = createCloud({ authUrl: fake.authUrl, credentials: { kind: 'application-credential', id: 'cred-1', secret: 'cred-secret' }, retry });
  member = createCloud({ authUrl: fake.authUrl, credentials: { kind: 'application-credential', id: 'member-cred', secret: 'member-secret' }, retry });
});
afterAll(() => fake.close());

describe('what the credential may do', () => {
  it('reads the roles from the token', async () => {
    expect(await member.access()).toEqual({ projectId: 'p-member', roles: ['member', 'reader'], allProjects: false, allAccounts: false });
    expect(await admin.access()).toMatchObject({ projectId: 'admin-project', allProjects: true, allAccounts: true });
  });

  it('a member lists its own servers and the page says why no more, never a raw 403', async () => {
    const own = fake.addServer({ name: 'mine', projectId: 'p-member' });
    const other = fake.addServer({ name: 'theirs', projectId: 'p-other' });
    const page = await member.compute.listServers();
    expect(page.items.map((s) => s.id)).toEqual([own.id]);
    expect(page.partial).toEqual({ visibleProject: 'p-member', reason: MISSING });
    const all = await admin.compute.listServers();
    expect(all.items.map((s) => s.id)).toEqual(expect.arrayContaining([own.id, other.id]));
    expect(all.partial).toBeUndefined();
    const err = await member.compute.listServers({ projectId: 'p-other' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackNotVisibleError);
    expect((err as Error).message).toBe(`servers of project p-other is not visible to this credential: ${MISSING}`);
  });

  it('marks Cinder, Glance and Neutron listings of a member as partial (Cinder itself says nothing)', async () => {
    fake.addVolume({ projectId: 'p-member' });
    fake.addVolume({ projectId: 'p-other' });
    const volumes = await member.volume.listVolumes();
    expect(volumes.items.every((v) => v.projectId === 'p-member')).toBe(true);
    expect(volumes.partial?.reason).toBe(MISSING);
    expect((await member.image.listImages()).partial?.reason).toContain('needs the admin role');
    expect((await member.network.listNetworks()).partial?.visibleProject).toBe('p-member');
    await expect(member.volume.listSnapshots({ projectId: 'p-other' })).rejects.toThrow(OpenStackNotVisibleError);
    await expect(member.objectStore.listContainers('p-other')).rejects.toThrow(
      'object-store account AUTH_p-other is not visible to this credential: it has roles member, reader on project p-member; seeing other projects needs the ResellerAdmin role',
    );
  });
});

describe('"already gone" means really gone', () => {
  it('a member deleting another project\'s server gets "not visible", and the server stays', async () => {
    const other = fake.addServer({ name: 'keep-me', projectId: 'p-other' });
    const err = await member.compute.deleteServer(other.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackNotVisibleError);
    expect((err as Error).message).toBe(`server ${other.id} is not visible to this credential: ${MISSING}`);
    expect(fake.servers.has(other.id)).toBe(true);
  });

  it('an admin 404 is confirmed with a GET before it counts as gone', async () => {
    const before = fake.requests.length;
    expect(await admin.compute.deleteServer('11111111-2222-3333-4444-555555555555')).toBe(false);
    expect(fake.requests.slice(before).map((r) => r.method)).toEqual(['DELETE', 'GET']);
  });
});

describe('clear messages', () => {
  it('an unscoped token says so instead of blaming the catalog', async () => {
    const unscoped = createCloud({ authUrl: fake.authUrl, credentials: { kind: 'password', username: 'drifter', password: 'drifter-secret' }, retry });
    const err = await unscoped.compute.listServers().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackAuthError);
    expect((err as Error).message).toBe(UNSCOPED_TOKEN_MESSAGE);
    expect(UNSCOPED_TOKEN_MESSAGE).toBe('the token is unscoped: set a project (project_name/project_id) or use a project-scoped application credential');
  });

  it('Swift errors name the account, container and object', async () => {
    fake.addObject('p-swift', 'logs', 'day/1.txt');
    fake.faults.failNext({ status: 400, count: 1, path: /AUTH_p-swift\/logs\/day/, method: 'DELETE' });
    const err = await admin.objectStore.deleteObject('p-swift', 'logs', 'day/1.txt').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackHttpError);
    expect((err as Error).message).toBe('object-store DELETE AUTH_p-swift/logs/day/1.txt failed with HTTP 400: Injected fault: HTTP 400');
    fake.faults.failNext({ status: 400, count: 1, path: /AUTH_p-swift\?/, method: 'GET' });
    await expect(admin.objectStore.listContainers('p-swift')).rejects.toThrow('object-store GET AUTH_p-swift failed with HTTP 400');
  });

  it("strips Glance's HTML from error details", () => {
    const glance = JSON.stringify({ message: 'There was a conflict when trying to complete your request.<br /><br />\nImage status transition from active to saving is not allowed\n\n', code: '409 Conflict', title: 'Conflict' });
    expect(errorDetail(glance)).toBe('There was a conflict when trying to complete your request. Image status transition from active to saving is not allowed');
    const html = '<html>\n <head>\n  <title>403 Forbidden</title>\n </head>\n <body>\n  <h1>403 Forbidden</h1>\n  You are not authorized to complete publicize_image action.<br /><br />\n\n\n\n </body>\n</html>';
    expect(errorDetail(html)).toBe('403 Forbidden You are not authorized to complete publicize_image action.');
  });
});

describe('snapshots, hidden images, security groups', () => {
  it('lists and deletes volume snapshots; a volume with one is refused with Cinder\'s reason', async () => {
    const volume = fake.addVolume({ projectId: 'p-snap', name: 'data' });
    const snap = fake.addVolumeSnapshot({ volumeId: volume.id, name: 'nightly' });
    expect((await admin.volume.listSnapshots({ projectId: 'p-snap' })).items).toEqual([{ id: snap.id, name: 'nightly', projectId: 'p-snap', volumeId: volume.id, status: 'available' }]);
    const err = await admin.volume.deleteVolume(volume.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackConflictError);
    expect((err as Error).message).toContain('have snapshots');
    expect(await admin.volume.deleteSnapshot(snap.id)).toBe(true);
    expect(await admin.volume.deleteVolume(volume.id)).toBe(true);
  });

  it('lists os_hidden images when asked, and marks Nova snapshot images as their server\'s', async () => {
    const hidden = fake.addImage({ name: 'hidden', owner: 'p-img', hidden: true });
    const shelved = fake.addImage({ name: 'vm-shelved', owner: 'p-img', properties: { image_type: 'snapshot', instance_uuid: 'server-1', featured: 'true' } });
    const plain = await admin.image.listImages({ owner: 'p-img' });
    expect(plain.items.map((i) => i.id)).toEqual([shelved.id]);
    expect(plain.items[0]).toMatchObject({ snapshotOf: 'server-1' });
    const asked = await admin.image.listImages({ owner: 'p-img', hidden: true });
    expect(asked.items).toEqual([expect.objectContaining({ id: hidden.id, hidden: true })]);
  });

  it("a member cannot delete its project's default security group (409), an admin can", async () => {
    const groups = await member.network.listSecurityGroups();
    const group = groups.items.find((g) => g.name === 'default')!;
    const err = await member.network.deleteSecurityGroup(group.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackConflictError);
    expect((err as Error).message).toBe(`security group ${group.id}: conflict (HTTP 409): Insufficient rights for removing default security group.`);
    expect(await admin.network.deleteSecurityGroup(group.id)).toBe(true);
  });
});
