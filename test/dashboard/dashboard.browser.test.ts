// The dashboard in a real browser (Debian's chromium via playwright-core) against a running stack:
// the embedded server, real workers with the real activities built from the first-run demo config
// (bare git origins, build/test scripts, the simulated OpenStack cloud and the local mailbox),
// release train v1, one image build, the demo's lifecycle plan and its sweep waiting for approval.
// Operators act with their own tokens and the audit view names them. Saves screenshots
// under .stratus/test-artifacts/ (git-ignored); STRATUS_UPDATE_SCREENSHOTS=1 writes the README's
// copies in docs/screenshots/ instead, so a plain test run never rewrites tracked files.
import { Client, Connection } from '@temporalio/client';
import { type Browser, type Page } from 'playwright-core';
import { contrastRatio, launchChromium } from '../support/browser.js';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createActivities } from '../../activities/index.js';
import { DEMO_CLOUD_SECRET_ENV } from '../../cli/demo-cloud.js';
import { type Demo, DEMO_IDENTITY, DEMO_STREAM, prepareDemo, startDemo, startDemoLifecycle } from '../../cli/demo.js';
import { Output } from '../../cli/output.js';
import { type LoadedConfig } from '../../config/load.js';
import { hashToken, parseOperators } from '../../dashboard/auth.js';
import { startDashboard } from '../../dashboard/server.js';
import { buildActivityDeps } from '../../workers/activity-deps.js';
import { startImageStreams } from '../../workers/image-streams.js';
import { type BuildListEntry, IMAGE_STREAM } from '../../workflows/image-stream-model.js';
import { type SweepReport } from '../../workflows/lifecycle-sweep-types.js';
import { type TrainStatus } from '../../workflows/release-train-types.js';
import { tempDir } from '../support/git-repos.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';

const TOKEN = 'test-operator-token-0123456789';
const BOB_TOKEN = 'bob-operator-token-9876543210';
const operators = parseOperators(`alice: ${hashToken(TOKEN)}\nbob: ${hashToken(BOB_TOKEN)}`, 'test');
let t: TestEnv;
let dir: Awaited<ReturnType<typeof tempDir>>;
let loaded: LoadedConfig;
let demo: Demo;
let sweepId: string;
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
const sweep = () => t.env.client.workflow.getHandle(sweepId).query<SweepReport>('status');
const builds = () => t.env.client.workflow.getHandle(`image-stream-${DEMO_STREAM}`).query<BuildListEntry[]>(IMAGE_STREAM.listQuery);

beforeAll(async () => {
  dir = await tempDir('stratus-dashboard-');
  const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: dir.path };
  const fallback = { config: {}, file: '', found: false, baseDir: dir.path } as unknown as LoadedConfig;
  demo = await prepareDemo(io, new Output(io, true), fallback);
  loaded = demo.loaded;
  expect(loaded.found).toBe(true);
  expect(demo.cloud).toBeDefined();
  t = await createTestEnv();
  const activities = createActivities(buildActivityDeps(loaded, { [DEMO_CLOUD_SECRET_ENV]: demo.cloud!.secret }));
  const workers = await Promise.all(['stratus-release', 'stratus-images', 'stratus-lifecycle'].map((taskQueue) =>
    t.worker({ taskQueue, activities, stickyQueueScheduleToStartTimeout: '1s', shutdownGraceTime: '1s' }, 'stratus')));
  const runs = workers.map((w) => w.run());
  stopWorkers = async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.all(runs);
  };
  // a plain client, as `stratus dev` uses: waiting for the plan must not skip time (the sweep's approval timeout)
  const plain = new Client({ connection: t.env.client.connection as Connection, namespace: 'default', identity: DEMO_IDENTITY });
  await startDemoLifecycle(plain, demo);
  await startImageStreams(t.env.client, loaded.config);
  const started = await startDemo(plain, loaded);
  expect(started.plan).toMatch(/^lifecycle-plan-/);
  sweepId = started.sweep!;
  const connection = t.env.client.connection as Connection;
  const a = await startDashboard({ connection, namespace: 'default', temporalAddress: 'test', operators, mailbox: demo.cloud!.mailbox, host: '127.0.0.1', port: 0, siteDir: resolve(dir.path, '.stratus/demo/site') });
  const b = await startDashboard({ connection, namespace: 'default', temporalAddress: 'test', mailbox: demo.cloud!.mailbox, host: '127.0.0.1', port: 0 });
  dashboards.push(a, b);
  withToken = a.url;
  readOnly = b.url;
  await mkdir(shots, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await until(async () => ((await builds()).some((x) => x.status === 'passed') ? true : undefined), 'the demo build to pass');
  await until(async () => ((await trainStatus()).stage === 'cycle' ? true : undefined), 'train v1 to reach its cycle');
  await until(async () => ((await sweep()).status === 'awaiting-approval' ? true : undefined), 'the demo sweep to wait for approval');
});
afterAll(async () => {
  await browser?.close();
  for (const d of dashboards) await d.close();
  await lazyConnection?.close().catch(() => undefined);
  await stopWorkers?.();
  await t?.teardown();
  await demo?.cloud?.close();
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
    expect(await wrong.json()).toEqual({ ok: false, error: 'this operator token is not known to the dashboard' });
    const viaReadOnly = await fetch(`${readOnly}/api/releases/1/advance`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(viaReadOnly.status).toBe(403);
    expect((await fetch(`${withToken}/api/releases/1/advance`)).status).toBe(404); // never GET
    expect((await trainStatus()).phase?.name).toBe('Sprint 1');

    // the button in the browser with a wrong token: refused, nothing changes
    await page.goto(`${withToken}/releases`);
    await page.fill('#operator-token', 'wrong-token-value');
    await page.dispatchEvent('#operator-token', 'change');
    expect(await page.locator('#operator-name').count()).toBe(0); // no free-text name: the token says who
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
    await page.screenshot({ path: `${shots}/demo-releases.png`, fullPage: true });
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
    await page.screenshot({ path: `${shots}/demo-images.png`, fullPage: true });

    // revoke needs a reason; with the token it goes through and names the operator
    await page.fill('#operator-token', BOB_TOKEN);
    await page.dispatchEvent('#operator-token', 'change');
    await page.locator(`form.action input[name=reason]`).fill('<script>alert(1)</script> bad checksum');
    const revokeReloaded = page.waitForEvent('load'); // the page reloads itself after a successful action
    await page.getByRole('button', { name: `Revoke ${imageId}` }).click();
    const said = await until(async () => (await page.locator('#action-result').textContent()) || undefined, 'the answer');
    expect(said).toBe(`Done: ${imageId} revoked; published now: none`);
    await until(async () => ((await builds()).some((b) => b.status === 'revoked') ? true : undefined), 'the revocation');
    await revokeReloaded;
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

  it('lifecycle: the demo plan with reasons and dates, the warnings in the mailbox, a sweep waiting for approval', async () => {
    await page.goto(`${readOnly}/lifecycle`);
    const waiting = page.locator(`section[aria-labelledby="run-${sweepId}"]`);
    expect(await waiting.locator('.banner h3').textContent()).toBe('Waiting for approval');
    expect(await waiting.locator('.sweep-status').textContent()).toBe('awaiting-approval');
    expect(await waiting.locator('form.action').count()).toBe(0); // read-only: no button
    const plan = page.locator('section[aria-labelledby="lc-plan"] tbody tr');
    expect(await plan.count()).toBeGreaterThanOrEqual(20);
    const rows = (await plan.allTextContents()).join('\n');
    expect(rows).toMatch(/shelve\s*server old-reduction/);
    expect(rows).toContain('stopped since');
    expect(rows).toContain('allocation of project');
    expect(rows).toContain('ubuntu 18.04, end of life on');
    expect(await page.locator('main').textContent()).not.toMatch(/at .*\.js:\d+/);
    await accessible();
    await page.screenshot({ path: `${shots}/demo-lifecycle-plan.png`, fullPage: true });

    await page.goto(`${readOnly}/mailbox`);
    const mails = page.locator('article.mail');
    expect(await mails.count()).toBeGreaterThanOrEqual(10);
    expect((await mails.locator('h2').allTextContents()).some((h) => /^\[Demo Cloud \(simulated\)\] .* will be shelved on or after/.test(h))).toBe(true);
    expect(await page.locator('main .banner.notice').first().textContent()).toContain('Demo mailbox');
    await accessible();
    await page.screenshot({ path: `${shots}/mailbox.png`, fullPage: false });

    const bad = await fetch(`${withToken}/api/lifecycle/sweeps/..%2Fetc/approve`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^sweepId: .* is not a sweep id/);
    const missing = await fetch(`${withToken}/api/lifecycle/sweeps/lifecycle-sweep-20250101/approve`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ ok: false, error: 'sweep lifecycle-sweep-20250101 is not running' });
  });

  it('lifecycle: a forged or missing token changes nothing; alice approves the sweep with hers and the audit names her', async () => {
    const approve = `${withToken}/api/lifecycle/sweeps/${sweepId}/approve`;
    expect((await fetch(approve, { method: 'POST' })).status).toBe(401);
    expect((await fetch(approve, { method: 'POST', headers: { authorization: 'Bearer forged-token-1234567890' } })).status).toBe(403);
    expect((await fetch(approve, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`.slice(0, -1) } })).status).toBe(403);
    // a header naming someone else does not matter: the token says who acts
    expect((await fetch(approve, { method: 'POST', headers: { 'x-stratus-operator': 'mallory' } })).status).toBe(401);
    expect((await sweep()).status).toBe('awaiting-approval');

    await page.goto(`${withToken}/lifecycle`);
    await page.screenshot({ path: `${shots}/lifecycle-demo.png`, fullPage: false });
    await page.fill('#operator-token', 'forged-token-1234567890');
    await page.dispatchEvent('#operator-token', 'change');
    await page.getByRole('button', { name: `Approve ${sweepId}` }).click();
    await until(async () => ((await page.locator('#action-result').textContent())?.includes('Refused (403)') ? true : undefined), 'the refusal');
    expect((await sweep()).status).toBe('awaiting-approval');

    await page.fill('#operator-token', TOKEN);
    await page.dispatchEvent('#operator-token', 'change');
    // the page reloads itself 800 ms after a successful action: wait for that before navigating again
    const reloaded = page.waitForEvent('load');
    await page.getByRole('button', { name: `Approve ${sweepId}` }).click();
    const said = await until(async () => ((await page.locator('#action-result').textContent()) || '').startsWith('Done') ? page.locator('#action-result').textContent() : undefined, 'the answer');
    expect(said).toBe(`Done: ${sweepId} approved by dashboard:alice`);
    const done = await until(async () => { const r = await sweep(); return r.status === 'completed' ? r : undefined; }, 'the sweep to act');
    expect(done.approvedBy).toBe('dashboard:alice');
    expect(done.actions.filter((a) => a.action === 'shelve' && a.outcome === 'done').map((a) => a.resource.name).sort())
      .toEqual(['course-2024', 'old-reduction', 'scratch', 'summer-intern', 'test-vm', 'tmp-convert']);

    // an exemption from the dashboard, as bob
    await reloaded;
    await page.goto(`${withToken}/lifecycle`);
    await page.fill('#operator-token', BOB_TOKEN);
    await page.dispatchEvent('#operator-token', 'change');
    const form = page.locator('form.action[action="/api/lifecycle/exempt"]');
    await form.locator('input[name=resourceId]').fill('p-geo');
    await form.locator('input[name=until]').fill('2099-12-31');
    await form.locator('input[name=reason]').fill('field season data');
    const exemptReloaded = page.waitForEvent('load');
    await form.getByRole('button', { name: 'Exempt' }).click();
    expect(await until(async () => (await page.locator('#action-result').textContent()) || undefined, 'the answer')).toBe('Done: p-geo is exempt until 2099-12-31');

    await exemptReloaded;
    await page.goto(`${readOnly}/audit/lifecycle`);
    const audit = page.locator('table.audit tbody tr');
    const lines = (await audit.evaluateAll((trs) => trs.map((tr) => (tr as unknown as { innerText: string }).innerText.replace(/\s+/g, ' ')))).join('\n');
    expect(lines).toMatch(/dashboard:alice update approve on lifecycle-sweep-[0-9-]+ .*"by":"dashboard:alice".* completed/);
    expect(lines).toMatch(/dashboard:bob update exempt .*"resourceId":"p-geo".* completed/);
    expect(lines).toContain(`${DEMO_IDENTITY} update sweepNow`);
    expect(lines).not.toContain(TOKEN);
    await accessible();
    await page.screenshot({ path: `${shots}/audit.png`, fullPage: false });
    const api = (await (await fetch(`${readOnly}/api/audit/release-v1`)).json()) as { entries: Array<{ name: string; who: string }> };
    expect(api.entries.map((e) => `${e.name} by ${e.who}`)).toContain('advance by dashboard:alice');
    expect((await fetch(`${readOnly}/audit/no-such-workflow`)).status).toBe(404);
    expect((await fetch(`${readOnly}/api/audit/${encodeURIComponent('<script>')}`)).status).toBe(400);
  });

  it('JSON endpoints carry the same data', async () => {
    const releases = (await (await fetch(`${readOnly}/api/releases`)).json()) as { temporal: string; trains: Array<{ workflowId: string; status: TrainStatus }> };
    expect(releases.temporal).toBe('ok');
    expect(releases.trains.map((x) => [x.workflowId, x.status.phase?.name])).toEqual([['release-v1', 'Sprint 2']]);
    const images = (await (await fetch(`${readOnly}/api/images`)).json()) as { streams: Array<{ stream: string; builds: unknown[] }> };
    expect(images.streams.map((s) => s.stream)).toEqual([DEMO_STREAM]);
    const lifecycle = (await (await fetch(`${readOnly}/api/lifecycle`)).json()) as { status: { exemptions: Array<{ id: string }> } };
    expect(lifecycle.status.exemptions.map((e) => e.id)).toEqual(['p-geo']);
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
