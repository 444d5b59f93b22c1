// Schedule specs as the real server reads them (temporal.api.schedule.v1.ScheduleSpec): calendar
// strings and cron strings are compiled into structured calendars (and @every into intervals),
// which is what DescribeSchedule shows; the times of a spec are the union of its calendars and
// intervals minus the excluded calendars, inside [startTime, endTime], each delayed by a jitter
// (the real server's: FarmHash of the time and `<namespace id>-<schedule id>`, so the same time
// always gets the same delay, the one the real server gives it).
// Calendars match the wall clock of `timezoneName` (UTC by default) literally: a 02:30 that a
// DST change skips does not fire, a 01:30 it repeats fires twice.
import { fingerprint32 } from './farmhash.js';
import { nextInZone, wallClock } from './time-zones.js';
import { type Msg, durationToMs, invalidArgument, tsToMs } from './proto.js';

interface Range {
  start: number;
  end: number;
  step: number;
}
type Calendar = Record<(typeof FIELDS)[number], Range[]>;

const FIELDS = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'year', 'dayOfWeek'] as const;
const BOUNDS: Record<(typeof FIELDS)[number], [number, number]> = {
  second: [0, 59], minute: [0, 59], hour: [0, 23], dayOfMonth: [1, 31], month: [1, 12], year: [2000, 2100], dayOfWeek: [0, 7],
};
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const SHORTHANDS: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The prefix the SDK turns into a TypeError carrying the rest of the message. */
export const specError = (message: string) => invalidArgument(`Invalid schedule spec: ${message}`);

/** A value: a number, or a month (at least 3 letters) or day of week (at least 2) name or its prefix. */
function parseValue(text: string, field: (typeof FIELDS)[number], min = BOUNDS[field][0]): number {
  const t = text.trim().toLowerCase();
  const names = field === 'month' ? MONTHS : field === 'dayOfWeek' ? DAYS : undefined;
  const i = names && t.length >= (field === 'month' ? 3 : 2) ? names.findIndex((n) => n.startsWith(t)) : -1;
  const v = i >= 0 ? (field === 'month' ? i + 1 : i) : /^\d+$/.test(t) ? Number(t) : NaN;
  if (Number.isNaN(v)) throw specError(`malformed ${field} value "${text}"`);
  if (v < min || v > BOUNDS[field][1]) throw specError(`${field} value "${text}" is out of range [${min}-${BOUNDS[field][1]}]`);
  return v;
}

/** One field of a CalendarSpec ("*", "x", "x-z", "x/y", "x-z/y", lists) as ranges. */
function parseCalendarField(text: string, field: (typeof FIELDS)[number]): Range[] {
  const [min, max] = BOUNDS[field];
  if (text.trim() === '*') return field === 'year' ? [] : [{ start: min, end: field === 'dayOfWeek' ? 6 : max, step: 1 }];
  return text.split(',').map((part) => {
    const [range, stepText] = part.trim().split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step <= 0) throw specError(`invalid step in ${field} "${part}"`);
    let start: number;
    let end: number;
    if (range === '*') [start, end] = [min, max];
    else if (range!.includes('-')) {
      const [a, b, more] = range!.split('-');
      if (more !== undefined) throw specError(`malformed ${field} range "${part}"`);
      start = parseValue(a!, field);
      end = parseValue(b!, field, start);
    } else {
      start = parseValue(range!, field);
      end = stepText === undefined ? start : max;
    }
    return { start, end, step };
  });
}

function fromCalendar(c: Msg): Calendar {
  const out = {} as Calendar;
  for (const f of FIELDS) {
    const text = (c[f] as string | undefined) || (f === 'second' || f === 'minute' || f === 'hour' ? '0' : '*');
    out[f] = parseCalendarField(text, f);
  }
  return out;
}

/** A cron string: its calendar (or interval) and time zone. */
function fromCron(text: string): { calendar?: Calendar; interval?: Msg; timezone?: string; comment?: string } {
  let s = text.trim();
  let comment: string | undefined;
  const hash = s.indexOf('#');
  if (hash >= 0) [s, comment] = [s.slice(0, hash).trim(), s.slice(hash + 1).trim()];
  let timezone: string | undefined;
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(s);
  if (tz) [timezone, s] = [tz[1], s.slice(tz[0].length)];
  if (s.startsWith('@every ')) {
    const [every, phase] = s.slice(7).trim().split('/');
    return { interval: { interval: msDuration(parseDuration(every!, text)), phase: phase ? msDuration(parseDuration(phase, text)) : undefined }, timezone };
  }
  s = SHORTHANDS[s] ?? s;
  const p = s.split(/\s+/);
  let fields: string[];
  if (p.length === 5) fields = ['0', p[0]!, p[1]!, p[2]!, p[3]!, '*', p[4]!];
  else if (p.length === 6) fields = ['0', p[0]!, p[1]!, p[2]!, p[3]!, p[5]!, p[4]!];
  else if (p.length === 7) fields = [p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[6]!, p[5]!];
  else throw specError(`invalid cron string "${text}": expected 5, 6 or 7 fields, got ${p.length}`);
  const c: Msg = {};
  FIELDS.forEach((f, i) => (c[f] = fields[i] === '?' ? '*' : fields[i]));
  return { calendar: fromCalendar(c), timezone, comment };
}

function parseDuration(text: string, whole: string): number {
  let total = 0;
  let matched = 0;
  for (const m of text.matchAll(/(\d+)([smhd])/gy)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched += m[0].length;
  }
  if (matched === 0 || matched !== text.length) throw specError(`invalid cron string "${whole}": "${text}" is not a duration (e.g. 90s, 1h30m, 2d)`);
  return total;
}

const msDuration = (ms: number): Msg => ({ seconds: Math.floor(ms / 1000), nanos: 0 });

function checkStructured(c: Msg, where: string): Calendar {
  const out = {} as Calendar;
  for (const f of FIELDS) {
    const [min, max] = BOUNDS[f];
    out[f] = ((c[f] ?? []) as Msg[]).map((r) => {
      const start = Number(r.start ?? 0);
      const end = Math.max(Number(r.end ?? 0), start);
      const step = Number(r.step ?? 0) || 1;
      const top = f === 'dayOfWeek' ? 6 : max;
      if (start < min || start > top || end > top || step < 0) throw specError(`invalid calendar spec: ${where}.${f} range ${start}-${end} (step ${step}) is not in range [${min}-${top}]`);
      return { start, end, step };
    });
  }
  return out;
}

const matches = (ranges: Range[], v: number) => ranges.some((r) => v >= r.start && v <= r.end && (v - r.start) % r.step === 0);
const dayOfWeekMatches = (ranges: Range[], v: number) => matches(ranges, v) || (v === 0 && matches(ranges, 7));

/** The first wall-clock time (ms on a UTC-labelled line, whole seconds) ≥ `from` matching `c`. */
function nextWall(c: Calendar, from: number): number | undefined {
  const d = new Date(Math.ceil(from / 1000) * 1000);
  const lastYear = BOUNDS.year[1]; // as the real server, no calendar time after 2100
  while (d.getUTCFullYear() <= lastYear) {
    if (c.year.length > 0 && !matches(c.year, d.getUTCFullYear())) d.setTime(Date.UTC(d.getUTCFullYear() + 1, 0, 1));
    else if (!matches(c.month, d.getUTCMonth() + 1)) d.setTime(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
    else if (!matches(c.dayOfMonth, d.getUTCDate()) || !dayOfWeekMatches(c.dayOfWeek, d.getUTCDay())) d.setTime(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1));
    else if (!matches(c.hour, d.getUTCHours())) d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
    else if (!matches(c.minute, d.getUTCMinutes())) d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
    else if (!matches(c.second, d.getUTCSeconds())) d.setUTCSeconds(d.getUTCSeconds() + 1, 0);
    else return d.getTime();
  }
  return undefined;
}

/** The wall clock of a zone as a function of the instant (undefined for UTC); an unknown zone is a spec error. */
function zone(name: string): ((instant: number) => number) | undefined {
  try {
    return wallClock(name);
  } catch (err) {
    throw specError((err as Error).message);
  }
}

/** A validated spec: its normalised form and its times. */
export class CompiledSpec {
  readonly normalized: Msg;
  private readonly calendars: Calendar[];
  private readonly excludes: Calendar[];
  private readonly intervals: Array<{ every: number; phase: number }>;
  private readonly wall: ((instant: number) => number) | undefined;
  private readonly startTime: number | undefined;
  private readonly endTime: number | undefined;
  readonly jitterMs: number;

  constructor(spec: Msg, private readonly seed: string) {
    const structured: Msg[] = [...(spec.structuredCalendar ?? [])];
    const intervals: Msg[] = [...(spec.interval ?? [])];
    let timezone = (spec.timezoneName as string | undefined) ?? '';
    if ((spec.timezoneData as Uint8Array | undefined)?.length) throw specError('timezoneData is not supported by the stratus embedded server; give timezoneName instead');
    this.calendars = structured.map((c, i) => checkStructured(c, `structuredCalendar[${i}]`));
    for (const c of (spec.calendar ?? []) as Msg[]) {
      const cal = fromCalendar(c);
      this.calendars.push(cal);
      structured.push({ ...cal, comment: c.comment || undefined });
    }
    for (const text of (spec.cronString ?? []) as string[]) {
      const cron = fromCron(text);
      if (cron.timezone) {
        if (timezone && timezone !== cron.timezone) throw specError(`cron string "${text}" names time zone ${cron.timezone} but the spec's is ${timezone}`);
        timezone = cron.timezone;
      }
      if (cron.interval) intervals.push(cron.interval);
      if (cron.calendar) {
        this.calendars.push(cron.calendar);
        structured.push({ ...cron.calendar, comment: cron.comment });
      }
    }
    this.intervals = intervals.map((iv, i) => {
      const every = Math.floor((durationToMs(iv.interval) ?? 0) / 1000) * 1000;
      const phase = Math.floor((durationToMs(iv.phase) ?? 0) / 1000) * 1000;
      if (every < 1000) throw specError(`interval is too small (interval[${i}].interval must be at least one second)`);
      if (phase < 0) throw specError(`phase is negative (interval[${i}].phase)`);
      if (phase >= every) throw specError(`phase cannot be greater than Interval (interval[${i}])`);
      return { every, phase };
    });
    const excluded: Msg[] = [...(spec.excludeStructuredCalendar ?? [])];
    this.excludes = excluded.map((c, i) => checkStructured(c, `excludeStructuredCalendar[${i}]`));
    for (const c of (spec.excludeCalendar ?? []) as Msg[]) {
      const cal = fromCalendar(c);
      this.excludes.push(cal);
      excluded.push({ ...cal, comment: c.comment || undefined });
    }
    this.wall = zone(timezone);
    this.startTime = tsToMs(spec.startTime);
    this.endTime = tsToMs(spec.endTime);
    this.jitterMs = durationToMs(spec.jitter) ?? 0;
    if (this.jitterMs < 0) throw specError('jitter must not be negative');
    this.normalized = {
      structuredCalendar: structured,
      interval: this.intervals.map((iv) => ({ interval: msDuration(iv.every), phase: iv.phase ? msDuration(iv.phase) : undefined })),
      excludeStructuredCalendar: excluded,
      startTime: spec.startTime,
      endTime: spec.endTime,
      jitter: spec.jitter,
      timezoneName: timezone || undefined,
    };
  }

  /** The first nominal time strictly after `after` (undefined: none). */
  nextNominal(after: number): number | undefined {
    let t = Math.max(after, this.startTime !== undefined ? this.startTime - 1 : after);
    for (let guard = 0; guard < 100_000; guard++) {
      const best = this.rawNext(t);
      if (best === undefined || (this.endTime !== undefined && best > this.endTime)) return undefined;
      const wall = this.wall ? this.wall(best) : best;
      if (!this.excludes.some((c) => nextWall(c, wall) === wall)) return best;
      t = best;
    }
    return undefined;
  }

  /** The first time of a calendar or interval after `t` (no start, end or excludes). */
  private rawNext(t: number): number | undefined {
    let best: number | undefined;
    for (const c of this.calendars) {
      const n = this.nextOfCalendar(c, t);
      if (n !== undefined && (best === undefined || n < best)) best = n;
    }
    for (const iv of this.intervals) {
      const n = iv.phase + (Math.floor((t - iv.phase) / iv.every) + 1) * iv.every;
      if (best === undefined || n < best) best = n;
    }
    return best;
  }

  /**
   * The time a nominal time fires at, delayed by its jitter as the real server computes it: the
   * FarmHash Fingerprint32 of the time as Go marshals it followed by the seed, times the jitter
   * in ms (never past the next raw time), over 2^32.
   */
  actual(nominal: number): number {
    if (this.jitterMs <= 0) return nominal;
    const following = this.rawNext(nominal);
    const max = Math.floor(Math.min(this.jitterMs, following !== undefined ? following - nominal : this.jitterMs, 0xffffffff));
    const sec = BigInt(Math.floor(nominal / 1000)) + 62_135_596_800n; // Go: seconds since year 1
    const bin = Buffer.alloc(15);
    bin[0] = 1; // time.MarshalBinary version 1
    bin.writeBigInt64BE(sec, 1);
    bin.writeUInt32BE((nominal % 1000) * 1e6, 9);
    bin.writeInt16BE(-1, 13); // the zone: UTC
    const fp = fingerprint32(Buffer.concat([bin, Buffer.from(this.seed)]));
    return nominal + Number((BigInt(fp) * BigInt(max)) >> 32n);
  }

  private nextOfCalendar(c: Calendar, after: number): number | undefined {
    const wallOf = this.wall;
    if (!wallOf) return nextWall(c, after + 1);
    return nextInZone(wallOf, after, (w) => nextWall(c, w));
  }
}

/** Validates and compiles a spec; `seed` makes the jitter of each time (`<namespace id>-<schedule id>`, see jitterSeed). */
export function compileSpec(spec: Msg | undefined, seed: string): CompiledSpec {
  return new CompiledSpec(spec ?? {}, seed);
}
