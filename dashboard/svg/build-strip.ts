// A stream's build history as inline SVG: one cell per night over the last year (columns are
// weeks, rows Monday to Sunday), coloured by what that night's build did. Each status is one
// path (20 streams × 365 nights stay small) with `data-cells`; each week has a hover target whose
// <title> says what happened that week. Pure: builds in, markup out.
import { type BuildListEntry } from '../../workflows/image-stream-model.js';
import { DAY, WEEK, dayMonth, escapeHtml, isoDay, monthName, mondayOnOrBefore, svgOpen, title, utcDay } from './svg.js';

/** What one night shows; `none`: no build that night. */
export type NightStatus = 'revoked' | 'published' | 'failed' | 'advisory' | 'passed' | 'building' | 'none';

/** Drawing order and the class of each status. */
export const NIGHT_STATUSES: ReadonlyArray<{ status: NightStatus; cls: string; label: string }> = [
  { status: 'passed', cls: 'c-pass', label: 'passed' },
  { status: 'advisory', cls: 'c-adv', label: 'advisory failure' },
  { status: 'failed', cls: 'c-fail', label: 'failed' },
  { status: 'published', cls: 'c-pub', label: 'published' },
  { status: 'revoked', cls: 'c-rev', label: 'revoked' },
  { status: 'building', cls: 'c-build', label: 'building' },
  { status: 'none', cls: 'c-none', label: 'no build' },
];
const RANK: NightStatus[] = ['revoked', 'published', 'failed', 'advisory', 'passed', 'building', 'none'];
const LABEL = new Map(NIGHT_STATUSES.map((s) => [s.status, s.label]));

/** What one build counts as: a passed build whose advisory test failed is an "advisory failure". */
export function buildNight(b: BuildListEntry): NightStatus {
  if (b.status === 'revoked' || b.status === 'published' || b.status === 'building' || b.status === 'passed') {
    if (b.status === 'passed' && b.tests.some((t) => !t.passed && t.advisory)) return 'advisory';
    return b.status;
  }
  return 'failed';
}

/** The night's status: the most telling build of that UTC day wins (revoked over published over failed …). */
export function nightsByDay(builds: readonly BuildListEntry[]): Map<number, NightStatus> {
  const out = new Map<number, NightStatus>();
  for (const b of builds) {
    const day = utcDay(Date.parse(b.date));
    const s = buildNight(b);
    const seen = out.get(day);
    if (!seen || RANK.indexOf(s) < RANK.indexOf(seen)) out.set(day, s);
  }
  return out;
}

const PITCH = 12;
const CELL = 10;
const LEFT = 30;
const TOP = 16;
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** The last 365 nights up to `now`, with how many nights had each status. */
export function renderBuildStrip(stream: string, builds: readonly BuildListEntry[], now: number): { svg: string; counts: Record<NightStatus, number> } {
  const last = utcDay(now);
  const first = last - 364 * DAY;
  const origin = mondayOnOrBefore(first);
  const columns = Math.floor((last - origin) / WEEK) + 1;
  const nights = nightsByDay(builds);
  const paths = new Map<NightStatus, string[]>(NIGHT_STATUSES.map((s) => [s.status, []]));
  const counts = Object.fromEntries(NIGHT_STATUSES.map((s) => [s.status, 0])) as Record<NightStatus, number>;
  const hovers: string[] = [];
  const months: string[] = [];
  for (let c = 0; c < columns; c++) {
    const week = origin + c * WEEK;
    const x = LEFT + c * PITCH;
    const notes = new Map<NightStatus, string[]>();
    let passed = 0;
    for (let r = 0; r < 7; r++) {
      const day = week + r * DAY;
      if (day < first || day > last) continue;
      const s = nights.get(day) ?? 'none';
      counts[s]++;
      paths.get(s)!.push(`M${x} ${TOP + r * PITCH}h${CELL}v${CELL}h-${CELL}z`);
      if (s === 'passed') passed++;
      else notes.set(s, [...(notes.get(s) ?? []), `${DAYS[r]} ${new Date(day).getUTCDate()}`]);
      if (new Date(day).getUTCDate() === 1) months.push(`<text class="strip-axis" x="${x}" y="${TOP - 5}">${monthName(day)}</text>`);
    }
    const text = notes.size === 0 ? 'all passed' : `${[...notes].map(([st, days]) => `${LABEL.get(st)} ${days.join(', ')}`).join('; ')}${passed ? `; ${passed} passed` : ''}`;
    hovers.push(`<rect class="hit" x="${x - 1}" y="${TOP - 1}" width="${PITCH}" height="${7 * PITCH}">${title(`Week of ${dayMonth(week)}: ${text}`)}</rect>`);
  }
  const cells = NIGHT_STATUSES.filter((s) => paths.get(s.status)!.length > 0)
    .map((s) => `<path class="${s.cls}" data-cells="${paths.get(s.status)!.length}" d="${paths.get(s.status)!.join('')}"/>`).join('');
  const rows = [0, 2, 4].map((r) => `<text class="strip-axis" x="0" y="${TOP + r * PITCH + 9}">${DAYS[r]}</text>`).join('');
  const summary = NIGHT_STATUSES.filter((s) => counts[s.status] > 0).map((s) => `${counts[s.status]} ${s.label}`).join(', ');
  const label = `Nightly builds of ${stream}, ${isoDay(first)} to ${isoDay(last)}: ${summary}`;
  const width = LEFT + columns * PITCH;
  const svg = `<figure class="chart">${svgOpen('strip', width, TOP + 7 * PITCH, label, ` data-stream="${escapeHtml(stream)}" data-nights="365"`)}${months.join('')}${rows}${cells}<g class="hits">${hovers.join('')}</g></svg></figure>`;
  return { svg, counts };
}

/** The strip's legend with the counts of the year. */
export function stripLegend(counts: Record<NightStatus, number>): string {
  const shown = NIGHT_STATUSES.filter((s) => s.status !== 'building' || counts.building > 0);
  return `<ul class="legend" aria-label="Legend">${shown.map((s) => `<li><span class="swatch ${s.cls}"></span>${escapeHtml(s.label)} (${counts[s.status]})</li>`).join('')}</ul>`;
}
