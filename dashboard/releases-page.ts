// The releases page: one section per train with its sprint timeline and today's marker, phase,
// what it waits for, tags per repo, release notes, and (with a token) approve/advance.
import { auditLink } from './audit-page.js';
import { type TrainStatus } from '../workflows/release-train-types.js';
import { actionForm, escapeHtml, link, renderPage, time, unreachableBanner, type PageContext } from './layout.js';
import { type ReleasesView, type TrainRow } from './model.js';

/** The calendar as a bar of phases, widths by duration, with a marker at `now`. */
export function timeline(s: TrainStatus, now: number): string {
  const start = Date.parse(s.calendar.start);
  const end = Date.parse(s.calendar.end);
  const span = Math.max(1, end - start);
  const phases = s.calendar.phases.map((p, i) => {
    const width = ((Date.parse(p.end) - Date.parse(p.start)) / span) * 100;
    const current = s.phase?.index === i;
    return `<div class="phase${current ? ' current' : ''}" style="width:${width.toFixed(2)}%" title="${escapeHtml(`${p.name} (${p.focus}) ${p.start} → ${p.end}`)}">${escapeHtml(p.name)}</div>`;
  }).join('');
  const at = (now - start) / span;
  const marker = at >= 0 && at <= 1
    ? `<div class="today" style="left:${(at * 100).toFixed(2)}%" aria-hidden="true"><span>today</span></div>`
    : '';
  const where = at < 0 ? 'starts later' : at > 1 ? 'calendar ended' : `${Math.round(at * 100)}% through the calendar`;
  return `<div class="timeline" role="img" aria-label="${escapeHtml(`Sprint calendar ${s.calendar.start.slice(0, 10)} to ${s.calendar.end.slice(0, 10)}, today: ${where}`)}">${phases}${marker}</div>`;
}

function waits(s: TrainStatus): string {
  if (s.waiting.length === 0) return '<p>Waiting for: nothing.</p>';
  const items = s.waiting.map((w) => {
    const pr = w.pullRequest ? ` — pull request ${link(w.pullRequest.url, `${w.pullRequest.repo}#${w.pullRequest.number}`)}` : '';
    const err = w.error ? ` <code>${escapeHtml(w.error.type)}</code>: ${escapeHtml(w.error.message)}` : '';
    return `<li><strong>${escapeHtml(w.kind)}</strong>${w.repo ? ` (${escapeHtml(w.repo)})` : ''} since ${time(w.since)}: ${escapeHtml(w.reason)}${pr}${err}</li>`;
  }).join('');
  return `<p>Waiting for:</p><ul class="waits">${items}</ul>`;
}

function repos(s: TrainStatus): string {
  const tagNames = s.tags.map((t) => t.tag);
  const head = `<tr><th scope="col">Repository</th><th scope="col">Branch</th><th scope="col">State</th><th scope="col">Last merge</th>${tagNames.map((t) => `<th scope="col">${escapeHtml(t)}</th>`).join('')}</tr>`;
  const rows = s.repos.map((r) => {
    const merge = r.lastMerge ? `${escapeHtml(r.lastMerge.kind)} ${escapeHtml(r.lastMerge.status)} ${time(r.lastMerge.at)}` : '—';
    const tags = s.tags.map((t) => {
      const hit = t.repos.find((x) => x.repo === r.name);
      return `<td>${hit ? `<code title="${escapeHtml(hit.sha)}">${escapeHtml(hit.sha.slice(0, 10))}</code>` : '—'}</td>`;
    }).join('');
    return `<tr><th scope="row">${escapeHtml(r.name)}</th><td>${escapeHtml(r.branch)}</td><td>${escapeHtml(r.state)}</td><td>${merge}</td>${tags}</tr>`;
  }).join('');
  return `<table><caption>Repositories and tags of v${s.version}</caption><thead>${head}</thead><tbody>${rows}</tbody></table>`;
}

function trainSection(row: TrainRow, ctx: PageContext): string {
  const id = `train-${escapeHtml(row.workflowId)}`;
  const s = row.status;
  if (!s) {
    return `<section id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${escapeHtml(row.workflowId)}</h2><p class="banner notice">${escapeHtml(row.problem ?? 'not running')}</p></section>`;
  }
  const phase = s.phase ? `${escapeHtml(s.phase.name)} (${escapeHtml(s.phase.focus)}) until ${time(s.phase.end)}` : s.stage === 'cycle' ? 'past the last phase' : '—';
  const actions = [
    s.stage === 'cycle' || s.stage === 'branching' ? actionForm(ctx, `/api/releases/${s.version}/advance`, `Advance v${s.version}`) : '',
    s.stage === 'cycle' && !s.approved ? actionForm(ctx, `/api/releases/${s.version}/approve`, `Approve v${s.version}`) : '',
  ].join('');
  const releases = s.githubReleases.length ? `<p>GitHub releases: ${s.githubReleases.map((r) => escapeHtml(r)).join(', ')}</p>` : '';
  return `<section id="${id}" aria-labelledby="${id}-h">
<h2 id="${id}-h">v${s.version} <span class="codename">${escapeHtml(s.codename)}</span></h2>
<p class="audit">${auditLink(s.workflowId, `Who did what on ${s.workflowId}`)}</p>
${timeline(s, ctx.now)}
<dl><dt>Stage</dt><dd class="stage">${escapeHtml(s.stage)}${s.runs > 1 ? ` (run ${s.runs})` : ''}</dd><dt>Phase</dt><dd class="phase-now">${phase}</dd>
<dt>Approved</dt><dd>${s.approved ? 'yes' : s.autoApprove ? 'automatically at the end' : 'no'}</dd>
<dt>Trickle-downs</dt><dd>${s.trickleDowns}${s.lastTrickleDown ? `, last ${time(s.lastTrickleDown)}` : ''}</dd>
<dt>Tags</dt><dd>${s.tags.length ? s.tags.map((t) => escapeHtml(t.tag)).join(', ') : 'none yet'}</dd>
<dt>Release notes</dt><dd>${s.releaseNotes ? `<code>${escapeHtml(s.releaseNotes)}</code>` : 'not written yet'}</dd>
${s.nextTrain ? `<dt>Next train</dt><dd>${escapeHtml(s.nextTrain)}</dd>` : ''}</dl>
${waits(s)}
${repos(s)}
${releases}
${actions ? `<div class="actions">${actions}</div>` : ''}
</section>`;
}

/** The releases page. */
export function renderReleasesPage(view: ReleasesView, ctx: PageContext): string {
  let body: string;
  if (view.temporal === 'unreachable') body = unreachableBanner(ctx, view.error);
  else if (view.trains.length === 0) body = '<p>No release trains yet. Start one with <code>stratus release start &lt;N&gt;</code>.</p>';
  else body = view.trains.map((t) => trainSection(t, ctx)).join('\n');
  return renderPage(ctx, '/releases', 'Release trains', body);
}
