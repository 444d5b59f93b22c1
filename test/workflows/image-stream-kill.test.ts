// The image pipeline when a worker process dies with SIGKILL: once in the middle of a build (a real
// script that takes a few seconds and writes its artifacts), once in the middle of a publish (after
// the feed was written, before the page). A worker started from the same config takes over: the
// build is retried, the publish finishes, the site is consistent, and the tracker holds one issue
// with one comment. Short heartbeat/publish timeouts come from the stream settings.
import { type WorkflowHandle } from '@temporalio/client';
import { type Worker } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../../activities/index.js';
import { imageStreamSettings } from '../../config/images.js';
import { validateConfig } from '../../config/load.js';
import { buildActivityDeps } from '../../workers/activity-deps.js';
import { imageStream } from '../../workflows/image-stream.js';
import { type BuildListEntry, type StreamStatus, streamWorkflowId } from '../../workflows/image-stream-model.js';
import { type StreamFeed } from '../../workflows/image-types.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import { startWorkerChild, type WorkerChild } from '../support/worker-child.js';

const STREAM = 'killed';
const TASK_QUEUE = 'image-kill';
const REPO = 'fedora/atomic-images';
const TOKEN_ENV = 'STRATUS_TEST_IMAGE_GH_TOKEN';
const DAY = 86_400_000;

// Takes 3 s, notes each start (so a retry is visible), then fails or writes two artifacts.
const BUILD = `#!/bin/sh
touch "starts/$STRATUS_BUILD_ID.$$"
sleep 3
test "$(cat mode)" = pass || { echo "compose failed" >&2; exit 3; }
printf 'disk-%s' "$STRATUS_BUILD_ID" > "$STRATUS_OUTPUT_DIR/disk.qcow2"
printf 'iso-%s' "$STRATUS_BUILD_ID" > "$STRATUS_OUTPUT_DIR/boot.iso"
`;
const BOOT = '#!/bin/sh\ntest -f "$STRATUS_IMAGE_DIR/disk.qcow2"\n';

let t: TestEnv;
let gh: FakeGithub;
let root: string;
let project: string;
let siteDir: string;
let config: unknown;
const children: WorkerChild[] = [];
let worker: Worker | undefined;
let running: Promise<void> | undefined;

beforeAll(async () => {
  t = await createTestEnv();
  gh = await startFakeGithub({ tokens: { 'ghp-images': 'imagebot' }, repos: { [REPO]: { writers: ['imagebot'] } } });
  process.env[TOKEN_ENV] = 'ghp-images';
  root = await mkdtemp(join(tmpdir(), 'stratus-image-kill-'));
  project = join(root, 'project');
  siteDir = join(root, 'site');
  await mkdir(join(project, 'starts'), { recursive: true });
  for (const [file, body] of [['build.sh', BUILD], ['boot.sh', BOOT]] as const) {
    await writeFile(join(project, file), body);
    await chmod(join(project, file), 0o755);
  }
  // the nightly build is 12 h away: only the builds this test asks for run
  const nightlyAt = new Date(Date.now() + DAY / 2).toISOString().slice(11, 16);
  config = {
    release: { repos: [{ name: 'unused', url: join(root, 'unused.git'), target: 'master' }], github: { apiUrl: gh.url, tokenEnv: TOKEN_ENV } },
    images: {
      site: { outDir: siteDir, baseUrl: 'https://images.example.org' },
      workDir: join(root, 'work'),
      streams: [{
        name: STREAM, base: 'fedora-42', nightlyAt, build: { command: ['./build.sh'], timeout: '1h' },
        tests: [{ name: 'boot', command: ['./boot.sh'] }], tracker: { kind: 'github', repo: REPO },
      }],
    },
  };
});
afterAll(async () => {
  for (const c of children) await c.kill();
  worker?.shutdown();
  await running;
  await t?.teardown();
  await gh?.close();
  delete process.env[TOKEN_ENV];
  if (root) await rm(root, { recursive: true, force: true });
});

const child = async (extra: { stallSiteAfter?: 'writeFeed' } = {}): Promise<WorkerChild> => {
  const c = await startWorkerChild({ address: t.server?.address ?? '', taskQueue: TASK_QUEUE, config, baseDir: project, imageHeartbeatIntervalMs: 200, ...extra });
  children.push(c);
  return c;
};
const starts = async (imageId: string): Promise<number> => (await readdir(join(project, 'starts'))).filter((f) => f.startsWith(`${imageId}.`)).length;
const sha256 = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');

/** Polls `read` until `ok`, letting virtual time move on (retry back-offs) while nothing runs. */
async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await t.env.sleep(500);
  }
}
const build = (h: WorkflowHandle, id: string) => until(`build ${id}`, () => h.query<BuildListEntry[]>('list'), (l) => l.some((b) => b.id === id && b.status !== 'building'))
  .then((l) => l.find((b) => b.id === id)!);

test('a worker SIGKILLed during a build and during a publish: the build is retried, the site is whole, one tracker issue', async () => {
  const cfg = validateConfig(config);
  const settings = { ...imageStreamSettings(cfg.images!.streams[0]!), activityTimeouts: { heartbeatMs: 2000, publishMs: 3000 } };
  const first = await child();
  const h = await t.env.client.workflow.start(imageStream, { workflowId: streamWorkflowId(STREAM), taskQueue: TASK_QUEUE, args: [{ settings, events: false }] });

  // ── killed while a failing build runs: the next worker runs it again, one issue is filed
  await writeFile(join(project, 'mode'), 'fail');
  const { imageId: failing } = await h.executeUpdate<{ imageId: string }, [object]>('build', { args: [{}] });
  await until('the first build to start', () => starts(failing), (n) => n === 1);
  await first.kill();
  const second = await child({ stallSiteAfter: 'writeFeed' });
  const failed = await build(h, failing);
  expect(failed).toMatchObject({ status: 'failed', reason: 'build command exited with code 3', trackerUrl: expect.stringMatching(/^http/) });
  expect(await starts(failing)).toBe(2);

  // ── a passing build closes the issue
  await writeFile(join(project, 'mode'), 'pass');
  const { imageId: passing } = await h.executeUpdate<{ imageId: string }, [object]>('build', { args: [{}] });
  const passed = await build(h, passing);
  expect(passed.status).toBe('passed');
  expect(await starts(passing)).toBe(1);

  // ── killed between the writes of a publish (feed written, page not yet): the publish is retried
  const publishing = h.executeUpdate<{ published: string }, []>('publish');
  await second.waitFor('STALLED site.writeFeed');
  await second.kill();
  const deps = buildActivityDeps({ config: cfg, baseDir: project }, process.env);
  const activities = createActivities({ ...deps, images: { ...deps.images!, heartbeatIntervalMs: 200 } });
  worker = await t.worker({ taskQueue: TASK_QUEUE, activities, stickyQueueScheduleToStartTimeout: '1s' }, 'stratus');
  running = worker.run();
  const [published] = await Promise.all([publishing, until('the publish', () => h.query<StreamStatus>('status'), (s) => s.published?.id === passing)]);
  expect(published).toEqual({ published: passing });

  // the site is the new version throughout: feed, page and image dir agree, nothing half-written left
  const feed = JSON.parse(await readFile(join(siteDir, `${STREAM}.json`), 'utf8')) as StreamFeed;
  expect(feed).toMatchObject({ stream: STREAM, published: { id: passing }, stale: false, revoked: [], warning: null });
  expect(JSON.parse(await readFile(join(siteDir, STREAM, 'feed.json'), 'utf8'))).toEqual(feed);
  expect((await readdir(join(siteDir, STREAM))).sort()).toEqual([passing, 'feed.json'].sort());
  expect((await readdir(siteDir)).sort()).toEqual([`${STREAM}.json`, STREAM, 'index.html'].sort());
  const files = feed.published!.files;
  expect(files.map((f) => f.file).sort()).toEqual(['boot.iso', 'disk.qcow2']);
  for (const f of files) expect(await sha256(join(siteDir, f.path))).toBe(f.sha256);
  const page = await readFile(join(siteDir, 'index.html'), 'utf8');
  expect(page).toContain(passing);
  for (const f of files) expect(page).toContain(f.sha256);
  expect(page).not.toContain(failing);

  // one issue for the failed build, closed by the passing one with one comment
  const issues = gh.issues(REPO);
  expect(issues.map((i) => [i.state, i.labels])).toEqual([['closed', [`stratus-${STREAM}`]]]);
  expect(issues[0]!.body).toContain(`Image ${failing} (base fedora-42) failed: build command exited with code 3`);
  expect(gh.comments(REPO, issues[0]!.number).map((c) => c.body)).toEqual([expect.stringContaining(`Image ${passing} passed`)]);
  await h.terminate('test over');
}, 90_000);
