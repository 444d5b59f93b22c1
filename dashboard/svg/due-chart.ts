// Due lifecycle actions per day over the next 60 days as a stacked bar chart (warn, shelve,
// delete, unfeature), items already due stacked in a first "overdue" bar. Each segment is a
// rect with `data-kind`, `data-day` and `data-count` and a <title>. Pure: plan lines in, markup out.
import { type PlanLine } from '../../workflows/lifecycle-sweep-types.js';
import { DAY, dayMonth, isoDay, num, svgOpen, title, utcDay } from './svg.js';

/** Days drawn after today (today included). */
export const DUE_DAYS = 60;

/** The stacking order, bottom first, with what the legend calls each. */
export const DUE_KINDS: ReadonlyArray<{ action: PlanLine['action']; label: string }> = [
  { action: 'notify', label: 'warn' },
  { action: 'shelve', label: 'shelve' },
  { action: 'delete', label: 'delete' },
  { action: 'unfeature', label: 'unfeature' },
];

/** Counts per bar (0 = overdue, 1 … 60 = today … today + 59) and kind; items further out are counted in `later`. */
export function dueCounts(items: readonly PlanLine[], now: number): { bars: Array<Record<string, number>>; later: number } {
  const today = utcDay(now);
  const bars = Array.from({ length: DUE_DAYS + 1 }, () => ({}) as Record<string, number>);
  let later = 0;
  for (const p of items) {
    const due = Date.parse(p.dueAt);
    const i = due < today ? 0 : Math.floor((due - today) / DAY) + 1;
    if (i > DUE_DAYS) {
      later++;
      continue;
    }
    const bar = bars[i]!;
    bar[p.action] = (bar[p.action] ?? 0) + 1;
  }
  return { bars, later };
}

const WIDTH = 1000;
const LEFT = 44;
const TOP = 10;
const PLOT = 180;
const BOTTOM = 36;

/** A "nice" axis maximum ≥ n (1, 2, 5 × 10^k). */
function niceMax(n: number): number {
  if (n <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= n)!;
}

/** The chart and its totals per kind. */
export function renderDueChart(items: readonly PlanLine[], now: number): string {
  const { bars, later } = dueCounts(items, now);
  const totals = bars.map((b) => Object.values(b).reduce((a, c) => a + c, 0));
  const max = niceMax(Math.max(1, ...totals));
  // The overdue bar stands apart: one empty slot between it and today.
  const slot = (WIDTH - LEFT - 8) / (bars.length + 1);
  const today = utcDay(now);
  const out: string[] = [];
  for (const frac of [0, 0.5, 1]) {
    const y = TOP + PLOT - frac * PLOT;
    out.push(`<line class="${frac === 0 ? 'baseline' : 'gridline'}" x1="${LEFT}" x2="${WIDTH - 8}" y1="${num(y)}" y2="${num(y)}"/><text class="axis" x="${LEFT - 6}" y="${num(y + 4)}" text-anchor="end">${num(frac * max)}</text>`);
  }
  bars.forEach((bar, i) => {
    const x = LEFT + (i === 0 ? 0 : i + 1) * slot + slot * 0.12;
    const w = slot * 0.76;
    const day = today + (i - 1) * DAY;
    const when = i === 0 ? 'overdue' : isoDay(day);
    let y = TOP + PLOT;
    const segs: string[] = [];
    for (const k of DUE_KINDS) {
      const n = bar[k.action] ?? 0;
      if (n === 0) continue;
      const h = (n / max) * PLOT;
      y -= h;
      segs.push(`<rect class="k-${k.action}" data-kind="${k.label}" data-day="${when}" data-count="${n}" x="${num(x)}" y="${num(y)}" width="${num(w)}" height="${num(Math.max(h, 0.5))}">${title(`${when}: ${n} ${k.label}`)}</rect>`);
    }
    if (segs.length) out.push(`<g data-bar="${when}" data-total="${totals[i]}">${segs.join('')}</g>`);
    if (i === 0 || (i - 1) % 7 === 0) {
      out.push(i === 0
        ? `<text class="axis" x="${num(x)}" y="${TOP + PLOT + 30}">overdue</text>`
        : `<text class="axis" x="${num(x + w / 2)}" y="${TOP + PLOT + 16}" text-anchor="middle">${i === 1 ? 'today' : dayMonth(day)}</text>`);
    }
  });
  const sum = (a: PlanLine['action']) => bars.reduce((t, b) => t + (b[a] ?? 0), 0);
  const label = `Due actions per day, overdue and the next ${DUE_DAYS} days from ${isoDay(today)}: ${DUE_KINDS.map((k) => `${sum(k.action)} ${k.label}`).join(', ')}${later ? `; ${later} due later` : ''}`;
  const legend = `<ul class="legend" aria-label="Legend">${DUE_KINDS.map((k) => `<li><span class="swatch k-${k.action}"></span>${k.label} (${sum(k.action)})</li>`).join('')}${later ? `<li>${later} due after ${isoDay(today + (DUE_DAYS - 1) * DAY)}</li>` : ''}</ul>`;
  return `<figure class="chart">${svgOpen('due', WIDTH, TOP + PLOT + BOTTOM, label)}${out.join('')}</svg></figure>${legend}`;
}
