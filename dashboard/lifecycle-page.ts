// The lifecycle page: the next sweep, the last sweep's report, sweeps waiting for approval (with
// a token: approve), the upcoming plan (due actions per day as a chart, then a filtered table of
// what happens to which resource, when, by which rule, a page at a time) and the exemptions.
import { auditLink } from './audit-page.js';
import { type SweepReport } from '../workflows/lifecycle-sweep-types.js';
import { actionForm, escapeHtml, renderPage, time, unreachableBanner, type PageContext } from './layout.js';
import { filterPlan, pageOf, pager, parsePlanQuery, planFilterForm, planTable } from './lifecycle-plan.js';
import { type LifecycleView } from './model.js';
import { renderDueChart } from './svg/due-chart.js';

function report(r: SweepReport): string {
  const actions = r.actions.length
    ? `<div class="scroll"><table><caption>Actions of ${escapeHtml(r.sweepId)}</caption><thead><tr><th scope="col">Resource</th><th scope="col">Action</th><th scope="col">Rule</th><th scope="col">Outcome</th><th scope="col">Reason</th></tr></thead><tbody>${r.actions.map((a) =>
      `<tr><th scope="row">${escapeHtml(a.resource.type)} ${escapeHtml(a.resource.name)} <code>${escapeHtml(a.resource.id)}</code></th><td>${escapeHtml(a.action)}</td><td>${escapeHtml(a.rule)}</td><td>${escapeHtml(a.outcome)}${a.detail ? `: ${escapeHtml(a.detail)}` : ''}</td><td>${escapeHtml(a.reason)}</td></tr>`).join('')}</tbody></table></div>`
    : '<p>No destructive actions.</p>';
  const inventory = Object.entries(r.inventory).map(([k, v]) => `${escapeHtml(k)}: ${v}`).join(', ');
  return `<dl><dt>Sweep</dt><dd><code>${escapeHtml(r.sweepId)}</code> (${r.enforce ? 'enforcing' : 'dry-run'})</dd><dt>Status</dt><dd class="sweep-status">${escapeHtml(r.status)}</dd>
<dt>Planned for</dt><dd>${time(r.at)}</dd><dt>Finished</dt><dd>${time(r.finishedAt)}</dd><dt>Inventory</dt><dd>${inventory || '—'}</dd>
<dt>Warnings</dt><dd>${r.notices.sent.length} sent, ${r.notices.due} due${r.notices.failed.length ? `, ${r.notices.failed.length} failed` : ''}</dd>
${r.approvedBy ? `<dt>Approved by</dt><dd>${escapeHtml(r.approvedBy)}</dd>` : ''}${r.blastRadius?.exceeded ? `<dt>Over the caps</dt><dd>${escapeHtml(r.blastRadius.reason ?? '')}</dd>` : ''}</dl>
<p class="summary">${escapeHtml(r.summary)}</p>
${r.problems.length ? `<ul>${r.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>` : ''}
${r.error ? `<p class="banner revoked" role="alert">${escapeHtml(r.error)}</p>` : ''}
${actions}`;
}

/** The plan: the due-date chart and one page of the table, both as filtered by the query. */
function planSection(view: LifecycleView, ctx: PageContext, rawQuery: Record<string, unknown> | undefined): string {
  const plan = view.plan;
  if (!plan) return '<p>No plan yet: run <code>stratus lifecycle plan</code>.</p>';
  if (plan.items.length === 0) return `<p>Nothing to do as of ${time(plan.at)}.</p>`;
  const { query, problems } = parsePlanQuery(rawQuery);
  const items = filterPlan(plan.items, query);
  const { rows, page, pages, problem } = pageOf(items, query.page);
  if (problem) problems.push(problem);
  const filtered = items.length === plan.items.length ? '' : ` ${items.length} of ${plan.items.length} match the filter;`;
  const caption = `Plan as of ${time(plan.at)} (${plan.items.length} items,${filtered} <code>${escapeHtml(plan.sweepId)}</code>)`;
  return `${renderDueChart(items, ctx.now)}
${planFilterForm(query)}
${problems.length ? `<div class="banner revoked" role="alert"><ul>${problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul></div>` : ''}
${items.length ? `${pager(query, page, pages, rows.length, items.length)}${planTable(rows, caption)}${pages > 1 ? pager(query, page, pages, rows.length, items.length) : ''}` : `<p>No item of the plan matches the filter (${plan.items.length} items in all).</p>`}`;
}

/** The lifecycle page; `rawQuery` is the request's query string (`page`, `project`, `action`, `rule`). */
export function renderLifecyclePage(view: LifecycleView, ctx: PageContext, rawQuery?: Record<string, unknown>): string {
  if (view.temporal === 'unreachable') return renderPage(ctx, '/lifecycle', 'Resource lifecycle', unreachableBanner(ctx, view.error));
  const parts: string[] = [];
  if (view.status) {
    const s = view.status;
    parts.push(`<section aria-labelledby="lc-next"><h2 id="lc-next">Next sweep</h2><p>${time(s.nextSweepAt)} (daily at ${escapeHtml(s.sweepAt)} UTC, ${s.enforce ? 'enforcing' : 'dry-run'}); ${s.sweeps} sweeps so far, ${s.noticesRemembered} warnings remembered.${s.running ? ` Running now: <code>${escapeHtml(s.running.sweepId)}</code>.` : ''}</p><p class="audit">${auditLink('lifecycle', 'Who did what on the lifecycle (audit)')}</p></section>`);
  } else {
    parts.push(`<p class="banner notice">${escapeHtml(view.problem ?? 'the lifecycle workflow is not running')}</p>`);
  }
  for (const row of view.running) {
    const r = row.report;
    const approve = r?.status === 'awaiting-approval' ? actionForm(ctx, `/api/lifecycle/sweeps/${encodeURIComponent(row.sweepId)}/approve`, `Approve ${row.sweepId}`) : '';
    parts.push(`<section aria-labelledby="run-${escapeHtml(row.sweepId)}"><h2 id="run-${escapeHtml(row.sweepId)}">Running sweep ${escapeHtml(row.sweepId)}</h2>${r?.status === 'awaiting-approval' ? '<div class="banner stale" role="status"><h3>Waiting for approval</h3><p>This sweep is over its caps and acts only once approved.</p></div>' : ''}${r ? report(r) : `<p>${escapeHtml(row.problem ?? '')}</p>`}${approve} ${auditLink(row.sweepId, `Audit of ${row.sweepId}`)}</section>`);
  }
  parts.push(`<section aria-labelledby="lc-last"><h2 id="lc-last">Last sweep</h2>${view.lastReport ? report(view.lastReport) : '<p>No sweep has run yet.</p>'}</section>`);
  parts.push(`<section aria-labelledby="lc-plan"><h2 id="lc-plan">Upcoming plan</h2>${planSection(view, ctx, rawQuery)}</section>`);
  const exemptions = view.status?.exemptions ?? [];
  parts.push(`<section aria-labelledby="lc-ex"><h2 id="lc-ex">Exemptions</h2>${exemptions.length
    ? `<div class="scroll"><table><caption>Exempt resources</caption><thead><tr><th scope="col">Resource or project</th><th scope="col">Until</th><th scope="col">Reason</th><th scope="col">Added</th></tr></thead><tbody>${exemptions.map((e) =>
      `<tr><th scope="row"><code>${escapeHtml(e.id)}</code></th><td>${escapeHtml(e.until)}</td><td>${escapeHtml(e.reason)}</td><td>${time(e.addedAt)}</td></tr>`).join('')}</tbody></table></div>`
    : '<p>No exemptions.</p>'}${actionForm(ctx, '/api/lifecycle/exempt', 'Exempt', [
    { name: 'resourceId', label: 'Resource or project id' }, { name: 'until', label: 'Until (YYYY-MM-DD)' }, { name: 'reason', label: 'Reason' }])}</section>`);
  return renderPage(ctx, '/lifecycle', 'Resource lifecycle', parts.join('\n'));
}
