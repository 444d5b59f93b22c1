// The lifecycle page's plan: the GET form's query (project, action, rule, page) checked field by
// field, the plan filtered by it and cut into pages, and the table and pager of one page. Pure.
import { RULE_KINDS } from '../config/lifecycle.js';
import { type PlanLine } from '../workflows/lifecycle-sweep-types.js';
import { escapeHtml, time } from './layout.js';

/** Rows per page: a 20,000-item plan stays at about 70 KB a page. */
export const PLAN_PAGE_SIZE = 200;

/** The plan's actions, as the planner names them, with what the page calls them. */
export const PLAN_ACTIONS = [
  { action: 'notify', label: 'warn' },
  { action: 'shelve', label: 'shelve' },
  { action: 'delete', label: 'delete' },
  { action: 'unfeature', label: 'unfeature' },
] as const satisfies ReadonlyArray<{ action: PlanLine['action']; label: string }>;

/** A checked query of the plan table. */
export interface PlanQuery {
  /** 1-based. */
  page: number;
  project?: string;
  action?: PlanLine['action'];
  rule?: PlanLine['rule'];
}

const one = (v: unknown): string | undefined => (Array.isArray(v) ? v[0] : v) as string | undefined;

/**
 * Reads `?page=&project=&action=&rule=`. Empty fields mean "any"; a bad field is dropped and
 * named in `problems` (the page shows them and the rest of the query still applies).
 */
export function parsePlanQuery(raw: Record<string, unknown> | undefined): { query: PlanQuery; problems: string[] } {
  const problems: string[] = [];
  const query: PlanQuery = { page: 1 };
  const page = one(raw?.page)?.trim();
  if (page) {
    if (/^\d{1,6}$/.test(page) && Number(page) >= 1) query.page = Number(page);
    else problems.push(`page: must be a whole number from 1, got ${JSON.stringify(page.slice(0, 40))}`);
  }
  const project = one(raw?.project)?.trim();
  if (project) {
    if (project.length <= 128 && [...project].every((c) => c.charCodeAt(0) >= 32)) query.project = project;
    else problems.push('project: must be at most 128 printable characters');
  }
  const action = one(raw?.action)?.trim();
  if (action) {
    const known = PLAN_ACTIONS.find((a) => a.action === action || a.label === action);
    if (known) query.action = known.action;
    else problems.push(`action: must be one of ${PLAN_ACTIONS.map((a) => a.label).join(', ')}, got ${JSON.stringify(action.slice(0, 40))}`);
  }
  const rule = one(raw?.rule)?.trim();
  if (rule) {
    if ((RULE_KINDS as readonly string[]).includes(rule)) query.rule = rule as PlanLine['rule'];
    else problems.push(`rule: must be one of ${RULE_KINDS.join(', ')}, got ${JSON.stringify(rule.slice(0, 40))}`);
  }
  return { query, problems };
}

/** The items the query's filters keep (any page), soonest due first. */
export function filterPlan(items: readonly PlanLine[], q: PlanQuery): PlanLine[] {
  const kept = !q.project && !q.action && !q.rule ? [...items] : items.filter((p) => (!q.project || p.resource.project === q.project) && (!q.action || p.action === q.action) && (!q.rule || p.rule === q.rule));
  // The planner's order is usually the due order already: sorting is then skipped.
  for (let i = 1; i < kept.length; i++) if (kept[i - 1]!.dueAt > kept[i]!.dueAt) return kept.sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : 0));
  return kept;
}

/** One page of the filtered items; a page past the end shows the last one (and says so). */
export function pageOf<T>(items: readonly T[], page: number, size = PLAN_PAGE_SIZE): { rows: T[]; page: number; pages: number; problem?: string } {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const at = Math.min(page, pages);
  const problem = page > pages ? `page: there ${pages === 1 ? 'is only 1 page' : `are only ${pages} pages`}; showing the last` : undefined;
  return { rows: items.slice((at - 1) * size, at * size), page: at, pages, ...(problem ? { problem } : {}) };
}

/** `/lifecycle?…` for the query with `page` replaced, keeping the filters. */
export function planHref(q: PlanQuery, page: number): string {
  const params = new URLSearchParams();
  if (q.project) params.set('project', q.project);
  if (q.action) params.set('action', PLAN_ACTIONS.find((a) => a.action === q.action)!.label);
  if (q.rule) params.set('rule', q.rule);
  if (page > 1) params.set('page', String(page));
  const s = params.toString();
  return `/lifecycle${s ? `?${s}` : ''}#lc-plan`;
}

const label = (action: PlanLine['action']) => PLAN_ACTIONS.find((a) => a.action === action)?.label ?? action;

/** The GET form of the filters. */
export function planFilterForm(q: PlanQuery): string {
  const opt = (value: string, text: string, selected: boolean) => `<option value="${escapeHtml(value)}"${selected ? ' selected' : ''}>${escapeHtml(text)}</option>`;
  return `<form class="filter" method="get" action="/lifecycle#lc-plan" role="search" aria-label="Filter the plan">
<label for="plan-project">Project<input id="plan-project" name="project" value="${escapeHtml(q.project ?? '')}" maxlength="128" placeholder="any"></label>
<label for="plan-action">Action<select id="plan-action" name="action">${opt('', 'any', !q.action)}${PLAN_ACTIONS.map((a) => opt(a.label, a.label, q.action === a.action)).join('')}</select></label>
<label for="plan-rule">Rule<select id="plan-rule" name="rule">${opt('', 'any', !q.rule)}${RULE_KINDS.map((r) => opt(r, r, q.rule === r)).join('')}</select></label>
<button type="submit">Filter</button>${q.project || q.action || q.rule ? ` <a href="/lifecycle#lc-plan">Clear</a>` : ''}</form>`;
}

/** Previous / page n of m / next, as links that keep the filters. */
export function pager(q: PlanQuery, page: number, pages: number, shown: number, total: number, size = PLAN_PAGE_SIZE): string {
  const from = total === 0 ? 0 : (page - 1) * size + 1;
  const prev = page > 1 ? `<a rel="prev" href="${escapeHtml(planHref(q, page - 1))}">← Previous</a>` : '<span aria-disabled="true">← Previous</span>';
  const next = page < pages ? `<a rel="next" href="${escapeHtml(planHref(q, page + 1))}">Next →</a>` : '<span aria-disabled="true">Next →</span>';
  return `<nav class="pager" aria-label="Plan pages">${prev}<span class="page-of">Page ${page} of ${pages} (${total ? `items ${from}–${from + shown - 1}` : 'no items'} of ${total})</span>${next}</nav>`;
}

/** The rows of one page. */
export function planTable(rows: readonly PlanLine[], caption: string): string {
  const body = rows.map((p) =>
    `<tr><td>${time(p.dueAt)}</td><td>${escapeHtml(label(p.action))}</td><th scope="row">${escapeHtml(p.resource.type)} ${escapeHtml(p.resource.name)} <code>${escapeHtml(p.resource.id)}</code></th><td>${escapeHtml(p.resource.project)}</td><td>${escapeHtml(p.rule)}</td><td>${escapeHtml(p.reason)}</td></tr>`).join('');
  return `<div class="scroll"><table class="plan"><caption>${caption}</caption><thead><tr><th scope="col">Due</th><th scope="col">Action</th><th scope="col">Resource</th><th scope="col">Project</th><th scope="col">Rule</th><th scope="col">Why</th></tr></thead><tbody>${body}</tbody></table></div>`;
}
