// Images you can launch, on Debian's real Glance and Nova: the image stream publishes a build,
// uploading it to Glance with the admin application credential; the Glance id the download page
// names is an active image with the file's checksum, and Nova boots a server from it; a revoke
// deactivates it (Nova then refuses to boot it) and the page names the fallback.
import { type Worker } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { createCloud, type Cloud } from '../../clients/openstack/index.js';
import { imageStream } from '../../workflows/image-stream.js';
import { type BuildListEntry, IMAGES_TASK_QUEUE, streamWorkflowId } from '../../workflows/image-stream-model.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import { DAY, HOUR, imageFixture, type Fixture } from '../workflows/image-stream-fixture.js';
import { AdminApi, loadStack, type StackCredentials } from './admin.js';
import { ensureFixtures, type Fixtures } from './seed-data.js';

let stack: StackCredentials;
let api: AdminApi;
let osFx: Fixtures;
let cloud: Cloud;
let t: TestEnv;
let fx: Fixture;
let worker: Worker;
let running: Promise<void>;
const stream = `glance-${Date.now().toString(36)}`;
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

beforeAll(async () => {
  stack = loadStack();
  api = new AdminApi(stack);
  osFx = await ensureFixtures(api);
  cloud = createCloud({
    authUrl: stack.authUrl, region: stack.region, credentials: { kind: 'application-credential', id: stack.admin.id, secret: stack.admin.secret },
    retry: { baseDelayMs: 200, maxDelayMs: 2000, maxRetryAfterMs: 5000 },
  });
  t = await createTestEnv();
  fx = await imageFixture({ glance: { cloud, cloudLabel: stack.region } });
  worker = await t.worker({ taskQueue: IMAGES_TASK_QUEUE, activities: fx.activities }, 'stratus');
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await t?.teardown();
  await fx?.close();
});

async function sleepUntil(ms: number): Promise<void> {
  const now = await t.env.currentTimeMs();
  if (ms > now) await t.env.sleep(ms - now);
}

it('publishes a launchable image to Glance, deactivates it on revoke and shows the fallback', async () => {
  const settings = fx.settings(stream, { publishEveryMs: 30 * DAY, glance: { visibility: 'community', onRevoke: 'deactivate' } });
  const h = await t.env.client.workflow.start(imageStream, { workflowId: streamWorkflowId(stream), taskQueue: IMAGES_TASK_QUEUE, args: [{ settings, events: false }] });
  const first = Date.parse((await h.query<{ nextNightly: string }>('status')).nextNightly);
  await fx.setMode(stream, 'pass');

  await sleepUntil(first + HOUR);
  const { published: older } = await h.executeUpdate<{ published: string }, []>('publish');
  await sleepUntil(first + DAY + HOUR);
  const { published: newer } = await h.executeUpdate<{ published: string }, []>('publish');
  expect(newer).not.toBe(older);

  const feed = await fx.feed(stream);
  const glanceId = feed.published!.glanceImageId!;
  expect(feed.published).toMatchObject({ id: newer, glanceCloud: stack.region });
  expect(await fx.page()).toContain(`Glance image id <code>${glanceId}</code>`);
  const image = await api.ok('image', 'GET', `/v2/images/${glanceId}`);
  expect(image).toMatchObject({
    name: newer, status: 'active', visibility: 'community', disk_format: 'qcow2', checksum: md5(`disk-${newer}`),
    stratus_image_id: newer, stratus_stream: stream,
  });

  // launchable: Nova boots a server from the id on the page (fake virt driver, no NIC)
  const server = (await api.ok('compute', 'POST', '/servers', { body: { server: { name: `${stream}-boot`, flavorRef: osFx.flavorId, imageRef: glanceId, networks: 'none' } } })).server;
  const booted = await api.until('server from the published image', async () => (await api.ok('compute', 'GET', `/servers/${server.id}`)).server as { status: string }, (s) => s.status !== 'BUILD');
  expect(booted.status).toBe('ACTIVE');
  await api.req('compute', 'DELETE', `/servers/${server.id}`);

  // revoke: the Glance copy is deactivated, the page names the fallback's id
  await h.executeUpdate('revoke', { args: [{ imageId: newer, reason: 'boots into a kernel panic' }] });
  expect((await api.ok('image', 'GET', `/v2/images/${glanceId}`)).status).toBe('deactivated');
  // Nova refuses to boot it now (Glance still lets an admin download a deactivated image)
  const refused = await api.req('compute', 'POST', '/servers', { body: { server: { name: `${stream}-revoked`, flavorRef: osFx.flavorId, imageRef: glanceId, networks: 'none' } } });
  expect(refused.status).toBe(400);
  expect(refused.text).toMatch(/not active/i);
  const after = await fx.feed(stream);
  expect(after.published?.id).toBe(older);
  const fallbackId = after.published!.glanceImageId!;
  expect((await api.ok('image', 'GET', `/v2/images/${fallbackId}`)).status).toBe('active');
  expect(await fx.page()).toContain(`Glance image id <code>${fallbackId}</code>`);
  expect((await h.query<BuildListEntry[]>('list')).find((b) => b.id === newer)?.glance).toEqual({ imageId: glanceId, cloud: stack.region, withdrawn: 'deactivated' });

  // one Glance image per published build, however often the activities ran
  for (const id of [older, newer]) {
    const found = await api.ok('image', 'GET', `/v2/images?name=${encodeURIComponent(id)}`);
    expect(found.images).toHaveLength(1);
  }
  await h.terminate();
  for (const id of [glanceId, fallbackId]) await api.req('image', 'DELETE', `/v2/images/${id}`);
});
