// The page shell every dashboard page shares: landmarks, navigation, the operator-token box (only
// when actions are enabled), the stylesheet (style.ts) and the little script that sends actions.
import { createHash } from 'node:crypto';
import { escapeHtml, safeHref } from './download-page.js';
import { STYLE, STYLE_CSP } from './style.js';

export { escapeHtml, safeHref, STYLE_CSP };

/** What every page renderer needs besides its data. */
export interface PageContext {
  /** Actions (POST with a bearer token) are enabled: show the token box and the buttons. */
  actions: boolean;
  /** "Now" for timelines and ages (epoch ms). */
  now: number;
  /** Where Temporal is, for the "unreachable" banner. */
  temporalAddress: string;
  /** The first-run demo's mailbox is there: show it in the navigation. */
  mailbox?: boolean;
}

/** A link when `url` is http(s), else the escaped text. */
export function link(url: string | null | undefined, text: string): string {
  const href = safeHref(url);
  return href ? `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>` : escapeHtml(text);
}

/** `<time>` showing the date and UTC time of an ISO instant. */
export function time(iso: string | null | undefined, dateOnly = false): string {
  if (!iso) return '—';
  const shown = dateOnly ? iso.slice(0, 10) : iso.slice(0, 16).replace('T', ' ');
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(shown)}</time>`;
}

/** The banner that says Temporal did not answer (the page is otherwise empty but served). */
export function unreachableBanner(ctx: PageContext, error: string): string {
  return `<div class="banner unreachable" role="alert"><h2>Temporal unreachable</h2><p>The dashboard could not reach Temporal at <code>${escapeHtml(ctx.temporalAddress)}</code>: ${escapeHtml(error)}. It keeps serving; reload to try again.</p></div>`;
}

/**
 * A form that POSTs an action; the script adds the operator's token. `fields` are extra inputs
 * (each labelled). Rendered only when actions are enabled.
 */
export function actionForm(ctx: PageContext, path: string, label: string, fields: Array<{ name: string; label: string; value?: string; hidden?: boolean }> = []): string {
  if (!ctx.actions) return '';
  const inputs = fields.map((f, i) => {
    const id = `f-${escapeHtml(path.replace(/[^a-zA-Z0-9]/g, '-'))}-${i}`;
    if (f.hidden) return `<input type="hidden" name="${escapeHtml(f.name)}" value="${escapeHtml(f.value ?? '')}">`;
    return `<label for="${id}">${escapeHtml(f.label)}</label> <input id="${id}" name="${escapeHtml(f.name)}" required value="${escapeHtml(f.value ?? '')}">`;
  }).join(' ');
  return `<form class="action" method="post" action="${escapeHtml(path)}">${inputs} <button type="submit">${escapeHtml(label)}</button></form>`;
}

// Progressive: without JS the forms still POST (and are refused without the token).
const SCRIPT = `(function(){
var box=document.getElementById('operator-box');if(!box)return;
var tok=document.getElementById('operator-token'),out=document.getElementById('action-result');
tok.value=sessionStorage.getItem('stratus-token')||'';
tok.addEventListener('change',function(){sessionStorage.setItem('stratus-token',tok.value)});
document.querySelectorAll('form.action').forEach(function(f){f.addEventListener('submit',function(e){
e.preventDefault();var body={};new FormData(f).forEach(function(v,k){body[k]=v});
var h={'Content-Type':'application/json','Authorization':'Bearer '+tok.value};
fetch(f.getAttribute('action'),{method:'POST',headers:h,body:JSON.stringify(body)}).then(function(r){return r.json().then(function(j){
out.textContent=(r.ok?'Done: ':'Refused ('+r.status+'): ')+(j.message||j.error||'');if(r.ok)setTimeout(function(){location.reload()},800);});
}).catch(function(err){out.textContent='Failed: '+err});});});})();`;

/** CSP source of the one inline script, so nothing else inline runs. */
export const SCRIPT_CSP = `'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`;

const PAGES = [
  ['/releases', 'Releases'],
  ['/images', 'Images'],
  ['/lifecycle', 'Lifecycle'],
  ['/site/', 'Download page'],
] as const;

/** The whole HTML document of a dashboard page. */
export function renderPage(ctx: PageContext, current: string, title: string, body: string): string {
  const pages = ctx.mailbox ? [...PAGES, ['/mailbox', 'Mailbox'] as const] : PAGES;
  const nav = pages.map(([href, name]) => `<li><a href="${href}"${href === current ? ' aria-current="page"' : ''}>${name}</a></li>`).join('');
  const operator = ctx.actions
    ? `<div id="operator-box"><label for="operator-token">Operator token</label> <input type="password" id="operator-token" autocomplete="off"> <output id="action-result" role="status" aria-live="polite"></output></div>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · stratus</title>
<style>${STYLE}</style>
</head>
<body>
<header><div class="bar-top"><p><strong>stratus</strong></p><nav aria-label="Dashboard"><ul>${nav}</ul></nav>${operator}</div></header>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
<footer><p>Rendered <time datetime="${new Date(ctx.now).toISOString()}">${new Date(ctx.now).toISOString().slice(0, 16).replace('T', ' ')} UTC</time> from Temporal queries. JSON: <a href="/api${current === '/site/' ? '/images' : current}">/api${current === '/site/' ? '/images' : current}</a></p></footer>
${ctx.actions ? `<script>${SCRIPT}</script>` : ''}
</body>
</html>
`;
}
