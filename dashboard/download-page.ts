// The static download page: one section per stream with its published image (by date), files
// with sizes and SHA-256 checksums, and banners for a stale stream and a revoked image. A pure
// function of the stream feeds; every piece of user-controlled text is escaped.
import { type FeedImage, type StreamFeed } from '../workflows/image-types.js';

/** Input of {@link renderDownloadPage}. */
export interface DownloadPageInput {
  /** One feed per stream (any order; sections are sorted by stream name). */
  feeds: readonly StreamFeed[];
  /** Page title and main heading (default "Image downloads"). */
  title?: string;
  /** Shown in the footer when given (leave out to keep the page byte-identical across renders). */
  generatedAt?: string;
}

/** Escapes text for HTML element content and double- or single-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Only http(s) URLs become links; anything else (javascript:, data:) is shown as text. */
export function safeHref(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** A site-relative path as a URL: each segment percent-encoded. */
const hrefOfPath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

/** `stream-<name>` with anything outside [a-z0-9-] replaced, for id attributes. */
const anchor = (stream: string): string => `stream-${stream.toLowerCase().replace(/[^a-z0-9-]/g, '_')}`;

/** 1536 → "1.5 KiB". */
export function humanSize(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  return `${value.toFixed(1)} ${units[unit]}`;
}

const day = (iso: string): string => iso.slice(0, 10);

function trackerLink(url: string | null, text: string): string {
  const href = safeHref(url);
  if (href) return ` <a href="${escapeHtml(href)}">${escapeHtml(text)}</a>.`;
  return url ? ` ${escapeHtml(text)}: ${escapeHtml(url)}.` : '';
}

function revokedBanner(feed: StreamFeed): string {
  const notice = feed.revokedNotice;
  if (!notice) return '';
  const reason = notice.reason ? `: ${escapeHtml(notice.reason)}` : '';
  const now = feed.published
    ? `The image below (${escapeHtml(feed.published.id)}) is the earlier good image.`
    : 'No earlier good image is available.';
  return `<div class="banner revoked" role="alert"><h3>Previous image was revoked</h3><p>Image <strong>${escapeHtml(notice.imageId)}</strong> was revoked${reason}. ${now} Do not use the revoked image.</p></div>`;
}

function staleBanner(feed: StreamFeed): string {
  if (!feed.stale) return '';
  const since = feed.published ? ` The image below was built on ${escapeHtml(day(feed.published.date))}.` : '';
  return `<div class="banner stale" role="status"><h3>Stale image</h3><p>No newer image has passed its tests.${since}${trackerLink(feed.trackerUrl, 'See the failure report')}</p></div>`;
}

function imageArticle(stream: string, image: FeedImage): string {
  const id = `${anchor(stream)}-current`;
  const where = image.glanceCloud ? ` (${escapeHtml(image.glanceCloud)})` : '';
  const glance = image.glanceImageId
    ? `<dt>Launch in OpenStack${where}</dt><dd>Glance image id <code>${escapeHtml(image.glanceImageId)}</code></dd>`
    : '';
  const rows = image.files
    .map(
      (f) =>
        `<tr><th scope="row"><a href="${escapeHtml(hrefOfPath(f.path))}" download>${escapeHtml(f.file)}</a></th>` +
        `<td>${escapeHtml(f.kind)}</td><td><data value="${f.size}">${escapeHtml(humanSize(f.size))}</data></td>` +
        `<td><code class="sha">${escapeHtml(f.sha256)}</code></td></tr>`,
    )
    .join('\n');
  return `<article class="image" aria-labelledby="${id}">
<h3 id="${id}">Image of <time datetime="${escapeHtml(image.date)}">${escapeHtml(day(image.date))}</time></h3>
<dl><dt>Image id</dt><dd><code>${escapeHtml(image.id)}</code></dd><dt>Base release</dt><dd>${escapeHtml(image.baseRelease)}</dd>${glance}</dl>
<table><caption>Files of ${escapeHtml(image.id)}</caption>
<thead><tr><th scope="col">File</th><th scope="col">Kind</th><th scope="col">Size</th><th scope="col">SHA-256</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</article>`;
}

function streamSection(feed: StreamFeed): string {
  const id = anchor(feed.stream);
  const image = feed.published
    ? imageArticle(feed.stream, feed.published)
    : `<p class="none">No image of this stream is available yet.${trackerLink(feed.trackerUrl, 'See the failure report')}</p>`;
  const revoked =
    feed.revoked.length > 0
      ? `<details><summary>Revoked images (${feed.revoked.length})</summary><ul>${feed.revoked.map((r) => `<li><code>${escapeHtml(r)}</code></li>`).join('')}</ul></details>`
      : '';
  return `<section id="${id}" aria-labelledby="${id}-title">
<h2 id="${id}-title">${escapeHtml(feed.stream)}</h2>
${revokedBanner(feed)}${staleBanner(feed)}
${image}
${revoked}
</section>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff;line-height:1.5}
header,main,footer{max-width:72rem;margin:0 auto;padding:0 1rem}
a{color:#0645ad}a:focus{outline:3px solid #1a1a1a;outline-offset:2px}
section{border-top:2px solid #555;margin-top:2rem}
table{border-collapse:collapse;width:100%}caption{text-align:left;font-weight:bold}
th,td{border:1px solid #767676;padding:.3rem .5rem;text-align:left;vertical-align:top}
code.sha{word-break:break-all;font-size:.9em}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dd{margin:0}
.banner{border-left:6px solid;padding:.5rem 1rem;margin:1rem 0}.banner h3{margin:0}
.stale{background:#fff3cd;border-color:#8a6d00;color:#3d2f00}
.revoked{background:#fdecea;border-color:#b3261e;color:#611a15}`;

/** The whole `index.html`. Deterministic: same feeds, same bytes. */
export function renderDownloadPage(input: DownloadPageInput): string {
  const title = input.title ?? 'Image downloads';
  const feeds = [...input.feeds].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
  const nav = feeds.length
    ? `<nav aria-label="Streams"><ul>${feeds.map((f) => `<li><a href="#${anchor(f.stream)}">${escapeHtml(f.stream)}</a></li>`).join('')}</ul></nav>`
    : '';
  const body = feeds.length ? feeds.map(streamSection).join('\n') : '<p>No image streams have been published yet.</p>';
  const footer = input.generatedAt ? `<p>Generated <time datetime="${escapeHtml(input.generatedAt)}">${escapeHtml(input.generatedAt)}</time>.</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1>${nav}</header>
<main>
${body}
</main>
<footer><p>Checksums are SHA-256; verify a download with <code>sha256sum</code>.</p>${footer}</footer>
</body>
</html>
`;
}
