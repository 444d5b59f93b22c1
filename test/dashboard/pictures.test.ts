// The SVG renderers and the plan's paging without a browser: the right number of lanes, bars,
// milestones, ticks, cells and chart segments for given data; planned against actual spans after
// `advance`; every text escaped; the plan's filters, pages, messages for bad fields and page sizes.
import { syntheticLifecycle } from '../../bench/dashboard.js';
import { renderImagesPage } from '../../dashboard/images-page.js';
import { type PageContext } from '../../dashboard/layout.js';
import { filterPlan, pageOf, parsePlanQuery, planHref, PLAN_PAGE_SIZE } from '../../dashboard/lifecycle-plan.js';
import { renderLifecyclePage } from '../../dashboard/lifecycle-page.js';
import { type ReleasesView, type TrainRow } from '../../dashboard/model.js';
import { calendarLanes, phaseLabel, renderReleasesPage } from '../../dashboard/releases-page.js';
import { renderBuildStrip } from '../../dashboard/svg/build-strip.js';
import { renderCalendar } from '../../dashboard/svg/calendar.js';
import { dueCounts, renderDueChart } from '../../dashboard/svg/due-chart.js';
import { type BuildListEntry } from '../../workflows/image-stream-model.js';
import { type PlanLine } from '../../workflows/lifecycle-sweep-types.js';
import { SEED_NOW, seededImages, seededLifecycle, seededReleases } from './seed.js';

const EVIL = '<script>alert("x")</script>';
const ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;';
const ctx: PageContext = { actions: false, now: SEED_NOW, temporalAddress: 'localhost:7233' };
const count = (html: string, re: RegExp) => html.match(new RegExp(re.source, 'g'))?.length ?? 0;
const svgOf = (html: string, cls: string) => html.slice(html.indexOf(`<svg class="${cls}"`), html.indexOf('</svg>', html.indexOf(`<svg class="${cls}"`)) + 6);

describe('release calendar', () => {
  const html = renderReleasesPage(seededReleases(), ctx);
  const svg = svgOf(html, 'calendar');

  it('draws a lane per running train, oldest first, then the next train planned from the newest one\'s end', () => {
    expect([...svg.matchAll(/<g class="lane[^"]*" data-lane="([^"]+)"/g)].map((m) => m[1])).toEqual(['release-v30', 'release-v31', 'release-v32']);
    expect(count(svg, /data-bar="actual"/)).toBe(6);
    expect(count(svg, /data-bar="next"/)).toBe(3);
    expect(svg).toContain('<title>Sprint 1 (bugs): 2025-03-12 09:00 → 2025-03-26 09:00</title>'); // v32 starts where v31 now ends
    expect(svg).toMatch(/^<svg class="calendar" viewBox="0 0 1000 \d+" role="img" aria-label="Release calendar, 2025-01-06 to 2025-04-21: 3 lanes \(v30 Callisto, v31 Ganymede, v32 planned\)">/);
  });

  it('keeps the planned span of every phase `advance` moved, beside the actual one', () => {
    const v31 = svg.slice(svg.indexOf('data-lane="release-v31"'), svg.indexOf('data-lane="release-v32"'));
    expect(count(v31, /data-bar="planned"/)).toBe(3);
    expect(v31).toContain('<title>Sprint 1 as planned: 2025-02-10 00:00 → 2025-02-24 00:00</title>');
    expect(v31).toContain('<title>Sprint 1 (bugs): 2025-02-10 00:00 → 2025-02-19 09:00 (planned 2025-02-10 → 2025-02-24)</title>');
    expect(v31).toContain('<title>Release as planned: 2025-03-10 00:00 → 2025-03-17 00:00</title>');
    const v30 = svg.slice(svg.indexOf('data-lane="release-v30"'), svg.indexOf('data-lane="release-v31"'));
    expect(count(v30, /data-bar="planned"/)).toBe(0);
    // and in words, in the train's list of phases
    expect(html).toMatch(/<span class="phase">Sprint 1<\/span><span class="focus">bugs<\/span><span class="dates"><time[^>]*>2025-02-10 00:00<\/time> → <time[^>]*>2025-02-19 09:00<\/time><\/span><span class="was">planned <time[^>]*>2025-02-10 00:00<\/time> → <time[^>]*>2025-02-24 00:00<\/time><\/span>/);
  });

  it('marks tags as milestones, trickle-down slots as ticks (passed or scheduled) and today', () => {
    expect([...svg.matchAll(/data-milestone="([^"]+)"/g)].map((m) => m[1])).toEqual(['v30-1', 'v30-2']);
    expect(svg).toContain('<title>v30-2 tagged 2025-02-24 14:30</title>');
    const v31 = svg.slice(svg.indexOf('data-lane="release-v31"'), svg.indexOf('data-lane="release-v32"'));
    expect(count(v31, /data-tick="done"/)).toBe(15); // weekdays 11 Feb … 3 Mar
    expect(count(v31, /data-tick="scheduled"/)).toBe(7); // 4 … 12 Mar
    const v30 = svg.slice(svg.indexOf('data-lane="release-v30"'), svg.indexOf('data-lane="release-v31"'));
    expect(count(v30, /data-tick="scheduled"/)).toBe(0); // released: every slot has passed
    expect(svg).toContain('<g class="today" data-today="2025-03-03">');
  });

  it('without the start settings (history unreadable) draws the calendar as it is, without planned bars', () => {
    const view = seededReleases();
    view.trains = view.trains.map(({ plan: _plan, ...t }) => t as TrainRow);
    const lanes = calendarLanes(view, SEED_NOW);
    expect(lanes.map((l) => l.id)).toEqual(['release-v30', 'release-v31', 'release-v32']);
    expect(lanes[1]!.planned).toEqual(lanes[1]!.actual);
    expect(lanes[1]!.ticks).toEqual([{ at: '2025-03-03T00:00:00.000Z', done: true }]);
    expect(count(renderCalendar(lanes, SEED_NOW), /data-bar="planned"/)).toBe(0);
  });

  it('plans the next lane after the newest train only, none when that train exists but does not run, nothing without trains', () => {
    const view = seededReleases();
    const v31 = view.trains[0]!;
    view.trains.unshift({ ...v31, workflowId: 'release-v32', status: { ...v31.status!, workflowId: 'release-v32', version: 32, codename: 'Io' } });
    expect(calendarLanes(view, SEED_NOW).map((l) => `${l.id}${l.next ? ' next' : ''}`)).toEqual(['release-v30', 'release-v31', 'release-v32', 'release-v33 next']);
    view.trains.unshift({ workflowId: 'release-v33', execution: 'TERMINATED', startTime: '2025-03-12T00:00:00.000Z', problem: 'release-v33 is not running (terminated)' });
    expect(calendarLanes(view, SEED_NOW).some((l) => l.next)).toBe(false);
    expect(renderCalendar([], SEED_NOW)).toBe('');
  });

  it('leaves out lanes wholly outside the weeks drawn, and says how many', () => {
    const lanes = calendarLanes(seededReleases(), SEED_NOW);
    const old = { ...lanes[0]!, id: 'release-v20', label: 'v20 Old', actual: [{ name: 'Sprint 1', focus: 'bugs', start: '2024-01-01T00:00:00.000Z', end: '2024-01-15T00:00:00.000Z' }], planned: [], tags: [], ticks: [] };
    const svg = renderCalendar([old, ...lanes], SEED_NOW);
    expect(count(svg, /data-lane=/)).toBe(3);
    expect(svg).toContain('<figcaption>1 train lies outside these weeks; each has its section below.</figcaption>');
  });

  it('escapes codenames and tag names in labels, titles and data attributes', () => {
    const view: ReleasesView = seededReleases();
    const v30 = view.trains[1]!.status!;
    v30.codename = EVIL;
    v30.tags[0]!.tag = `v30-1${EVIL}`;
    v30.calendar.phases[0]!.name = EVIL;
    const page = renderReleasesPage(view, ctx);
    expect(page).not.toContain('<script>');
    expect(svgOf(page, 'calendar')).toContain(`<text class="lane-label" x="4" y="50">v30 ${ESCAPED}</text>`);
    expect(page).toContain(`data-milestone="v30-1${ESCAPED}"`);
    expect(page).toContain(`<title>v30-1${ESCAPED} tagged`);
  });

  it('says a train whose calendar has not started is not started, and when sprint 1 starts', () => {
    const s = { ...seededReleases().trains[0]!.status!, phase: null };
    expect(phaseLabel(s, Date.parse('2025-02-01T00:00:00Z'))).toBe('not started (Sprint 1 starts <time datetime="2025-02-10T00:00:00.000Z">2025-02-10 00:00</time>)');
    expect(phaseLabel(s, Date.parse('2025-04-01T00:00:00Z'))).toBe('past the last phase');
    expect(phaseLabel({ ...s, stage: 'patching' }, Date.parse('2025-04-01T00:00:00Z'))).toBe('—');
    const page = renderReleasesPage({ temporal: 'ok', trains: [{ ...seededReleases().trains[0]!, status: s }] }, { ...ctx, now: Date.parse('2025-02-01T00:00:00Z') });
    expect(page).toContain('<dd class="phase-now">not started (Sprint 1 starts <time datetime="2025-02-10T00:00:00.000Z">');
    expect(page).not.toContain('past the last phase');
  });
});

describe('build strip', () => {
  const build = (day: string, status: BuildListEntry['status'], advisoryFailed = false): BuildListEntry => ({
    id: `s-${day.replaceAll('-', '')}.1`, stream: 's', date: `${day}T02:00:00.000Z`, status, artifacts: [], reason: null, trackerUrl: null,
    tests: [{ name: 'boot', passed: status !== 'failed', advisory: false }, { name: 'lint', passed: !advisoryFailed, advisory: true }],
  });

  it('has one cell per night of the last 365, coloured by the most telling build of the night', () => {
    const builds = [
      build('2024-01-01', 'failed'), // more than a year ago: not drawn
      build('2025-03-01', 'passed'), build('2025-03-02', 'passed', true), build('2025-03-03', 'failed'),
      build('2025-02-20', 'published'), build('2025-02-06', 'revoked'), build('2025-02-07', 'failed-manually'),
      build('2025-02-10', 'failed'), build('2025-02-10', 'passed'), // rebuilt the same night: the failure shows
    ];
    const { svg, counts } = renderBuildStrip('s', builds, SEED_NOW);
    expect(counts).toEqual({ passed: 1, advisory: 1, failed: 3, published: 1, revoked: 1, building: 0, none: 358 });
    const cells = Object.fromEntries([...svg.matchAll(/<path class="(c-[a-z]+)" data-cells="(\d+)" d="([^"]+)"/g)].map((m) => [m[1], { n: Number(m[2]), shapes: count(m[3]!, /M/) }]));
    expect(cells).toEqual({ 'c-pass': { n: 1, shapes: 1 }, 'c-adv': { n: 1, shapes: 1 }, 'c-fail': { n: 3, shapes: 3 }, 'c-pub': { n: 1, shapes: 1 }, 'c-rev': { n: 1, shapes: 1 }, 'c-none': { n: 358, shapes: 358 } });
    expect(count(svg, /<rect class="hit"/)).toBe(53);
    expect(svg).toContain('<title>Week of 3 Mar: failed Mon 3</title>');
    expect(svg).toContain('<title>Week of 24 Feb: no build Mon 24, Tue 25, Wed 26, Thu 27, Fri 28; advisory failure Sun 2; 1 passed</title>');
    expect(svg).toContain('aria-label="Nightly builds of s, 2024-03-04 to 2025-03-03: 1 passed, 1 advisory failure, 3 failed, 1 published, 1 revoked, 358 no build"');
  });

  it('sits under the banners and the published image; the table keeps only the newest builds; stream names are escaped', () => {
    const view = seededImages();
    const html = renderImagesPage(view, ctx);
    expect(count(html, /<svg class="strip"/)).toBe(3);
    const centos = html.slice(html.indexOf('id="stream-centos-base"'), html.indexOf('id="stream-fedora-cloud"'));
    expect(centos.indexOf('banner revoked')).toBeLessThan(centos.indexOf('<h3>Published'));
    expect(centos.indexOf('<h3>Published')).toBeLessThan(centos.indexOf('<svg class="strip"'));
    expect(centos).toContain('<caption>The newest 10 of 200 builds of centos-base (date × test)</caption>');
    expect(count(centos, /<tr><td><time/)).toBe(10);
    expect(renderBuildStrip(EVIL, [], SEED_NOW).svg).toContain(`data-stream="${ESCAPED}"`);
  });
});

describe('due-actions chart', () => {
  const line = (dueAt: string, action: PlanLine['action']): PlanLine => ({ resource: { type: 'server', id: 'i', name: 'n', project: 'p' }, action, rule: 'shelve-stopped', reason: 'r', dueAt });

  it('stacks the kinds per day, overdue first, and counts what falls after the 60 days', () => {
    const items = [
      line('2025-02-20T03:00:00Z', 'delete'), line('2025-03-02T03:00:00Z', 'notify'), // overdue
      line('2025-03-03T03:00:00Z', 'notify'), line('2025-03-03T23:59:00Z', 'shelve'), line('2025-03-03T12:00:00Z', 'shelve'),
      line('2025-03-10T03:00:00Z', 'unfeature'), line('2025-05-01T03:00:00Z', 'delete'), // day 59 is 1 May
      line('2025-05-02T03:00:00Z', 'delete'), // later
    ];
    const { bars, later } = dueCounts(items, SEED_NOW);
    expect(bars).toHaveLength(61);
    expect(bars[0]).toEqual({ delete: 1, notify: 1 });
    expect(bars[1]).toEqual({ notify: 1, shelve: 2 });
    expect(bars[8]).toEqual({ unfeature: 1 });
    expect(bars[60]).toEqual({ delete: 1 });
    expect(later).toBe(1);
    const svg = renderDueChart(items, SEED_NOW);
    expect(count(svg, /<rect class="k-/g)).toBe(6);
    expect(svg).toContain('<rect class="k-shelve" data-kind="shelve" data-day="2025-03-03" data-count="2"');
    expect(svg).toContain('<title>overdue: 1 delete</title>');
    expect(svg).toContain('aria-label="Due actions per day, overdue and the next 60 days from 2025-03-03: 2 warn, 2 shelve, 2 delete, 1 unfeature; 1 due later"');
    expect(svg).toContain('<li>1 due after 2025-05-01</li>');
  });
});

describe('plan table', () => {
  const big = syntheticLifecycle(20_000);
  const bctx: PageContext = { ...ctx, now: Date.parse('2025-01-26T00:00:00Z') };

  it('shows 200 rows a page; each page of a 20,000-item plan stays under 300 KB', () => {
    for (const q of [{}, { page: '50' }, { page: '100' }]) {
      const html = renderLifecyclePage(big, bctx, q);
      expect(count(html, /<tr><td><time/)).toBe(PLAN_PAGE_SIZE);
      expect(Buffer.byteLength(html)).toBeLessThan(300 * 1024);
    }
    expect(renderLifecyclePage(big, bctx, { page: '100' })).toContain('Page 100 of 100 (items 19801–20000 of 20000)');
  });

  it('filters by project, action and rule, soonest due first, and the pager keeps the filters', () => {
    const { query, problems } = parsePlanQuery({ project: 'project-7', action: 'delete', rule: 'delete-shelved' });
    expect(problems).toEqual([]);
    const rows = filterPlan(big.plan!.items, query);
    expect(rows).toHaveLength(big.plan!.items.filter((p) => p.resource.project === 'project-7' && p.action === 'delete').length);
    expect(rows.every((p) => p.resource.project === 'project-7' && p.action === 'delete' && p.rule === 'delete-shelved')).toBe(true);
    expect(rows.map((p) => p.dueAt)).toEqual([...rows.map((p) => p.dueAt)].sort());
    expect(parsePlanQuery({ action: 'warn' }).query.action).toBe('notify');
    expect(planHref({ ...query, page: 1 }, 2)).toBe('/lifecycle?project=project-7&action=delete&rule=delete-shelved&page=2#lc-plan');
    const html = renderLifecyclePage(seededLifecycle(), ctx, { action: 'shelve', page: '2' });
    expect(html).toContain('<a rel="prev" href="/lifecycle?action=shelve#lc-plan">');
    expect(html).toContain('<option value="shelve" selected>shelve</option>');
  });

  it('names the bad field and still shows the rest', () => {
    expect(parsePlanQuery({ page: '0', action: 'purge', rule: 'nuke', project: 'x'.repeat(129) }).problems).toEqual([
      'page: must be a whole number from 1, got "0"',
      'project: must be at most 128 printable characters',
      'action: must be one of warn, shelve, delete, unfeature, got "purge"',
      'rule: must be one of shelve-stopped, delete-shelved, expire-allocation, retire-eol-images, warn-image-dependants, got "nuke"',
    ]);
    expect(pageOf([1, 2, 3], 5, 2)).toEqual({ rows: [3], page: 2, pages: 2, problem: 'page: there are only 2 pages; showing the last' });
    const html = renderLifecyclePage(seededLifecycle(), ctx, { page: 'abc', project: 'genomics' });
    expect(html).toContain('<div class="banner revoked" role="alert"><ul><li>page: must be a whole number from 1, got &quot;abc&quot;</li></ul></div>');
    expect(html).toContain('value="genomics"');
    expect(renderLifecyclePage(seededLifecycle(), ctx, { project: 'nobody' })).toContain('No item of the plan matches the filter (1500 items in all).');
  });

  it('escapes the project in the form and the plan text in the table', () => {
    const html = renderLifecyclePage(syntheticLifecycle(3, (s) => `${s}${EVIL}`), ctx, { project: EVIL });
    expect(html).not.toContain('<script>');
    expect(html).toContain(`value="${ESCAPED}"`);
    const all = renderLifecyclePage(syntheticLifecycle(3, (s) => `${s}${EVIL}`), ctx);
    expect(all).toContain(`server-0${ESCAPED}`);
  });
});
