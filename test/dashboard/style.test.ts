// The stylesheet's palette against WCAG AA (text ≥ 4.5:1, meaningful shapes ≥ 3:1 on white), and
// the pages' readiness for a strict CSP: no style= attribute anywhere, the stylesheet's hash right.
import { createHash } from 'node:crypto';
import { syntheticImages, syntheticLifecycle, syntheticReleases } from '../../bench/dashboard.js';
import { renderImagesPage } from '../../dashboard/images-page.js';
import { type PageContext } from '../../dashboard/layout.js';
import { renderLifecyclePage } from '../../dashboard/lifecycle-page.js';
import { renderReleasesPage } from '../../dashboard/releases-page.js';
import { SHAPE_FILLS, STYLE, STYLE_CSP, TEXT_COLOURS } from '../../dashboard/style.js';
import { contrastRatio } from '../support/browser.js';
import { SEED_NOW, seededImages, seededLifecycle, seededReleases } from './seed.js';

/** `#1b1f24` → `rgb(27, 31, 36)`, the form the browser helper reads. */
const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

describe('palette', () => {
  it.each(Object.entries(TEXT_COLOURS))('text %s is at least 4.5:1 on its background', (_name, { fg, bg }) => {
    expect(contrastRatio(rgb(fg), rgb(bg))).toBeGreaterThanOrEqual(4.5);
  });

  it.each(Object.entries(SHAPE_FILLS))('shape %s is at least 3:1 against the white panel', (_name, fill) => {
    expect(contrastRatio(rgb(fill), rgb('#ffffff'))).toBeGreaterThanOrEqual(3);
  });

  it('the helper tells a failing pair from a passing one', () => {
    expect(contrastRatio(rgb('#777777'), rgb('#ffffff'))).toBeLessThan(4.5);
    expect(contrastRatio(rgb('#000000'), rgb('#ffffff'))).toBeCloseTo(21, 5);
  });
});

describe('strict CSP readiness', () => {
  const ctx: PageContext = { actions: true, now: SEED_NOW, temporalAddress: 'x' };
  const pages = [
    renderReleasesPage(seededReleases(), ctx), renderImagesPage(seededImages(), ctx), renderLifecyclePage(seededLifecycle(), ctx),
    renderReleasesPage(syntheticReleases(3), ctx), renderImagesPage(syntheticImages(2, 30), ctx), renderLifecyclePage(syntheticLifecycle(30), ctx),
  ];

  it('no page sets a style= attribute, and the one <style> is the stylesheet whose hash the CSP names', () => {
    for (const html of pages) {
      expect(html).not.toMatch(/\sstyle=/);
      const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
      expect(styles).toEqual([STYLE]);
      expect(STYLE_CSP).toBe(`'sha256-${createHash('sha256').update(styles[0]!).digest('base64')}'`);
    }
  });
});
