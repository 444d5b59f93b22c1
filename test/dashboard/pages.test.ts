// The page renderers without a server: hostile text in every user-controlled field is escaped and
// buttons appear only with actions enabled (the token check is in auth.test.ts).
import { syntheticImages, syntheticLifecycle, syntheticReleases } from '../../bench/dashboard.js';
import { renderImagesPage } from '../../dashboard/images-page.js';
import { type PageContext } from '../../dashboard/layout.js';
import { renderLifecyclePage } from '../../dashboard/lifecycle-page.js';
import { renderReleasesPage } from '../../dashboard/releases-page.js';

const EVIL = '<script>alert("x")</script>';
const hostile = (s: string) => `${s}${EVIL}`;
const ctx = (actions: boolean): PageContext => ({ actions, now: Date.parse('2025-01-20T00:00:00Z'), temporalAddress: 'localhost:7233' });
/** The only script a page may contain is the dashboard's own (when actions are on). */
const scripts = (html: string) => html.match(/<script>/g)?.length ?? 0;

describe('page renderers', () => {
  it('escape codenames, repo names, reasons, test names, test output and plan text', () => {
    const pages = [
      renderReleasesPage(syntheticReleases(2, hostile), ctx(false)),
      renderImagesPage(syntheticImages(2, 3, hostile), ctx(false)),
      renderLifecyclePage(syntheticLifecycle(3, hostile), ctx(false)),
    ];
    for (const html of pages) {
      expect(scripts(html)).toBe(0);
      expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    }
  });

  it('show action buttons and the token box only when actions are enabled', () => {
    const view = syntheticReleases(1);
    const off = renderReleasesPage(view, ctx(false));
    expect(off).not.toContain('<form');
    expect(off).not.toContain('operator-token');
    const on = renderReleasesPage(view, ctx(true));
    expect(on).toContain('<form class="action" method="post" action="/api/releases/1/advance">');
    expect(on).toContain('<label for="operator-token">Operator token</label>');
    expect(scripts(on)).toBe(1);
  });

  it('list each train\'s phases with today\'s marked, and the calendar picture with today\'s marker', () => {
    const html = renderReleasesPage(syntheticReleases(1), ctx(false));
    expect(html).toContain('<ol class="timeline" aria-label="Phases of v1">');
    expect(html).toMatch(/<li class="now"><span class="phase">Sprint 2<\/span>.*?<span class="today">today<\/span><\/li>/);
    expect(html).toContain('<g class="today" data-today="2025-01-20">');
    expect(html).toMatch(/<svg class="calendar" viewBox="0 0 1000 \d+" role="img" aria-label="Release calendar, 2025-01-06 to 2025-03-17: 2 lanes \(v1 codename-1, v2 planned\)">/);
  });

  it('say "Temporal unreachable" with the address instead of data', () => {
    const html = renderImagesPage({ temporal: 'unreachable', error: 'connect ECONNREFUSED', streams: [] }, ctx(false));
    expect(html).toContain('<h2>Temporal unreachable</h2>');
    expect(html).toContain('<code>localhost:7233</code>: connect ECONNREFUSED');
  });

  it('say when a train is not running', () => {
    const html = renderReleasesPage({ temporal: 'ok', trains: [{ workflowId: 'release-v9', execution: 'COMPLETED', startTime: '2025-01-01T00:00:00Z', problem: 'release-v9 is not running (completed)' }] }, ctx(false));
    expect(html).toContain('release-v9 is not running (completed)');
  });
});
