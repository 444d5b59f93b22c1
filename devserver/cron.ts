// Cron schedules as the real server reads them (robfig/cron): five fields
// (minute hour day-of-month month day-of-week) with *, lists, ranges, steps and month / day
// names, and the descriptors @yearly @annually @monthly @weekly @daily @midnight @hourly and
// @every <duration>. Day of month and day of week, when both are restricted, match either.
// Times are UTC unless the schedule starts with `CRON_TZ=<zone>` or `TZ=<zone>` (an IANA zone):
// then the fields match that zone's wall clock (a time a DST change skips does not fire, one it
// repeats fires twice).
import { nextInZone, wallClock } from './time-zones.js';

export interface CronSchedule {
  /** the first scheduled time strictly after `t` (ms since the epoch) */
  next(t: number): number;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

interface Field {
  values: Set<number>;
  star: boolean;
}

function parseField(text: string, min: number, max: number, names?: string[]): Field {
  const values = new Set<number>();
  const value = (s: string): number => {
    const i = names ? names.indexOf(s.toUpperCase()) : -1;
    if (i >= 0) return i + (names === MONTHS ? 1 : 0);
    if (!/^\d+$/.test(s)) throw new Error(`"${s}" is not a number`);
    return Number(s);
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step <= 0) throw new Error(`bad step in "${part}"`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      [lo, hi] = [min, max];
    } else if (range!.includes('-')) {
      const [a, b] = range!.split('-');
      [lo, hi] = [value(a!), value(b!)];
    } else {
      lo = value(range!);
      hi = stepText === undefined ? lo : max;
    }
    if (lo < min || hi > max || lo > hi) throw new Error(`"${part}" is out of range ${min}-${max}`);
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, star: text === '*' || text === '?' };
}

function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched += m[0].length;
  }
  if (matched !== text.length || matched === 0) throw new Error(`"${text}" is not a duration (e.g. 90s, 1h30m)`);
  return total;
}

/** Parses a cron schedule; throws an Error saying what is wrong. */
export function parseCron(spec: string): CronSchedule {
  let text = spec.trim();
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(text);
  if (tz) text = text.slice(tz[0].length);
  const wallOf = tz ? wallClock(tz[1]!) : undefined;
  if (text.startsWith('@every ')) {
    const ms = Math.floor(parseDuration(text.slice(7).trim()) / 1000) * 1000;
    if (ms < 1000) throw new Error('@every needs at least one second');
    return { next: (t) => Math.floor(t / 1000) * 1000 + ms };
  }
  text = DESCRIPTORS[text] ?? text;
  const parts = text.split(/\s+/);
  if (parts.length !== 5) throw new Error(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const minute = parseField(parts[0]!, 0, 59);
  const hour = parseField(parts[1]!, 0, 23);
  const dom = parseField(parts[2]!, 1, 31);
  const month = parseField(parts[3]!, 1, 12, MONTHS);
  const dow = parseField(parts[4]!, 0, 7, DAYS);
  if (dow.values.has(7)) dow.values.add(0);
  const dayMatches = (d: Date): boolean => {
    const a = dom.values.has(d.getUTCDate());
    const b = dow.values.has(d.getUTCDay());
    return dom.star || dow.star ? a && b : a || b;
  };
  /** The first matching minute at or after wall time `w` (ms on a UTC-labelled line). */
  const firstAtOrAfter = (w: number): number | undefined => {
    const d = new Date(Math.ceil(w / 60_000) * 60_000);
    const limit = w + 5 * 366 * 86_400_000;
    while (d.getTime() < limit) {
      if (!month.values.has(d.getUTCMonth() + 1)) {
        d.setUTCMonth(d.getUTCMonth() + 1, 1);
        d.setUTCHours(0, 0, 0, 0);
      } else if (!dayMatches(d)) {
        d.setUTCDate(d.getUTCDate() + 1);
        d.setUTCHours(0, 0, 0, 0);
      } else if (!hour.values.has(d.getUTCHours())) {
        d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
      } else if (!minute.values.has(d.getUTCMinutes())) {
        d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
      } else {
        return d.getTime();
      }
    }
    return undefined;
  };
  return {
    next(t: number): number {
      const n = wallOf ? nextInZone(wallOf, t, firstAtOrAfter) : firstAtOrAfter(t + 1);
      if (n === undefined) throw new Error(`cron schedule "${spec}" never fires`);
      return n;
    },
  };
}

/**
 * The wait until the next cron run after a run that was due at `scheduledAt` and closes at
 * `now`, as the real server computes it (skipping times already past).
 */
export function cronBackoffMs(schedule: CronSchedule, scheduledAt: number, now: number): number {
  let next = schedule.next(scheduledAt);
  while (next < now) next = schedule.next(next);
  return next - now;
}
