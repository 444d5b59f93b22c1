// A real image pipeline for workflow tests: build/test scripts in a temp project (their outcome is
// chosen per stream through mode files), a site dir, the image/tracker/webhook activities over the
// real adapters, a GitHub fake for the tracker bug and a local HTTP listener receiving CloudEvents.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../../activities/index.js';
import { createCommandRunner } from '../../clients/command-runner.js';
import { createGithubCodeHost } from '../../clients/github.js';
import { type Cloud } from '../../clients/openstack/index.js';
import { createSiteWriter } from '../../clients/site.js';
import { createGithubBugTracker, type BugTracker } from '../../clients/tracker.js';
import { createWebhookPoster } from '../../clients/webhooks.js';
import { type ImageStreamSettings, type StreamFeed } from '../../workflows/image-types.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';

export const TRACKER_REPO = 'fedora/atomic-images';
const TOKEN = 'ghp_image_bot';
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** What the build script does: pass, exit 3, get killed, hang past its timeout, or write nothing. */
export type BuildMode = 'pass' | 'fail' | 'crash' | 'hang' | 'none';

const BUILD = `#!/bin/sh
mode=$(cat "$STRATUS_STREAM.build" 2>/dev/null || echo pass)
echo "building $STRATUS_BUILD_ID ($mode)"
case "$mode" in
  pass) printf 'disk-%s' "$STRATUS_BUILD_ID" > "$STRATUS_OUTPUT_DIR/disk.qcow2"; printf 'iso-%s' "$STRATUS_BUILD_ID" > "$STRATUS_OUTPUT_DIR/boot.iso" ;;
  fail) echo "compose failed" >&2; exit 3 ;;
  crash) kill -KILL $$ ;;
  hang) sleep 30 ;;
  none) echo "nothing to write" ;;
esac
`;
const BOOT = `#!/bin/sh
mode=$(cat "$STRATUS_STREAM.tests" 2>/dev/null || echo pass)
test -f "$STRATUS_IMAGE_DIR/disk.qcow2" && test "$mode" = pass
`;
const LINKS = '#!/bin/sh\necho "dead link" >&2\nexit 1\n';

export interface Fixture {
  root: string;
  project: string;
  siteDir: string;
  gh: FakeGithub;
  /** CloudEvents received by the webhook listener, in arrival order. */
  received: Array<Record<string, unknown>>;
  webhookUrl: string;
  activities: ReturnType<typeof createActivities>;
  settings(name: string, over?: Partial<ImageStreamSettings>): ImageStreamSettings;
  setMode(stream: string, build: BuildMode, tests?: 'pass' | 'fail'): Promise<void>;
  feed(stream: string): Promise<StreamFeed>;
  page(): Promise<string>;
  /** Open/closed issues of the stream on the fake, with their comment bodies. */
  bugs(stream: string): Array<{ open: boolean; body: string; comments: string[] }>;
  close(): Promise<void>;
}

export async function imageFixture(options: { trackerStreams?: string[]; webhooks?: boolean; glance?: { cloud: Cloud; cloudLabel?: string } } = {}): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'stratus-image-stream-'));
  const project = join(root, 'project');
  const siteDir = join(root, 'site');
  await mkdir(join(project, 'tests'), { recursive: true });
  for (const [file, body] of [['build.sh', BUILD], ['tests/boot.sh', BOOT], ['tests/links.sh', LINKS]] as const) {
    await writeFile(join(project, file), body);
    await chmod(join(project, file), 0o755);
  }
  const gh = await startFakeGithub({ tokens: { [TOKEN]: 'imagebot' }, repos: { [TRACKER_REPO]: { writers: ['imagebot'] } } });
  const received: Array<Record<string, unknown>> = [];
  const listener: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => {
      received.push({ ...(JSON.parse(body) as Record<string, unknown>), contentType: req.headers['content-type'] });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const webhookUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/hooks/secret-token`;
  const codeHost = createGithubCodeHost({ token: TOKEN, baseUrl: gh.url, retryBaseDelayMs: 5, rateLimitSecondMs: 5, writeSpacingMs: 0 });
  const trackers: Record<string, BugTracker> = {};
  for (const s of options.trackerStreams ?? []) trackers[s] = createGithubBugTracker({ repo: TRACKER_REPO, codeHost });
  const activities = createActivities({
    images: {
      runner: createCommandRunner(),
      site: createSiteWriter({ siteDir }),
      workDir: join(root, 'work'),
      commandCwd: project,
      siteBaseUrl: 'https://images.example.org',
      heartbeatIntervalMs: 200,
    },
    ...(options.glance ? { imageGlance: { cloud: options.glance.cloud, workDir: join(root, 'work'), siteDir, cloudLabel: options.glance.cloudLabel } } : {}),
    trackers,
    webhooks: options.webhooks ? createWebhookPoster({ urls: [webhookUrl] }) : null,
  });
  return {
    root, project, siteDir, gh, received, webhookUrl, activities,
    settings: (name, over = {}) => ({
      name,
      baseRelease: 'fedora-42',
      nightlyAtMs: 2 * HOUR,
      publishEveryMs: 14 * DAY,
      onNoPass: 'skip',
      build: { command: ['./build.sh'], timeoutMs: 60_000, env: {} },
      tests: [
        { name: 'boot', command: ['./tests/boot.sh'], advisory: false, timeoutMs: 60_000 },
        { name: 'docs-links', command: ['./tests/links.sh'], advisory: true, timeoutMs: 60_000 },
      ],
      keepBuilds: 30,
      tracker: options.trackerStreams?.includes(name) ? { kind: 'github', repo: TRACKER_REPO } : null,
      glance: null,
      ...over,
    }),
    async setMode(stream, build, tests = 'pass') {
      await writeFile(join(project, `${stream}.build`), build);
      await writeFile(join(project, `${stream}.tests`), tests);
    },
    feed: async (stream) => JSON.parse(await readFile(join(siteDir, `${stream}.json`), 'utf8')) as StreamFeed,
    page: () => readFile(join(siteDir, 'index.html'), 'utf8'),
    bugs: (stream) => gh.issues(TRACKER_REPO).filter((i) => i.labels.includes(`stratus-${stream}`)).map((i) => ({
      open: i.state === 'open', body: i.body ?? '', comments: gh.comments(TRACKER_REPO, i.number).map((c) => c.body),
    })),
    async close() {
      await new Promise<void>((r) => listener.close(() => r()));
      await gh.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
