// The download page in a real browser (Debian's chromium via playwright-core): what a person
// sees after real builds were published, staled and revoked. Saves screenshots under
// .stratus/test-artifacts/.
import { type Browser, type Page } from 'playwright-core';
import { contrastRatio, launchChromium } from '../support/browser.js';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createImageActivities } from '../../activities/images.js';
import { createCommandRunner } from '../../clients/command-runner.js';
import { createSiteWriter } from '../../clients/site.js';

let base: string;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const artifactsDir = resolve('.stratus/test-artifacts');

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'stratus-page-browser-'));
  await mkdir(artifactsDir, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
});
afterAll(async () => {
  await browser?.close();
  await rm(base, { recursive: true, force: true });
});


async function colors(selector: string): Promise<{ color: string; background: string }> {
  // Runs in the page; the test project has no DOM typings, hence the narrow cast.
  type Win = { getComputedStyle(el: unknown): { color: string; backgroundColor: string } };
  return page.locator(selector).first().evaluate((el) => {
    const style = (globalThis as unknown as Win).getComputedStyle(el);
    return { color: style.color, background: style.backgroundColor };
  });
}

describe('download page in a browser', () => {
  it('shows the current image with checksums, then the stale banner, then the revocation banner', async () => {
    const project = join(base, 'project');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'build.sh'), '#!/bin/sh\nprintf "disk-%s" "$STRATUS_BUILD_ID" > "$STRATUS_OUTPUT_DIR/atomic.qcow2"\nprintf box > "$STRATUS_OUTPUT_DIR/atomic.box"\n');
    await chmod(join(project, 'build.sh'), 0o755);
    const siteDir = join(base, 'site');
    const acts = createImageActivities({ runner: createCommandRunner(), site: createSiteWriter({ siteDir }), workDir: join(base, 'work'), commandCwd: project });
    const build = async (id: string, day: string) => {
      const r = await acts.runImageBuild({ stream: 'atomic-host', buildId: id, baseRelease: 'fedora-42', command: ['./build.sh'], timeoutMs: 10_000 });
      expect(r.ok).toBe(true);
      return { id, startedAt: `2025-01-${day}T02:00:00.000Z`, baseRelease: 'fedora-42', artifacts: r.artifacts };
    };
    const first = await build('atomic-host-20250101.1', '01');
    const second = await build('atomic-host-20250115.1', '15');
    const url = pathToFileURL(join(siteDir, 'index.html')).href;

    // 1. a fresh publish
    await acts.publishImage({ stream: 'atomic-host', image: second });
    await page.goto(url);
    await expect(page.getByRole('main').getByRole('heading', { level: 2, name: 'atomic-host' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('heading', { level: 3, name: 'Image of 2025-01-15' }).isVisible()).resolves.toBe(true);
    const qcowRow = page.getByRole('row', { name: /atomic\.qcow2/ });
    await expect(qcowRow.getByRole('cell').last().innerText()).resolves.toBe(second.artifacts.find((a) => a.name === 'atomic.qcow2')!.sha256);
    await expect(qcowRow.getByRole('link', { name: 'atomic.qcow2' }).getAttribute('href')).resolves.toBe('atomic-host/atomic-host-20250115.1/atomic.qcow2');
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    await expect(page.getByRole('status').count()).resolves.toBe(0);
    await page.screenshot({ path: join(artifactsDir, 'download-page-published.png'), fullPage: true });

    // 2. a cycle without a passing image
    await acts.publishImage({ stream: 'atomic-host', image: second, stale: true, trackerUrl: 'https://jira.example.org/browse/ATMO-7' });
    await page.goto(url);
    const status = page.getByRole('status');
    await expect(status.getByRole('heading', { name: 'Stale image' }).isVisible()).resolves.toBe(true);
    await expect(status.innerText()).resolves.toContain('No newer image has passed its tests. The image below was built on 2025-01-15.');
    await expect(status.getByRole('link', { name: 'See the failure report' }).getAttribute('href')).resolves.toBe('https://jira.example.org/browse/ATMO-7');
    const stale = await colors('.banner.stale');
    expect(contrastRatio(stale.color, stale.background)).toBeGreaterThanOrEqual(7);
    await page.screenshot({ path: join(artifactsDir, 'download-page-stale.png'), fullPage: true });

    // 3. the published image is revoked: back to the earlier one, with a warning
    await acts.publishImage({
      stream: 'atomic-host',
      image: first,
      revoked: ['atomic-host-20250115.1'],
      revokedNotice: { imageId: 'atomic-host-20250115.1', reason: 'kernel panic <script>alert("pwned")</script>' },
    });
    await page.goto(url);
    const alert = page.getByRole('alert');
    await expect(alert.getByRole('heading', { name: 'Previous image was revoked' }).isVisible()).resolves.toBe(true);
    await expect(alert.innerText()).resolves.toContain('Image atomic-host-20250115.1 was revoked: kernel panic <script>alert("pwned")</script>.');
    await expect(page.getByRole('heading', { level: 3, name: 'Image of 2025-01-01' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('link', { name: 'atomic.qcow2' }).getAttribute('href')).resolves.toBe('atomic-host/atomic-host-20250101.1/atomic.qcow2');
    const revoked = await colors('.banner.revoked');
    expect(contrastRatio(revoked.color, revoked.background)).toBeGreaterThanOrEqual(7);
    const body = await colors('body');
    expect(contrastRatio(body.color, 'rgb(255, 255, 255)')).toBeGreaterThanOrEqual(7);
    expect(dialogs).toEqual([]);
    await page.screenshot({ path: join(artifactsDir, 'download-page-revoked.png'), fullPage: true });

    // the file link really downloads the published bytes
    const href = await page.getByRole('link', { name: 'atomic.qcow2' }).evaluate((a) => (a as unknown as { href: string }).href);
    await expect(readFile(fileURLToPath(href), 'utf8')).resolves.toBe('disk-atomic-host-20250101.1');
  });
});
