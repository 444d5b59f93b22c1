// Publishing to Glance end to end: the image stream on the embedded Temporal server with real
// build/test scripts, uploading the published image to the OpenStack fake; the page and feed name
// the Glance id; a revoke deactivates it and the page names the fallback's id; a Glance outage
// refusing the upload does not stop the publish and the build record says why.
import { type WorkflowHandle } from '@temporalio/client';
import { type Worker } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { createCloud } from '../../clients/openstack/index.js';
import { imageStream } from '../../workflows/image-stream.js';
import { type BuildListEntry, IMAGES_TASK_QUEUE, streamWorkflowId } from '../../workflows/image-stream-model.js';
import { startFakeOpenStack, type FakeOpenStack } from '../fakes/openstack.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import { DAY, HOUR, imageFixture, type Fixture } from './image-stream-fixture.js';

let t: TestEnv;
let fx: Fixture;
let os: FakeOpenStack;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  t = await createTestEnv();
  os = await startFakeOpenStack();
  const cloud = createCloud({ authUrl: os.authUrl, credentials: { kind: 'password', username: 'admin', password: 'admin-secret' }, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10, timeoutMs: 2000 } });
  fx = await imageFixture({ glance: { cloud, cloudLabel: 'RegionOne' } });
  worker = await t.worker({ taskQueue: IMAGES_TASK_QUEUE, activities: fx.activities }, 'stratus');
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await t?.teardown();
  await fx?.close();
  await os?.close();
});

const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
const list = (h: WorkflowHandle) => h.query<BuildListEntry[]>('list');
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
async function sleepUntil(ms: number): Promise<void> {
  const now = await t.env.currentTimeMs();
  if (ms > now) await t.env.sleep(ms - now);
}
const glanceImages = (name: string) => [...os.images.values()].filter((i) => i.name === name);

it('uploads each published image once, names it on the page, deactivates it on revoke and shows the fallback', async () => {
  const settings = fx.settings('cloudy', { publishEveryMs: 30 * DAY, glance: { visibility: 'community', onRevoke: 'deactivate' } });
  const h = await t.env.client.workflow.start(imageStream, { workflowId: streamWorkflowId('cloudy'), taskQueue: IMAGES_TASK_QUEUE, args: [{ settings, events: false }] });
  const first = Date.parse((await h.query<{ nextNightly: string }>('status')).nextNightly);
  const id = (n: number) => `cloudy-${ymd(first + n * DAY)}.1`;
  await fx.setMode('cloudy', 'pass');

  await sleepUntil(first + HOUR);
  expect(await h.executeUpdate('publish')).toEqual({ published: id(0) });
  const [g0] = glanceImages(id(0));
  expect(g0).toMatchObject({ status: 'active', visibility: 'community', diskFormat: 'qcow2', checksum: md5(`disk-${id(0)}`), properties: { stratus_image_id: id(0), stratus_stream: 'cloudy' } });
  let feed = await fx.feed('cloudy');
  expect(feed.published).toMatchObject({ id: id(0), glanceImageId: g0.id, glanceCloud: 'RegionOne' });
  expect(await fx.page()).toContain(`<dt>Launch in OpenStack (RegionOne)</dt><dd>Glance image id <code>${g0.id}</code></dd>`);

  await sleepUntil(first + DAY + HOUR);
  expect(await h.executeUpdate('publish')).toEqual({ published: id(1) });
  const [g1] = glanceImages(id(1));
  expect(g1.status).toBe('active');
  expect((await list(h)).find((b) => b.id === id(1))?.glance).toEqual({ imageId: g1.id, cloud: 'RegionOne', withdrawn: null });

  const revoked = await h.executeUpdate<{ imageId: string; published: string | null }, [{ imageId: string; reason: string }]>('revoke', { args: [{ imageId: id(1), reason: 'kernel panic on boot' }] });
  expect(revoked).toMatchObject({ imageId: id(1), published: id(0) });
  expect(os.images.get(g1.id)?.status).toBe('deactivated');
  expect(os.images.get(g0.id)?.status).toBe('active');
  feed = await fx.feed('cloudy');
  expect(feed.published).toMatchObject({ id: id(0), glanceImageId: g0.id });
  const page = await fx.page();
  expect(page).toContain(`Glance image id <code>${g0.id}</code>`);
  expect(page).not.toContain(g1.id);
  expect((await list(h)).find((b) => b.id === id(1))?.glance).toEqual({ imageId: g1.id, cloud: 'RegionOne', withdrawn: 'deactivated' });
  // nothing was uploaded twice
  expect(glanceImages(id(0))).toHaveLength(1);
  expect(glanceImages(id(1))).toHaveLength(1);

  // Glance refuses the upload (policy): the image is still published, without a Glance id, and the record says why
  os.faults.failNext({ status: 403, count: 10, method: 'POST', path: /\/image\/v2\/images$/ });
  await sleepUntil(first + 2 * DAY + HOUR);
  expect(await h.executeUpdate('publish')).toEqual({ published: id(2) });
  os.faults.reset();
  feed = await fx.feed('cloudy');
  expect(feed.published).toMatchObject({ id: id(2), glanceImageId: null });
  const entry = (await list(h)).find((b) => b.id === id(2))!;
  expect(entry.glance).toBeUndefined();
  expect(entry.glanceProblem).toMatch(/^not uploaded to Glance: .*403/);
  await h.terminate();
}, 120_000);
