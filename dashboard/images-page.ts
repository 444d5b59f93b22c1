// The images page: per stream the stale/revoked banners, the published image with its checksums
// and (with a token) its revoke button, the year's build history strip (svg/build-strip.ts), and
// the newest builds as a matrix (date × test: pass, FAIL, advisory fail) with the tracker link.
import { auditLink } from './audit-page.js';
import { humanSize } from './download-page.js';
import { actionForm, escapeHtml, link, renderPage, time, unreachableBanner, type PageContext } from './layout.js';
import { type ImagesView, type StreamRow } from './model.js';
import { renderBuildStrip, stripLegend } from './svg/build-strip.js';

function cell(t: { passed: boolean; advisory: boolean } | undefined): string {
  if (!t) return '<td>—</td>';
  if (t.passed) return '<td class="pass">pass</td>';
  return t.advisory ? '<td class="warn">advisory fail</td>' : '<td class="fail">FAIL</td>';
}

/** How many of the newest builds the table lists (the strip shows the year). */
export const RECENT_BUILDS = 10;

/** The newest builds first, one column per test name seen. */
export function buildMatrix(row: StreamRow, limit = RECENT_BUILDS): string {
  if (row.builds.length === 0) return '<p>No builds yet.</p>';
  const shown = row.builds.slice(-limit);
  const tests: string[] = [];
  for (const b of shown) for (const t of b.tests) if (!tests.includes(t.name)) tests.push(t.name);
  const head = `<tr><th scope="col">Date</th><th scope="col">Image</th><th scope="col">Status</th>${tests.map((t) => `<th scope="col">${escapeHtml(t)}</th>`).join('')}<th scope="col">Why</th></tr>`;
  const rows: string[] = [];
  for (let i = shown.length - 1; i >= 0; i--) {
    const b = shown[i]!;
    const byName = new Map(b.tests.map((t) => [t.name, t]));
    const status = b.status === 'failed' || b.status === 'failed-manually' || b.status === 'revoked' ? 'fail' : b.status === 'building' ? '' : 'pass';
    const why = b.reason ? escapeHtml(b.reason) : '';
    const tracker = b.trackerUrl ? ` ${link(b.trackerUrl, 'tracker')}` : '';
    rows.push(`<tr><td>${time(b.date)}</td><th scope="row"><code>${escapeHtml(b.id)}</code></th><td class="${status}">${escapeHtml(b.status)}</td>${tests.map((t) => cell(byName.get(t))).join('')}<td>${why}${tracker}</td></tr>`);
  }
  const caption = shown.length < row.builds.length ? `The newest ${shown.length} of ${row.builds.length} builds of ${row.stream} (date × test)` : `Builds of ${row.stream} (date × test)`;
  return `<div class="scroll"><table class="matrix"><caption>${escapeHtml(caption)}</caption><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function published(row: StreamRow, ctx: PageContext): string {
  const image = row.status?.page.image;
  if (!image) return `<p>No image published yet.${row.status?.trackerUrl ? ` ${link(row.status.trackerUrl, 'Tracker issue')}` : ''}</p>`;
  const files = image.artifacts.map((a) =>
    `<tr><th scope="row">${escapeHtml(a.name)}</th><td>${escapeHtml(humanSize(a.size))}</td><td><code class="sha">${escapeHtml(a.sha256)}</code></td></tr>`).join('');
  const revoke = actionForm(ctx, `/api/images/${encodeURIComponent(row.stream)}/revoke`, `Revoke ${image.id}`, [
    { name: 'imageId', label: 'Image', value: image.id, hidden: true },
    { name: 'reason', label: `Reason to revoke ${image.id}` },
  ]);
  return `<h3>Published: <code>${escapeHtml(image.id)}</code></h3>
<p>Built ${time(image.startedAt)} on ${escapeHtml(image.baseRelease)}${image.glanceImageId ? `, Glance image <code>${escapeHtml(image.glanceImageId)}</code>` : ''}. Files on the <a href="/site/">download page</a>.</p>
<div class="scroll"><table><caption>Files of ${escapeHtml(image.id)}</caption><thead><tr><th scope="col">File</th><th scope="col">Size</th><th scope="col">SHA-256</th></tr></thead><tbody>${files}</tbody></table></div>
${revoke}`;
}

function banners(row: StreamRow): string {
  const s = row.status;
  if (!s) return '';
  const out: string[] = [];
  const notice = s.page.revokedNotice;
  if (notice) {
    out.push(`<div class="banner revoked" role="alert"><h3>Image revoked</h3><p><code>${escapeHtml(notice.imageId)}</code> was revoked: ${escapeHtml(notice.reason)}. ${s.published ? `Now offering <code>${escapeHtml(s.published.id)}</code>.` : 'No earlier good image is available.'}</p></div>`);
  }
  if (s.stale) {
    out.push(`<div class="banner stale" role="status"><h3>Stale</h3><p>No newer image passed its tests in the last publish cycle.${s.trackerUrl ? ` ${link(s.trackerUrl, 'Tracker issue')}.` : ''}</p></div>`);
  }
  if (s.paused) out.push('<div class="banner notice" role="status"><h3>Paused</h3><p>No nightly builds or publishes until resumed.</p></div>');
  return out.join('');
}

function history(row: StreamRow, now: number): string {
  const { svg, counts } = renderBuildStrip(row.stream, row.builds, now);
  return `<h3>Nightly builds, last 365 nights</h3>${svg}${stripLegend(counts)}`;
}

function streamSection(row: StreamRow, ctx: PageContext): string {
  const id = `stream-${escapeHtml(row.stream)}`;
  if (!row.status) {
    return `<section id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${escapeHtml(row.stream)}</h2><p class="banner notice">${escapeHtml(row.problem ?? 'not running')}</p></section>`;
  }
  const s = row.status;
  return `<section id="${id}" aria-labelledby="${id}-h">
<h2 id="${id}-h">${escapeHtml(row.stream)}</h2>
<p class="audit">${auditLink(`image-stream-${row.stream}`, `Who did what on image-stream-${row.stream}`)}</p>
${banners(row)}
<dl><dt>Running</dt><dd>${s.running ? `<code>${escapeHtml(s.running)}</code>` : 'nothing'}${s.queued.length ? `, queued ${s.queued.map((q) => `<code>${escapeHtml(q)}</code>`).join(', ')}` : ''}</dd>
<dt>Next nightly</dt><dd>${time(s.nextNightly)}</dd><dt>Publish deadline</dt><dd>${time(s.deadline)} (when no image passed: ${escapeHtml(s.onNoPass)})</dd>
<dt>Tracker</dt><dd>${s.trackerUrl ? link(s.trackerUrl, s.trackerUrl) : 'no open issue'}</dd>
<dt>Builds</dt><dd>${s.builds} remembered, ${s.buildsStarted} started</dd></dl>
${published(row, ctx)}
${history(row, ctx.now)}
${buildMatrix(row)}
</section>`;
}

/** The images page. */
export function renderImagesPage(view: ImagesView, ctx: PageContext): string {
  let body: string;
  if (view.temporal === 'unreachable') body = unreachableBanner(ctx, view.error);
  else if (view.streams.length === 0) body = '<p>No image streams. List them under <code>images.streams</code> in stratus.yaml.</p>';
  else body = view.streams.map((s) => streamSection(s, ctx)).join('\n');
  return renderPage(ctx, '/images', 'Image streams', body);
}
