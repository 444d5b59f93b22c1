// The dashboard's pictures in a real browser (Debian's chromium via playwright-core): the three
// pages rendered from seeded data (test/dashboard/seed.ts) and served with a CSP stricter than the
// dashboard's (styles only by the stylesheet's hash), checked for their SVG counts, for no
// horizontal page overflow at 1280 px and 390 px, and for the contrast of the status colours.
// Screenshots go to .stratus/test-artifacts/; STRATUS_UPDATE_SCREENSHOTS=1 writes the README's
// copies in docs/screenshots/ instead.
import { type Browser, type Page } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { renderImagesPage } from '../../dashboard/images-page.js';
import { type PageContext, SCRIPT_CSP, STYLE_CSP } from '../../dashboard/layout.js';
import { renderLifecyclePage } from '../../dashboard/lifecycle-page.js';
import { renderReleasesPage } from '../../dashboard/releases-page.js';
import { dueCounts } from '../../dashboard/svg/due-chart.js';
import { contrastRatio, launchChromium } from '../support/browser.js';
import { SEED_NOW, seededImages, seededLifecycle, seededReleases } from './seed.js';

const update = process.env.STRATUS_UPDATE_SCREENSHOTS === '1';
const shots = resolve(update ? 'docs/screenshots' : '.stratus/test-artifacts');
const artifacts = resolve('.stratus/test-artifacts');
const shot = (name: string) => `${shots}/${update ? name : `pictures-${name}`}.png`;
/** Extra views (phone, a strip close up) are never the README's. */
const extra = (name: string) => `${artifacts}/pictures-${name}.png`;
const CSP = `default-src 'none'; style-src ${STYLE_CSP}; script-src ${SCRIPT_CSP}; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

let server: Server;
let base: string;
let browser: Browser;
let page: Page;
const violations: string[] = [];

beforeAll(async () => {
  const ctx: PageContext = { actions: false, now: SEED_NOW, temporalAddress: 'seeded' };
  const releases = seededReleases();
  const images = seededImages();
  const lifecycle = seededLifecycle();
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const render: Record<string, () => string> = {
      '/releases': () => renderReleasesPage(releases, ctx),
      '/images': () => renderImagesPage(images, ctx),
      '/lifecycle': () => renderLifecyclePage(lifecycle, ctx, Object.fromEntries(url.searchParams)),
    };
    const fn = render[url.pathname];
    if (!fn) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP }).end(fn());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await mkdir(shots, { recursive: true });
  await mkdir(artifacts, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
});
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

type Doc = { documentElement: { scrollWidth: number; clientWidth: number } };
/** Wider than the viewport means the page itself scrolls sideways (pictures and tables may scroll in their frames). */
const overflow = () => page.evaluate(() => {
  const d = (globalThis as unknown as { document: Doc }).document.documentElement;
  return d.scrollWidth - d.clientWidth;
});

async function at(width: number, path: string): Promise<void> {
  await page.setViewportSize({ width, height: 900 });
  await page.goto(`${base}${path}`);
}

async function contrastOf(selector: string): Promise<number> {
  type Win = { getComputedStyle(el: unknown): { color: string; backgroundColor: string; fill: string } };
  const c = await page.locator(selector).first().evaluate((el) => {
    const s = (globalThis as unknown as Win).getComputedStyle(el);
    return { color: s.color, background: s.backgroundColor };
  });
  return contrastRatio(c.color, c.background);
}

describe('dashboard pictures in a browser', () => {
  it('releases: a lane per train and the next one, dated bars, the planned span of the advanced phases, tags and trickle-down ticks', async () => {
    await at(1280, '/releases');
    const svg = page.locator('svg.calendar[role=img]');
    expect(await svg.count()).toBe(1);
    expect(await svg.getAttribute('aria-label')).toMatch(/^Release calendar, .*: 3 lanes \(v30 Callisto, v31 Ganymede, v32 planned\)$/);
    expect(await page.locator('svg.calendar [data-lane]').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { lane: string } }).dataset.lane)))
      .toEqual(['release-v30', 'release-v31', 'release-v32']);
    expect(await page.locator('[data-lane=release-v30] [data-bar=actual]').count()).toBe(3);
    expect(await page.locator('[data-lane=release-v31] [data-bar=actual]').count()).toBe(3);
    expect(await page.locator('[data-lane=release-v31] [data-bar=planned]').count()).toBe(3); // Sprint 1 advanced: all three moved
    expect(await page.locator('[data-lane=release-v30] [data-bar=planned]').count()).toBe(0);
    expect(await page.locator('[data-lane=release-v32] [data-bar=next]').count()).toBe(3);
    expect(await page.locator('svg.calendar [data-milestone]').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { milestone: string } }).dataset.milestone))).toEqual(['v30-1', 'v30-2']);
    // weekdays at 00:00 from 10 Feb to 3 Mar 10:00 passed, the rest of the (advanced) cycle to 12 Mar scheduled
    expect(await page.locator('[data-lane=release-v31] [data-tick=done]').count()).toBe(15);
    expect(await page.locator('[data-lane=release-v31] [data-tick=scheduled]').count()).toBe(7);
    expect(await page.locator('svg.calendar .today').count()).toBe(1);
    expect(await page.locator('#train-release-v31 .phase-now').textContent()).toMatch(/^Sprint 2 \(features\) until 2025-03-05/);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: shot('releases'), fullPage: true });
    await at(390, '/releases');
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: extra('releases-phone'), fullPage: true });
  });

  it('images: a year strip per stream, 365 cells each, under the banners and the published image', async () => {
    await at(1280, '/images');
    const strips = page.locator('svg.strip[role=img]');
    expect(await strips.count()).toBe(3);
    for (const stream of ['atomic-host', 'centos-base', 'fedora-cloud']) {
      const cells = await page.locator(`#stream-${stream} svg.strip path[data-cells]`).evaluateAll((els) =>
        els.map((e) => Number((e as unknown as { dataset: { cells: string } }).dataset.cells)));
      expect(cells.reduce((a, b) => a + b, 0)).toBe(365);
      expect(await page.locator(`#stream-${stream} svg.strip .hit`).count()).toBe(53);
    }
    expect(await page.locator('#stream-centos-base svg.strip path.c-none').getAttribute('data-cells')).toBe('165'); // 200 nights built
    expect(Number(await page.locator('#stream-centos-base svg.strip path.c-rev').getAttribute('data-cells'))).toBe(1);
    // the banners and the published image come before the strip
    const order = await page.locator('#stream-centos-base').evaluate((el) => {
      const html = (el as unknown as { innerHTML: string }).innerHTML;
      return [html.indexOf('banner revoked'), html.indexOf('<h3>Published'), html.indexOf('<svg class="strip"')];
    });
    expect(order[0]).toBeLessThan(order[1]!);
    expect(order[1]).toBeLessThan(order[2]!);
    expect(await contrastOf('#stream-centos-base .banner.revoked')).toBeGreaterThanOrEqual(4.5);
    expect(await contrastOf('#stream-fedora-cloud .banner.stale')).toBeGreaterThanOrEqual(4.5);
    expect(await contrastOf('table.matrix td.pass')).toBeGreaterThanOrEqual(4.5);
    expect(await contrastOf('table.matrix td.fail')).toBeGreaterThanOrEqual(4.5);
    expect(await contrastOf('table.matrix td.warn')).toBeGreaterThanOrEqual(4.5);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: shot('images'), fullPage: true });
    await page.locator('#stream-centos-base figure.chart').screenshot({ path: extra('strip') });
    await at(390, '/images');
    expect(await overflow()).toBeLessThanOrEqual(0);
  });

  it('lifecycle: the due-actions chart, the plan a page at a time, filtered by the GET form', async () => {
    await at(1280, '/lifecycle');
    const chart = page.locator('svg.due[role=img]');
    expect(await chart.count()).toBe(1);
    const expected = dueCounts(seededLifecycle().plan!.items, SEED_NOW).bars.reduce((n, b) => n + Object.keys(b).length, 0);
    expect(await page.locator('svg.due rect[data-kind]').count()).toBe(expected);
    expect(await page.locator('table.plan tbody tr').count()).toBe(200);
    expect(await page.locator('.pager .page-of').first().textContent()).toBe('Page 1 of 8 (items 1–200 of 1500)');
    expect(await contrastOf('.banner.stale')).toBeGreaterThanOrEqual(4.5);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: shot('lifecycle'), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1900 } });

    await page.locator('.pager a[rel=next]').first().click();
    await page.waitForURL(/page=2/);
    expect(await page.locator('.pager .page-of').first().textContent()).toBe('Page 2 of 8 (items 201–400 of 1500)');

    await page.selectOption('#plan-action', 'delete');
    await page.fill('#plan-project', 'genomics');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=delete/);
    const actions = await page.locator('table.plan tbody tr td:nth-child(2)').allTextContents();
    expect(actions.length).toBeGreaterThan(0);
    expect(new Set(actions)).toEqual(new Set(['delete']));
    expect(new Set(await page.locator('table.plan tbody tr td:nth-child(4)').allTextContents())).toEqual(new Set(['genomics']));
    expect(await page.locator('#plan-action').inputValue()).toBe('delete');

    await page.goto(`${base}/lifecycle?page=zero&action=purge`);
    expect(await page.locator('[role=alert]').textContent()).toBe('page: must be a whole number from 1, got "zero"action: must be one of warn, shelve, delete, unfeature, got "purge"');
    await at(390, '/lifecycle');
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: extra('lifecycle-phone'), fullPage: true, clip: { x: 0, y: 0, width: 390, height: 2400 } });
  });

  it('needs no inline style: nothing was refused by a CSP that allows only the stylesheet', () => {
    expect(violations).toEqual([]);
  });
});
