// The release calendar as inline SVG: a week axis, one lane per train with its phases as dated
// bars (a faint planned bar under any phase `advance` moved), tags as milestones, trickle-down
// merges as ticks, today's marker, and the next train's planned lane. Pure: lanes in, markup out.
import { DAY, WEEK, dayMonth, escapeHtml, isoDay, isoMinute, mondayOnOrBefore, num, svgOpen, title } from './svg.js';

/** One dated span of a lane. */
export interface LaneSpan {
  name: string;
  focus: string;
  start: string;
  end: string;
}

/** One lane of the calendar: a train, or the next train as planned. */
export interface CalendarLane {
  /** The workflow id (`release-v31`), or `release-v32` for the planned next train. */
  id: string;
  /** "v31 Ganymede". */
  label: string;
  /** The phases as they are (after any `advance`). */
  actual: LaneSpan[];
  /** The phases as configured from the calendar's start (same as `actual` when never advanced). */
  planned: LaneSpan[];
  /** Index of the running phase, if any. */
  current?: number;
  /** Tags made, as milestones. */
  tags: Array<{ tag: string; at: string }>;
  /** Trickle-down slots: `done` ones have passed (merged, or collapsed into the next merge). */
  ticks: Array<{ at: string; done: boolean }>;
  /** A lane planned from the calendar (the next train), not a running workflow. */
  next?: boolean;
}

const WIDTH = 1000;
const LABEL = 130;
const RIGHT = 10;
const AXIS = 30;
const LANE = 40;
const FOOT = 16;
/** Longest window drawn; lanes outside it keep their label, their bars are clipped. */
const MAX_WEEKS = 26;

/** The weeks drawn: starts on a Monday, at most {@link MAX_WEEKS}, around `now` when it can. */
export function calendarWindow(lanes: readonly CalendarLane[], now: number): { from: number; to: number } {
  const starts = lanes.flatMap((l) => [...l.actual, ...l.planned].map((p) => Date.parse(p.start)));
  const ends = lanes.flatMap((l) => [...l.actual, ...l.planned].map((p) => Date.parse(p.end)));
  const first = Math.min(...starts);
  const last = Math.max(...ends);
  let from = Math.max(first, now - 8 * WEEK);
  if (now > last) from = Math.max(first, last - MAX_WEEKS * WEEK);
  from = mondayOnOrBefore(from);
  const to = Math.min(mondayOnOrBefore(last + WEEK - DAY), from + MAX_WEEKS * WEEK);
  return { from, to: Math.max(to, from + WEEK) };
}

const spanText = (p: LaneSpan) => `${p.name} (${p.focus}): ${isoMinute(Date.parse(p.start))} → ${isoMinute(Date.parse(p.end))}`;
const sameSpan = (a: LaneSpan | undefined, b: LaneSpan) => a !== undefined && a.start === b.start && a.end === b.end;

/** The calendar picture; '' when there is no lane. Lanes wholly outside the weeks drawn are left out (and counted). */
export function renderCalendar(all: readonly CalendarLane[], now: number): string {
  if (all.length === 0) return '';
  const { from, to } = calendarWindow(all, now);
  const lanes = all.filter((l) => [...l.actual, ...l.planned].some((p) => Date.parse(p.end) > from && Date.parse(p.start) < to));
  const hidden = all.length - lanes.length;
  const plot = WIDTH - LABEL - RIGHT;
  const x = (ms: number) => LABEL + ((Math.min(Math.max(ms, from), to) - from) / (to - from)) * plot;
  const inside = (ms: number) => ms >= from && ms <= to;
  const height = AXIS + lanes.length * LANE + FOOT;
  const out: string[] = [];

  // Week axis: a line and a label per Monday, the month's name on the first Monday of a month.
  const weeks: string[] = [];
  for (let w = from; w <= to; w += WEEK) {
    const first = new Date(w).getUTCDate() <= 7;
    weeks.push(`<line class="week${first ? ' month' : ''}" x1="${num(x(w))}" x2="${num(x(w))}" y1="${AXIS - 6}" y2="${height - FOOT}"/>`);
    if (w < to) weeks.push(`<text class="axis" x="${num(x(w) + 3)}" y="${AXIS - 10}">${escapeHtml(dayMonth(w))}</text>`);
  }
  out.push(`<g class="weeks" data-weeks="${Math.round((to - from) / WEEK)}">${weeks.join('')}</g>`);

  lanes.forEach((lane, i) => {
    const y = AXIS + i * LANE;
    const parts: string[] = [];
    parts.push(`<text class="lane-label" x="4" y="${y + 20}">${escapeHtml(lane.label)}</text>`);
    if (lane.next) parts.push(`<text class="lane-sub" x="4" y="${y + 33}">planned</text>`);
    lane.actual.forEach((p, k) => {
      const planned = lane.planned[k];
      const moved = planned !== undefined && !sameSpan(planned, p);
      const s = Date.parse(p.start);
      const e = Date.parse(p.end);
      if (moved && Date.parse(planned.end) > from && Date.parse(planned.start) < to) {
        const ps = x(Date.parse(planned.start));
        parts.push(`<rect class="bar planned ph${k % 3}" data-bar="planned" x="${num(ps + 1)}" y="${y + 29}" width="${num(Math.max(1, x(Date.parse(planned.end)) - ps - 2))}" height="6">${title(`${planned.name} as planned: ${isoMinute(Date.parse(planned.start))} → ${isoMinute(Date.parse(planned.end))}`)}</rect>`);
      }
      if (e <= from || s >= to) return;
      const x1 = x(s);
      const w = Math.max(1, x(e) - x1);
      const cls = `bar ph${k % 3}${lane.current === k ? ' current' : ''}${lane.next ? ' next' : ''}`;
      const note = moved ? ` (planned ${isoDay(Date.parse(planned.start))} → ${isoDay(Date.parse(planned.end))})` : '';
      const label = w > p.name.length * 6.5 + 6 ? `<text class="bar-label" x="${num(x1 + 4)}" y="${y + 21}">${escapeHtml(p.name)}</text>` : '';
      parts.push(`<g data-bar="${lane.next ? 'next' : 'actual'}"><rect class="${cls}" x="${num(x1)}" y="${y + 8}" width="${num(w)}" height="18" rx="2">${title(spanText(p) + note)}</rect>${label}</g>`);
    });
    for (const t of lane.ticks) {
      const at = Date.parse(t.at);
      if (!inside(at)) continue;
      parts.push(`<line class="tick${t.done ? '' : ' scheduled'}" data-tick="${t.done ? 'done' : 'scheduled'}" x1="${num(x(at))}" x2="${num(x(at))}" y1="${y + 2}" y2="${y + 7}">${title(`trickle-down ${t.done ? 'slot passed' : 'scheduled'} ${isoMinute(at)}`)}</line>`);
    }
    for (const t of lane.tags) {
      const at = Date.parse(t.at);
      if (!inside(at)) continue;
      const cx = x(at);
      const cy = y + 17;
      parts.push(`<path class="milestone" data-milestone="${escapeHtml(t.tag)}" d="M${num(cx)} ${cy - 8}l7 8-7 8-7-8z">${title(`${t.tag} tagged ${isoMinute(at)}`)}</path>`);
    }
    out.push(`<g class="lane${lane.next ? ' next' : ''}" data-lane="${escapeHtml(lane.id)}">${parts.join('')}</g>`);
  });

  if (inside(now)) {
    const tx = num(x(now));
    out.push(`<g class="today" data-today="${isoDay(now)}"><line x1="${tx}" x2="${tx}" y1="${AXIS - 4}" y2="${height - FOOT + 2}"/><text x="${tx}" y="${height - 3}" text-anchor="middle">today</text>${title(`today, ${isoMinute(now)} UTC`)}</g>`);
  }
  const label = `Release calendar, ${isoDay(from)} to ${isoDay(to)}: ${lanes.length} lanes (${lanes.map((l) => l.label + (l.next ? ' planned' : '')).join(', ')})`;
  const note = hidden ? `<figcaption>${hidden} ${hidden === 1 ? 'train lies' : 'trains lie'} outside these weeks; each has its section below.</figcaption>` : '';
  return `<figure class="chart">${svgOpen('calendar', WIDTH, height, label)}${out.join('')}</svg>${note}</figure>`;
}
