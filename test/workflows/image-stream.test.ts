// The image pipeline end to end on the embedded Temporal server with time skipping: real build and
// test scripts, the real site writer, the GitHub fake as tracker and a real webhook listener.
// Several publish cycles per stream: pass, manual fail, no pass (skip and rebuild-until-pass, stale
// banner), revoke of the published image with fallback, and the bad requests with their messages.
import { type WorkflowHandle } from '@temporalio/client';
import { type Worker } from '@temporalio/worker';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import { imageStream } from '../../workflows/image-stream.js';
import { type BuildListEntry, type StreamStatus, IMAGES_TASK_QUEUE, streamWorkflowId } from '../../workflows/image-stream-model.js';
import { DAY, HOUR, imageFixture, type Fixture } from './image-stream-fixture.js';

let t: TestEnv;
let fx: Fixture;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  t = await createTestEnv();
  fx = await imageFixture({ trackerStreams: ['atomic'], webhooks: true });
  worker = await t.worker({ taskQueue: IMAGES_TASK_QUEUE, activities: fx.activities }, 'stratus');
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await t?.teardown();
  await fx?.close();
});

const status = (h: WorkflowHandle) => h.query<StreamStatus>('status');
const list = (h: WorkflowHandle) => h.query<BuildListEntry[]>('list');
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
/** The update's failure message (updates rejected by a validator or failed by the handler). */
async function rejection(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (err: unknown) => err as Error);
  expect(e).toBeDefined();
  return (e as Error & { cause?: Error }).cause?.message ?? e!.message;
}
async function sleepUntil(ms: number): Promise<void> {
  const now = await t.env.currentTimeMs();
  if (ms > now) await t.env.sleep(ms - now);
}

it('runs publish cycles with the skip policy: pass, manual fail, no pass (stale), revoke with fallback', async () => {
  const start = await t.env.currentTimeMs();
  const settings = fx.settings('atomic', { publishEveryMs: 3 * DAY, build: { command: ['./build.sh'], timeoutMs: 1500, env: {} } });
  const h = await t.env.client.workflow.start(imageStream, {
    workflowId: streamWorkflowId('atomic'), taskQueue: IMAGES_TASK_QUEUE, args: [{ settings, events: true }],
  });
  const first = Date.parse((await status(h)).nextNightly);
  expect(first).toBeGreaterThan(start);
  expect(new Date(first).getUTCHours()).toBe(2);
  const night = (n: number) => first + n * DAY;
  const id = (n: number) => `atomic-${ymd(night(n))}.1`;
  const afterNight = (n: number) => sleepUntil(night(n) + HOUR);

  // ── cycle 1: pass, fail (tracker bug filed), pass (bug closed); the last pass is failed by hand
  await fx.setMode('atomic', 'pass');
  await afterNight(0);
  let builds = await list(h);
  expect(builds).toEqual([{
    id: id(0), stream: 'atomic', date: expect.stringMatching(`^${new Date(night(0)).toISOString().slice(0, 16)}`), status: 'passed', reason: null, trackerUrl: null,
    tests: [{ name: 'boot', passed: true, advisory: false }, { name: 'docs-links', passed: false, advisory: true }],
    artifacts: [
      { file: 'boot.iso', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: 3 + id(0).length + 1 },
      { file: 'disk.qcow2', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: 5 + id(0).length },
    ],
  }]);
  await fx.setMode('atomic', 'fail');
  await afterNight(1);
  await fx.setMode('atomic', 'pass');
  await afterNight(2);
  builds = await list(h);
  expect(builds.map((b) => [b.id, b.status])).toEqual([[id(0), 'passed'], [id(1), 'failed'], [id(2), 'passed']]);
  expect(builds[1].reason).toBe('build command exited with code 3');
  expect(builds[1].trackerUrl).toMatch(/^http/);
  expect(fx.bugs('atomic')).toEqual([{ open: false, body: expect.stringContaining(`Image ${id(1)} (base fedora-42) failed: build command exited with code 3`), comments: [expect.stringContaining(`Image ${id(2)} passed`)] }]);

  expect(await rejection(h.executeUpdate('revoke', { args: [{ imageId: id(0), reason: 'bad' }] })))
    .toBe(`imageId "${id(0)}" was never published (status passed); use fail instead of revoke`);
  const failed = await h.executeUpdate<BuildListEntry, [{ imageId: string; reason: string }]>('fail', { args: [{ imageId: id(2), reason: 'SELinux denials at boot' }] });
  expect(failed).toMatchObject({ id: id(2), status: 'failed-manually', reason: 'SELinux denials at boot' });
  expect(await rejection(h.executeUpdate('fail', { args: [{ imageId: id(2), reason: 'again' }] })))
    .toBe(`imageId "${id(2)}" has already failed: SELinux denials at boot`);
  expect(await rejection(h.executeUpdate('fail', { args: [{ imageId: 'atomic-19990101.1', reason: 'x' }] })))
    .toBe('imageId "atomic-19990101.1" is unknown in stream "atomic" (no such build is remembered)');
  expect(await rejection(h.executeUpdate('fail', { args: [{ imageId: '../etc', reason: 'x' }] })))
    .toMatch(/^imageId "\.\.\/etc" is not a valid image id/);
  expect((await list(h)).map((b) => b.status)).toEqual(['passed', 'failed', 'failed-manually']);

  // the cycle ends at night 3 (before its build): the newest passed image not failed by hand is night 0
  await fx.setMode('atomic', 'none');
  await afterNight(3);
  let feed = await fx.feed('atomic');
  expect(feed).toMatchObject({ stream: 'atomic', stale: false, revoked: [], warning: null, published: { id: id(0), status: 'published' } });
  expect(feed.published!.files.map((f) => [f.file, f.url])).toEqual([
    ['boot.iso', `https://images.example.org/atomic/${id(0)}/boot.iso`],
    ['disk.qcow2', `https://images.example.org/atomic/${id(0)}/disk.qcow2`],
  ]);
  let page = await fx.page();
  expect(page).toContain(`<code>${id(0)}</code>`);
  expect(page).not.toContain('Stale image');
  expect((await list(h)).find((b) => b.id === id(3))).toMatchObject({ status: 'failed', reason: 'the build command wrote no artifact into its output dir' });

  // ── cycle 2: nothing passes (no artifact, hang past the timeout, killed, blocking test fails)
  await fx.setMode('atomic', 'hang');
  await afterNight(4);
  await fx.setMode('atomic', 'pass', 'fail');
  await afterNight(5);
  builds = await list(h);
  expect(builds.find((b) => b.id === id(4))).toMatchObject({ status: 'failed', reason: 'build command timed out after 1500ms' });
  expect(builds.find((b) => b.id === id(5))).toMatchObject({
    status: 'failed', reason: 'blocking tests failed: boot',
    tests: [{ name: 'boot', passed: false, advisory: false }, { name: 'docs-links', passed: false, advisory: true }],
  });
  await fx.setMode('atomic', 'crash');
  await afterNight(6);
  const stale = await status(h);
  expect(stale).toMatchObject({ stale: true, published: { id: id(0) }, paused: false });
  expect(stale.trackerUrl).toMatch(/^http/);
  feed = await fx.feed('atomic');
  expect(feed).toMatchObject({ stale: true, published: { id: id(0) }, trackerUrl: stale.trackerUrl });
  expect(feed.warning).toContain(`${id(0)} (built ${new Date(night(0)).toISOString().slice(0, 10)}) is stale`);
  page = await fx.page();
  expect(page).toContain('Stale image');
  expect(page).toContain(`href="${stale.trackerUrl}"`);
  expect((await list(h)).find((b) => b.id === id(6))).toMatchObject({ status: 'failed', reason: 'build command was killed by SIGKILL' });

  // one bug for the failing streak (nights 3-6), one comment per further failure, no duplicates
  let bugs = fx.bugs('atomic');
  expect(bugs).toHaveLength(2);
  expect(bugs[1]).toMatchObject({ open: true, body: expect.stringContaining(id(3)) });
  expect(bugs[1].comments).toHaveLength(3);
  expect(bugs[1].comments.map((c) => /Image (\S+) /.exec(c)?.[1])).toEqual([id(4), id(5), id(6)]);

  // ── cycle 3: two passes; the newer one is published, then revoked: back to the older one
  await fx.setMode('atomic', 'pass');
  await afterNight(7);
  await afterNight(8);
  bugs = fx.bugs('atomic');
  expect(bugs.map((b) => b.open)).toEqual([false, false]);
  await fx.setMode('atomic', 'fail');
  await afterNight(9);
  expect(await status(h)).toMatchObject({ stale: false, published: { id: id(8) }, trackerUrl: expect.stringMatching(/^http/) });
  expect(fx.bugs('atomic')).toHaveLength(3);

  const revoked = await h.executeUpdate<{ imageId: string; published: string | null; warning: string }, [{ imageId: string; reason: string }]>(
    'revoke', { args: [{ imageId: id(8), reason: 'CVE-2025-0001 in the kernel' }] });
  expect(revoked).toEqual({
    imageId: id(8), published: id(7),
    warning: `The previous image ${id(8)} was revoked (CVE-2025-0001 in the kernel); showing the earlier good image ${id(7)} (built ${new Date(night(7)).toISOString().slice(0, 10)}).`,
  });
  feed = await fx.feed('atomic');
  expect(feed).toMatchObject({ published: { id: id(7) }, revoked: [id(8)], revokedNotice: { imageId: id(8), reason: 'CVE-2025-0001 in the kernel' } });
  page = await fx.page();
  expect(page).toContain('Previous image was revoked');
  expect(page).toContain(`<code>${id(7)}</code>`);
  expect(await rejection(h.executeUpdate('revoke', { args: [{ imageId: id(8), reason: 'again' }] }))).toBe(`imageId "${id(8)}" is already revoked`);
  expect((await list(h)).find((b) => b.id === id(8))?.status).toBe('revoked');

  // pause: no publish, no builds; resume
  expect(await h.executeUpdate('pause', { args: [] })).toEqual({ paused: true, changed: true });
  const before = await status(h);
  expect(await rejection(h.executeUpdate('publish', { args: [] }))).toBe('stream "atomic" is paused; resume it before you publish');
  expect(await rejection(h.executeUpdate('build', { args: [{}] }))).toBe('stream "atomic" is paused; resume it before you build');
  expect(await status(h)).toEqual(before);
  expect(await h.executeUpdate('resume', { args: [] })).toEqual({ paused: false, changed: true });
  expect(await rejection(h.executeUpdate('publish', { args: [] }))).toMatch(/^no image of stream "atomic" passed since the last publish \(\d{4}-\d\d-\d\d\); nothing to publish$/);

  // events: every state change once, as CloudEvents 1.0, unique ids
  const types = fx.received.map((e) => e.type as string);
  expect(new Set(fx.received.map((e) => e.id)).size).toBe(fx.received.length);
  expect(types.filter((x) => x === 'org.stratus.image.build.started')).toHaveLength(10);
  expect(types.filter((x) => x === 'org.stratus.image.build.passed')).toHaveLength(4);
  expect(types).toEqual(expect.arrayContaining([
    'org.stratus.image.failed-manually', 'org.stratus.image.published', 'org.stratus.image.stream.stale', 'org.stratus.image.revoked',
    'org.stratus.image.stream.paused', 'org.stratus.image.stream.resumed', 'org.stratus.image.build.failed',
  ]));
  const revokedEvent = fx.received.find((e) => e.type === 'org.stratus.image.revoked')!;
  expect(revokedEvent).toMatchObject({
    specversion: '1.0', source: '/stratus/image-stream/atomic', subject: id(8), datacontenttype: 'application/json',
    contentType: 'application/cloudevents+json; charset=utf-8', data: { stream: 'atomic', imageId: id(8), published: id(7) },
  });
  expect(Date.parse(revokedEvent.time as string)).toBeGreaterThan(night(9));
});

it('rebuild-until-pass publishes the first image that passes after a cycle without one', async () => {
  const settings = fx.settings('rolling', { publishEveryMs: 2 * DAY, onNoPass: 'rebuild-until-pass' });
  const h = await t.env.client.workflow.start(imageStream, {
    workflowId: streamWorkflowId('rolling'), taskQueue: IMAGES_TASK_QUEUE, args: [{ settings, events: false }],
  });
  const first = Date.parse((await status(h)).nextNightly);
  const night = (n: number) => first + n * DAY;
  const id = (n: number) => `rolling-${ymd(night(n))}.1`;
  await fx.setMode('rolling', 'fail');
  await sleepUntil(night(2) + HOUR);
  let s = await status(h);
  expect(s).toMatchObject({ published: null, stale: false, rebuildUntilPass: true, trackerUrl: null });
  let feed = await fx.feed('rolling');
  expect(feed.published).toBeNull();
  expect(feed.warning).toMatch(/^No rolling image has passed its tests yet \(as of \d{4}-\d\d-\d\d\)\. Rebuilding nightly until an image passes\.$/);
  expect(await fx.page()).toContain('No image of this stream is available yet.');

  // a manual build (what CI runs) that passes is published at once, long before the next cycle
  await fx.setMode('rolling', 'pass');
  const { imageId } = await h.executeUpdate<{ imageId: string }, [{ ref?: string }]>('build', { args: [{ ref: 'refs/heads/main' }] });
  expect(imageId).toBe(`rolling-${ymd(night(2))}.2`);
  expect(await rejection(h.executeUpdate('build', { args: [{ ref: '../../etc' }] })))
    .toBe('ref "../../etc" is not a valid ref (letters, digits, ".", "_", "/" and "-", no "..")');
  for (let i = 0; i < 100 && (await status(h)).published === null; i++) await new Promise((r) => setTimeout(r, 100));
  s = await status(h);
  expect(s).toMatchObject({ published: { id: imageId }, stale: false, rebuildUntilPass: false, lastPublishAt: expect.any(String) });
  expect(Date.parse(s.lastPublishAt!)).toBeLessThan(night(3));
  feed = await fx.feed('rolling');
  expect(feed).toMatchObject({ published: { id: imageId }, stale: false, warning: null });

  // the next cycle: nothing newer passed, so the same image stays, marked stale
  await fx.setMode('rolling', 'fail');
  await sleepUntil(night(4) + HOUR);
  expect(await status(h)).toMatchObject({ published: { id: imageId }, stale: true, rebuildUntilPass: true });
  expect((await list(h)).map((b) => b.id)).toEqual([id(0), id(1), id(2), imageId, id(3), id(4)]);
  expect(await fx.page()).toContain('Stale image');
});
