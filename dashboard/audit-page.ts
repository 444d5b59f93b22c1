// The audit page `/audit/<workflowId>`: every decision on an entity workflow, who sent it (the
// client identity: `dashboard:<login>`, `cli:<login>`), when, its arguments (secrets redacted)
// and the outcome, across continue-as-new runs.
import { type AuditEntry } from './audit.js';
import { type AuditView } from './audit-load.js';
import { escapeHtml, renderPage, time, unreachableBanner, type PageContext } from './layout.js';

/** Link from an entity on another page to its audit. */
export function auditLink(workflowId: string, text = 'Audit'): string {
  return `<a class="audit-link" href="/audit/${encodeURIComponent(workflowId)}">${escapeHtml(text)}</a>`;
}

/** What the page shows: the audit, or why there is none. */
export type AuditPageData =
  | { kind: 'ok'; view: AuditView }
  | { kind: 'not-found'; workflowId: string }
  | { kind: 'unreachable'; workflowId: string; error: string };

function args(e: AuditEntry): string {
  if (e.args.length === 0) return '—';
  const text = JSON.stringify(e.args.length === 1 ? e.args[0] : e.args);
  return `<code>${escapeHtml(text.length > 240 ? `${text.slice(0, 239)}…` : text)}</code>`;
}

function outcome(e: AuditEntry): string {
  const cls = e.outcome === 'rejected' || e.outcome === 'failed' ? 'fail' : e.outcome === 'completed' ? 'pass' : '';
  const detail = e.message ? `: ${escapeHtml(e.message)}` : '';
  return `<td class="outcome ${cls}">${escapeHtml(e.outcome)}${detail}</td>`;
}

function row(e: AuditEntry, entity: string): string {
  const where = e.workflowId === entity ? '' : ` <small>on <code>${escapeHtml(e.workflowId)}</code></small>`;
  return `<tr><td>${time(e.at)}</td><th scope="row" class="who">${escapeHtml(e.who ?? 'unknown')}</th><td>${escapeHtml(e.kind)} <strong class="name">${escapeHtml(e.name)}</strong>${where}</td><td>${args(e)}</td>${outcome(e)}</tr>`;
}

/** The whole audit page. */
export function renderAuditPage(data: AuditPageData, ctx: PageContext): string {
  const id = data.kind === 'ok' ? data.view.workflowId : data.workflowId;
  const title = `Audit of ${id}`;
  if (data.kind === 'unreachable') return renderPage(ctx, '/audit', title, unreachableBanner(ctx, data.error));
  if (data.kind === 'not-found') return renderPage(ctx, '/audit', title, `<p class="banner notice">There is no workflow <code>${escapeHtml(id)}</code>.</p>`);
  const v = data.view;
  const entries = [...v.entries].reverse();
  const table = entries.length === 0
    ? '<p>No decisions recorded yet.</p>'
    : `<table class="audit"><caption>${entries.length} decision${entries.length === 1 ? '' : 's'}, newest first</caption><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Arguments</th><th scope="col">Outcome</th></tr></thead><tbody>${entries.map((e) => row(e, v.workflowId)).join('')}</tbody></table>`;
  const runs = `<p>${v.runs.length} run${v.runs.length === 1 ? '' : 's'} read (continue-as-new)${v.children.length ? `, and ${v.children.length} sweep${v.children.length === 1 ? '' : 's'}` : ''}${v.truncated ? '; older ones left out' : ''}. Rejected updates appear only where the server records them (Temporal keeps no history of rejections: the caller saw the message).</p>`;
  return renderPage(ctx, '/audit', title, `${runs}\n${table}`);
}
