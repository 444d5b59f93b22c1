// The releases page: the calendar of every train (svg/calendar.ts), then one section per train
// with its phases (planned and actual dates), phase, what it waits for, tags per repo, release
// notes, and (with a token) approve/advance.
import { computeCalendar, slotsBetween, type Phase } from '../workflows/release-calendar.js';
import { auditLink } from './audit-page.js';
import { type TrainStatus } from '../workflows/release-train-types.js';
import { actionForm, escapeHtml, link, renderPage, time, unreachableBanner, type PageContext } from './layout.js';
import { type ReleasesView, type TrainPlanSettings, type TrainRow } from './model.js';
import { renderCalendar, type CalendarLane } from './svg/calendar.js';

/** The phases as configured, laid out from the calendar's start (an `advance` never moves the start). */
export function plannedPhases(s: TrainStatus, plan: TrainPlanSettings | undefined): Phase[] {
  if (!plan) return s.calendar.phases;
  try {
    return computeCalendar(s.calendar.start, plan.sprints).phases;
  } catch {
    return s.calendar.phases;
  }
}

/** Trickle-down slots of the cycle: passed ones up to the last merge (or now), the rest scheduled. */
function trickleTicks(s: TrainStatus, plan: TrainPlanSettings | undefined, now: number): CalendarLane['ticks'] {
  const merged = s.lastTrickleDown ? [{ at: s.lastTrickleDown, done: true }] : [];
  if (!plan || plan.trickleDown === 'never' || !s.repos.some((r) => r.target === 'release-branch')) return merged;
  try {
    const slots = slotsBetween(plan.trickleDown, s.calendar.start, s.calendar.end, { timeOfDay: plan.trickleDownAt });
    const doneUntil = s.stage === 'cycle' || s.stage === 'branching' ? now : Date.parse(s.calendar.end);
    return slots.map((at) => ({ at, done: Date.parse(at) <= doneUntil }));
  } catch {
    return merged;
  }
}

/** The calendar's lanes: one per train that answered, oldest first, then the next train as planned. */
export function calendarLanes(view: ReleasesView, now: number): CalendarLane[] {
  const rows = view.trains.filter((t): t is TrainRow & { status: TrainStatus } => t.status !== undefined)
    .sort((a, b) => a.status.version - b.status.version);
  const lanes: CalendarLane[] = rows.map(({ status: s, plan }) => ({
    id: s.workflowId,
    label: `v${s.version} ${s.codename}`,
    actual: s.calendar.phases,
    planned: plannedPhases(s, plan),
    ...(s.phase ? { current: s.phase.index } : {}),
    tags: s.tags.map((t) => ({ tag: t.tag, at: t.at })),
    ticks: trickleTicks(s, plan, now),
  }));
  const newest = rows[rows.length - 1];
  const known = new Set(view.trains.map((t) => t.workflowId));
  if (newest && !known.has(`release-v${newest.status.version + 1}`)) {
    const sprints = newest.plan?.sprints ?? newest.status.calendar.phases.map((p) => ({ name: p.name, focus: p.focus, length: `${Math.max(1, Math.round((Date.parse(p.end) - Date.parse(p.start)) / 60_000))}m` }));
    const next = computeCalendar(newest.status.calendar.end, sprints).phases;
    lanes.push({ id: `release-v${newest.status.version + 1}`, label: `v${newest.status.version + 1}`, actual: next, planned: next, tags: [], ticks: [], next: true });
  }
  return lanes;
}

const LEGEND = `<ul class="legend" aria-label="Legend">
<li><span class="swatch ph0"></span>first sprint</li><li><span class="swatch ph1"></span>second sprint</li><li><span class="swatch ph2"></span>release sprint</li>
<li><span class="swatch current"></span>running now</li><li><span class="swatch planned"></span>as planned, before <code>advance</code></li>
<li><span class="swatch next"></span>next train, planned</li><li><span class="swatch milestone"></span>tag</li><li><span class="swatch tick"></span>trickle-down merge slot</li><li><span class="swatch today"></span>today</li></ul>`;

/** The phases of one train as text: actual and planned dates side by side, today's phase marked. */
export function phaseTable(s: TrainStatus, plan: TrainPlanSettings | undefined, now: number): string {
  const planned = plannedPhases(s, plan);
  const items = s.calendar.phases.map((p, i) => {
    const was = planned[i];
    const moved = was && (was.start !== p.start || was.end !== p.end);
    const running = now >= Date.parse(p.start) && now < Date.parse(p.end);
    return `<li${running ? ' class="now"' : ''}><span class="phase">${escapeHtml(p.name)}</span><span class="focus">${escapeHtml(p.focus)}</span><span class="dates">${time(p.start)} → ${time(p.end)}</span><span class="was">${moved ? `planned ${time(was.start)} → ${time(was.end)}` : 'as planned'}</span>${running ? '<span class="today">today</span>' : ''}</li>`;
  }).join('');
  return `<ol class="timeline" aria-label="Phases of v${s.version}">${items}</ol>`;
}

/** Where the train is in its calendar, in words. */
export function phaseLabel(s: TrainStatus, now: number): string {
  if (s.phase) return `${escapeHtml(s.phase.name)} (${escapeHtml(s.phase.focus)}) until ${time(s.phase.end)}`;
  const first = s.calendar.phases[0];
  if (now < Date.parse(s.calendar.start) && first) return `not started (${escapeHtml(first.name)} starts ${time(first.start)})`;
  return s.stage === 'cycle' && now >= Date.parse(s.calendar.end) ? 'past the last phase' : '—';
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
  return `<div class="scroll"><table><caption>Repositories and tags of v${s.version}</caption><thead>${head}</thead><tbody>${rows}</tbody></table></div>`;
}

function trainSection(row: TrainRow, ctx: PageContext): string {
  const id = `train-${escapeHtml(row.workflowId)}`;
  const s = row.status;
  if (!s) {
    return `<section id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${escapeHtml(row.workflowId)}</h2><p class="banner notice">${escapeHtml(row.problem ?? 'not running')}</p></section>`;
  }
  const phase = phaseLabel(s, ctx.now);
  const actions = [
    s.stage === 'cycle' || s.stage === 'branching' ? actionForm(ctx, `/api/releases/${s.version}/advance`, `Advance v${s.version}`) : '',
    s.stage === 'cycle' && !s.approved ? actionForm(ctx, `/api/releases/${s.version}/approve`, `Approve v${s.version}`) : '',
  ].join('');
  const releases = s.githubReleases.length ? `<p>GitHub releases: ${s.githubReleases.map((r) => escapeHtml(r)).join(', ')}</p>` : '';
  return `<section id="${id}" aria-labelledby="${id}-h">
<h2 id="${id}-h">v${s.version} <span class="codename">${escapeHtml(s.codename)}</span></h2>
<p class="audit">${auditLink(s.workflowId, `Who did what on ${s.workflowId}`)}</p>
${phaseTable(s, row.plan, ctx.now)}
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
  else {
    const calendar = renderCalendar(calendarLanes(view, ctx.now), ctx.now);
    body = `${calendar ? `<section aria-labelledby="cal-h" class="calendar-section"><h2 id="cal-h">Calendar</h2>${calendar}${LEGEND}</section>` : ''}\n${view.trains.map((t) => trainSection(t, ctx)).join('\n')}`;
  }
  return renderPage(ctx, '/releases', 'Release trains', body);
}
