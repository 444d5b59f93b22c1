// The dashboard in a real browser (Debian's chromium via playwright-core) against a running stack:
// the embedded server, a real worker with the real activities built from the first-run demo config
// (bare git origins, build/test scripts), release train v1 and one image build. Saves screenshots
// under .stratus/test-artifacts/ (git-ignored); STRATUS_UPDATE_SCREENSHOTS=1 writes the README's
// copies in docs/screenshots/ instead, so a plain test run never rewrites tracked files.
import { Connection } from '@temporalio/client';
import { type Browser, type Page } from 'playwright-core';
import { contrastRatio, launchChromium } from '../support/browser.js';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createActivities } from '../../activities/index.js';
import { DEMO_STREAM, prepareDemo, startDemo } from '../../cli/demo.js';
import { Output } from '../../cli/output.js';
import { type LoadedConfig } from '../../config/load.js';
import { hashToken, parseOperators } from '../../dashboard/auth.js';
import { startDashboard } from '../../dashboard/server.js';
import { buildActivityDeps } from '../../workers/activity-deps.js';
import { startImageStreams } from '../../workers/image-streams.js';
import { type BuildListEntry, IMAGE_STREAM } from '../../workflows/image-stream-model.js';
import { type TrainStatus } from '../../workflows/release-train-types.js';
import { tempDir } from '../support/git-repos.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';

const TOKEN = 'test-operator-token-0123456789';
const BOB_TOKEN = 'bob-operator-token-9876543210';
const operators = parseOperators(`alice: ${hashToken(TOKEN)}\nbob: ${hashToken(BOB_TOKEN)}`, 'test');
let t: TestEnv;
let dir: Awaited<ReturnType<typeof tempDir>>;
let loaded: LoadedConfig;
let stopWorkers: () => Promise<void>;
let browser: Browser;
let page: Page;
const dashboards: Array<{ url: string; close(): Promise<void> }> = [];
let withToken: string;
let readOnly: string;
let lazyConnection: Connection;
const shots = resolve(process.env.STRATUS_UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : '.stratus/test-artifacts');

async function until<T>(fn: () => Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const trainStatus = () => t.env.client.workflow.getHandle('release-v1').query<TrainStatus>('status');
const builds = () => t.env.client.workflow.getHandle(`image-stream-${DEMO_STREAM}`).query<BuildListEntry[]>(IMAGE_STREAM.listQuery);

beforeAll(async () => {
  dir = await tempDir('stratus-dashboard-');
  const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: dir.path };
  const fallback = { config: {}, file: '', found: false, baseDir: dir.path } as unknown as LoadedConfig;
  loaded = await prepareDemo(io, new Output(io, true), fallback);
  expect(loaded.found).toBe(true);
  t = await createTestEnv();
  const activities = createActivities(buildActivityDeps(loaded, {}));
  const workers = await Promise.all(['stratus-release', 'stratus-images'].map((taskQueue) =>
    t.worker({ taskQueue, activities, stickyQueueScheduleToStartTimeout: '1s', shutdownGraceTime: '1s' }, 'stratus')));
  const runs = workers.map((w) => w.run());
  stopWorkers = async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.all(runs);
  };
  await startImageStreams(t.env.client, loaded.config);
  await startDemo(t.env.client, loaded);
  const connection = t.env.client.connection as Connection;
  const a = await startDashboard({ connection, namespace: 'default', temporalAddress: 'test', operators, host: '127.0.0.1', port: 0, siteDir: resolve(dir.path, '.stratus/demo/site') });
  const b = await startDashboard({ connection, namespace: 'default', temporalAddress: 'test', host: '127.0.0.1', port: 0 });
  dashboards.push(a, b);
  withToken = a.url;
  readOnly = b.url;
  await mkdir(shots, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await until(async () => ((await builds()).some((x) => x.status === 'passed') ? true : undefined), 'the demo build to pass');
  await until(async () => ((await trainStatus()).stage === 'cycle' ? true : undefined), 'train v1 to reach its cycle');
});
afterAll(async () => {
  await browser?.close();
  for (const d of dashboards) await d.close();
  await lazyConnection?.close().catch(() => undefined);
  await stopWorkers?.();
  await t?.teardown();
  await dir?.cleanup();
});


async function bannerContrast(selector: string): Promise<number> {
  type Win = { getComputedStyle(el: unknown): { color: string; backgroundColor: string } };
  const c = await page.locator(selector).first().evaluate((el) => {
    const style = (globalThis as unknown as Win).getComputedStyle(el);
    return { color: style.color, background: style.backgroundColor };
  });
  return contrastRatio(c.color, c.background);
}

/** Landmarks and labels every page must have. */
async function accessible(): Promise<void> {
  expect(await page.locator('main').count()).toBe(1);
  expect(await page.locator('nav[aria-label]').count()).toBeGreaterThanOrEqual(1);
  expect(await page.locator('html').getAttribute('lang')).toBe('en');
  const unlabelled = await page.locator('input:not([type=hidden])').evaluateAll((els) =>
    els.filter((e) => {
      const id = (e as unknown as { id: string }).id;
      const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
      return !id || !doc.querySelector(`label[for="${id}"]`);
    }).length);
  expect(unlabelled).toBe(0);
}

describe('dashboard in a browser', () => {
  it('releases: the train with its timeline, phase and wait; advancing needs the token and records who asked', async () => {
    await page.goto(`${readOnly}/releases`);
    const section = page.locator('#train-release-v1');
    await expect(section.locator('h2').textContent()).resolves.toMatch(/^v1 /);
    expect(await section.locator('.timeline .phase').allTextContents()).toEqual(['Sprint 1', 'Sprint 2', 'Release']);
    expect(await section.locator('.timeline .today').count()).toBe(1);
    expect(await section.locator('.phase-now').textContent()).toMatch(/^Sprint 1 \(bugs\) until/);
    expect(await section.locator('table caption').textContent()).toBe('Repositories and tags of v1');
    expect(await section.locator('tbody th').allTextContents()).toEqual(['atmosphere', 'clank']);
    expect(await page.locator('form.action').count()).toBe(0); // read-only: no buttons
    await accessible();

    // a forged POST without the token (what a CSRF attack sends) and a wrong token change nothing
    const forged = await fetch(`${withToken}/api/releases/1/advance`, { method: 'POST' });
    expect(forged.status).toBe(401);
    const wrong = await fetch(`${withToken}/api/releases/1/advance`, { method: 'POST', headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({ ok: false, error: 'the operator token is wrong' });
    const viaReadOnly = await fetch(`${readOnly}/api/releases/1/advance`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(viaReadOnly.status).toBe(403);
    expect((await fetch(`${withToken}/api/releases/1/advance`)).status).toBe(404); // never GET
    expect((await trainStatus()).phase?.name).toBe('Sprint 1');

    // the button in the browser with a wrong token: refused, nothing changes
    await page.goto(`${withToken}/releases`);
    await page.fill('#operator-token', 'wrong-token-value');
    await page.dispatchEvent('#operator-token', 'change');
    await page.fill('#operator-name', 'alice');
    await page.dispatchEvent('#operator-name', 'change');
    await page.getByRole('button', { name: 'Advance v1' }).click();
    await expect(until(async () => ((await page.locator('#action-result').textContent())?.includes('Refused (403)') ? true : undefined), 'the refusal')).resolves.toBe(true);
    expect((await trainStatus()).phase?.name).toBe('Sprint 1');

    // with the token: the train moves to Sprint 2 and the history says who asked
    await page.fill('#operator-token', TOKEN);
    await page.dispatchEvent('#operator-token', 'change');
    await page.getByRole('button', { name: 'Advance v1' }).click();
    await until(async () => ((await trainStatus()).phase?.name === 'Sprint 2' ? true : undefined), 'Sprint 2');
    await page.waitForLoadState('load');
    await until(async () => ((await page.locator('#train-release-v1 .phase-now').textContent())?.startsWith('Sprint 2') ? true : undefined), 'the page to show Sprint 2');
    const history = await t.env.client.workflow.getHandle('release-v1').fetchHistory();
    const identities = (history.events ?? []).flatMap((e) => {
      const req = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
      return req ? [`${req.input?.name}:${req.meta?.identity}`] : [];
    });
    expect(identities).toContain('advance:dashboard:alice');
    await page.screenshot({ path: `${shots}/releases.png`, fullPage: true });
  });

  it('images: the build matrix with pass and advisory fail, the published image, revoking it with the token', async () => {
    await t.env.client.workflow.getHandle(`image-stream-${DEMO_STREAM}`).executeUpdate(IMAGE_STREAM.publishUpdate, { args: [] });
    await page.goto(`${withToken}/images`);
    const section = page.locator(`#stream-${DEMO_STREAM}`);
    expect(await section.locator('table.matrix thead th').allTextContents()).toEqual(['Date', 'Image', 'Status', 'boot', 'lint', 'Why']);
    const row = section.locator('table.matrix tbody tr').first();
    expect(await row.locator('td.pass').first().textContent()).toBe('published');
    expect(await row.locator('td.warn').textContent()).toBe('advisory fail');
    const imageId = (await row.locator('th code').textContent())!;
    expect(await section.locator('h3').first().textContent()).toBe(`Published: ${imageId}`);
    expect(await section.locator('code.sha').first().textContent()).toMatch(/^[0-9a-f]{64}$/);
    await accessible();
    await page.screenshot({ path: `${shots}/images.png`, fullPage: true });

    // revoke needs a reason; with the token it goes through and names the operator
    await page.fill('#operator-token', TOKEN);
    await page.dispatchEvent('#operator-token', 'change');
    await page.fill('#operator-name', 'bob');
    await page.dispatchEvent('#operator-name', 'change');
    await page.locator(`form.action input[name=reason]`).fill('<script>alert(1)</script> bad checksum');
    await page.getByRole('button', { name: `Revoke ${imageId}` }).click();
    const said = await until(async () => (await page.locator('#action-result').textContent()) || undefined, 'the answer');
    expect(said).toBe(`Done: ${imageId} revoked; published now: none`);
    await until(async () => ((await builds()).some((b) => b.status === 'revoked') ? true : undefined), 'the revocation');
    await page.goto(`${withToken}/images`);
    const banner = page.locator('.banner.revoked');
    expect(await banner.textContent()).toContain('<script>alert(1)</script> bad checksum (by dashboard:bob)');
    expect(await page.locator('main script').count()).toBe(0); // escaped, not run
    expect(await bannerContrast('.banner.revoked')).toBeGreaterThanOrEqual(4.5);
    await page.screenshot({ path: `${shots}/images-revoked.png`, fullPage: true });

    // the public download page is served at /site/ with the same notice
    await page.goto(`${readOnly}/site/`);
    expect(await page.locator('.banner.revoked h3').textContent()).toBe('Previous image was revoked');
  });

  it('lifecycle: says the workflow is not running, no stack trace; bad sweep ids are refused by name', async () => {
    await page.goto(`${readOnly}/lifecycle`);
    expect(await page.locator('main .banner.notice').first().textContent()).toContain('the lifecycle workflow (lifecycle) is not running');
    expect(await page.locator('main').textContent()).not.toMatch(/at .*\.js:\d+/);
    expect(await bannerContrast('.banner.notice')).toBeGreaterThanOrEqual(4.5);
    await accessible();
    await page.screenshot({ path: `${shots}/lifecycle.png`, fullPage: true });
    const bad = await fetch(`${withToken}/api/lifecycle/sweeps/..%2Fetc/approve`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^sweepId: .* is not a sweep id/);
    const missing = await fetch(`${withToken}/api/lifecycle/sweeps/lifecycle-sweep-20250101/approve`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ ok: false, error: 'sweep lifecycle-sweep-20250101 is not running' });
  });

  it('JSON endpoints carry the same data', async () => {
    const releases = (await (await fetch(`${readOnly}/api/releases`)).json()) as { temporal: string; trains: Array<{ workflowId: string; status: TrainStatus }> };
    expect(releases.temporal).toBe('ok');
    expect(releases.trains.map((x) => [x.workflowId, x.status.phase?.name])).toEqual([['release-v1', 'Sprint 2']]);
    const images = (await (await fetch(`${readOnly}/api/images`)).json()) as { streams: Array<{ stream: string; builds: unknown[] }> };
    expect(images.streams.map((s) => s.stream)).toEqual([DEMO_STREAM]);
    const lifecycle = (await (await fetch(`${readOnly}/api/lifecycle`)).json()) as { status: unknown; problem: string };
    expect(lifecycle.status).toBeNull();
  });

  it('Temporal unreachable: keeps serving and says so', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    lazyConnection = Connection.lazy({ address: `127.0.0.1:${port}` });
    const d = await startDashboard({ connection: lazyConnection, namespace: 'default', temporalAddress: `127.0.0.1:${port}`, host: '127.0.0.1', port: 0, deadlineMs: 1000 });
    dashboards.push(d);
    const started = Date.now();
    for (const path of ['/releases', '/lifecycle']) {
      const res = await fetch(`${d.url}${path}`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('<h2>Temporal unreachable</h2>');
      expect(html).toContain(`127.0.0.1:${port}`);
    }
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(((await (await fetch(`${d.url}/api/releases`)).json()) as { temporal: string }).temporal).toBe('unreachable');
  });
});
