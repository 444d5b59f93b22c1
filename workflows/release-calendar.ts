// Pure calendar arithmetic for the release train: durations, phases, the current phase and
// trickle-down merge slots. Everything is UTC; inputs and outputs are ISO strings (plain JSON)
// so a workflow can keep them in its state. No Temporal import.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const UNITS: Record<string, number> = { w: 7 * DAY, d: DAY, h: HOUR, m: MINUTE };

/** One configured sprint: `{ name: "Sprint 1", length: "2w", focus: "bugs" }`. */
export interface SprintSpec {
  name: string;
  /** A duration such as `2w`, `3d`, `12h` or `1w2d`. */
  length: string;
  focus: string;
}

/** One phase of a train's calendar, with ISO (UTC) start and end; the end is exclusive. */
export interface Phase {
  name: string;
  focus: string;
  start: string;
  end: string;
}

/** A train's calendar: phases back to back from `start` to `end`. */
export interface ReleaseCalendar {
  start: string;
  end: string;
  phases: Phase[];
}

/** The default train: two 2-week sprints and a 1-week release sprint. */
export const DEFAULT_SPRINTS: readonly SprintSpec[] = [
  { name: 'Sprint 1', length: '2w', focus: 'bugs' },
  { name: 'Sprint 2', length: '2w', focus: 'features' },
  { name: 'Release', length: '1w', focus: 'release' },
];

/**
 * Parses a duration made of `<number><unit>` parts, units `w` (weeks), `d`, `h`, `m` (minutes):
 * `2w`, `3d`, `12h`, `1w2d`. Returns milliseconds; throws an error naming `field` otherwise.
 */
export function parseDuration(text: string, field = 'length'): number {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (!/^(\d+[wdhm])+$/.test(trimmed)) {
    throw new Error(`${field}: invalid duration ${JSON.stringify(text)}: use a number followed by w, d, h or m (e.g. 2w, 3d, 12h)`);
  }
  let ms = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)([wdhm])/g)) ms += Number(amount) * UNITS[unit];
  if (ms <= 0) throw new Error(`${field}: duration ${JSON.stringify(text)} must be longer than zero`);
  return ms;
}

/**
 * Parses an instant: `YYYY-MM-DD` (midnight UTC) or an ISO date-time with `Z` or an offset.
 * Returns epoch milliseconds; throws an error naming `field` otherwise.
 */
export function parseInstant(text: string, field = 'start'): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text);
  const ms = dateOnly || dateTime ? Date.parse(dateOnly ? `${text}T00:00:00Z` : text) : NaN;
  const day = text.slice(0, 10);
  const realDay = (dateOnly || dateTime) && new Date(Date.parse(`${day}T00:00:00Z`) || 0).toISOString().slice(0, 10) === day;
  if (Number.isNaN(ms) || !realDay) {
    throw new Error(`${field}: invalid date ${JSON.stringify(text)}: use YYYY-MM-DD or an ISO date-time with a time zone (e.g. 2024-03-04T09:00:00Z)`);
  }
  return ms;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Lays the sprints out back to back from `start` (ISO or `YYYY-MM-DD`). */
export function computeCalendar(start: string, sprints: readonly SprintSpec[] = DEFAULT_SPRINTS): ReleaseCalendar {
  if (sprints.length === 0) throw new Error('sprints: at least one sprint is required');
  let at = parseInstant(start);
  const begin = at;
  const phases = sprints.map((sprint, i) => {
    const length = parseDuration(sprint.length, `sprints[${i}].length`);
    const phase = { name: sprint.name, focus: sprint.focus, start: iso(at), end: iso(at + length) };
    at += length;
    return phase;
  });
  return { start: iso(begin), end: iso(at), phases };
}

/** Where an instant falls in a calendar. `index` is the running phase, or -1 / phases.length. */
export type CalendarPosition =
  | { state: 'not-started'; index: -1 }
  | { state: 'running'; index: number; phase: Phase }
  | { state: 'finished'; index: number };

/** Which phase is current at `at`; a phase runs from its start (inclusive) to its end (exclusive). */
export function phaseAt(calendar: ReleaseCalendar, at: string): CalendarPosition {
  const t = parseInstant(at, 'at');
  if (t < Date.parse(calendar.start)) return { state: 'not-started', index: -1 };
  const index = calendar.phases.findIndex((p) => t >= Date.parse(p.start) && t < Date.parse(p.end));
  if (index === -1) return { state: 'finished', index: calendar.phases.length };
  return { state: 'running', index, phase: calendar.phases[index] };
}

/**
 * Ends the phase running at `at` right then and pulls every later phase forward by the time saved,
 * keeping their lengths (the `advance` command). A calendar not running at `at` is returned as is.
 */
export function advancePhase(calendar: ReleaseCalendar, at: string): ReleaseCalendar {
  const position = phaseAt(calendar, at);
  if (position.state !== 'running') return calendar;
  const now = parseInstant(at, 'at');
  const saved = Date.parse(position.phase.end) - now;
  const phases = calendar.phases.map((p, i) => {
    if (i < position.index) return p;
    if (i === position.index) return { ...p, end: iso(now) };
    return { ...p, start: iso(Date.parse(p.start) - saved), end: iso(Date.parse(p.end) - saved) };
  });
  return { start: calendar.start, end: iso(Date.parse(calendar.end) - saved), phases };
}

/** How often the release branch trickles down into master. */
export type TrickleDownCadence = 'weekdays' | 'daily' | 'weekly' | 'never';
export const TRICKLE_DOWN_CADENCES: readonly TrickleDownCadence[] = ['weekdays', 'daily', 'weekly', 'never'];

/** When slots fall: a UTC time of day (`HH:MM`, default `00:00`); `weekly` slots fall on `weekday` (0 = Sunday, default 1 = Monday). */
export interface SlotOptions {
  timeOfDay?: string;
  weekday?: number;
}

/** Parses `HH:MM` (UTC, 24 h) to milliseconds after midnight; throws naming `field` otherwise. */
export function parseTimeOfDay(text: string, field = 'trickleDownAt'): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!m) throw new Error(`${field}: invalid time of day ${JSON.stringify(text)}: use HH:MM in UTC (e.g. 00:00, 09:30)`);
  return Number(m[1]) * HOUR + Number(m[2]) * MINUTE;
}

function slotAllowed(cadence: TrickleDownCadence, dayStart: number, weekday: number): boolean {
  const dow = new Date(dayStart).getUTCDay();
  if (cadence === 'daily') return true;
  if (cadence === 'weekdays') return dow >= 1 && dow <= 5;
  if (cadence === 'weekly') return dow === weekday;
  return false;
}

function* slotTimes(cadence: TrickleDownCadence, after: number, options: SlotOptions): Generator<number> {
  if (cadence === 'never') return;
  const offset = parseTimeOfDay(options.timeOfDay ?? '00:00');
  const weekday = options.weekday ?? 1;
  if (!Number.isInteger(weekday) || weekday < 0 || weekday > 6) throw new Error(`weekday: must be 0 (Sunday) to 6 (Saturday), got ${weekday}`);
  for (let day = Math.floor(after / DAY) * DAY; ; day += DAY) {
    const slot = day + offset;
    if (slot > after && slotAllowed(cadence, day, weekday)) yield slot;
  }
}

/** Every trickle-down slot in the half-open interval `(from, to]`, as ISO strings. */
export function slotsBetween(cadence: TrickleDownCadence, from: string, to: string, options: SlotOptions = {}): string[] {
  const end = parseInstant(to, 'to');
  const slots: string[] = [];
  for (const slot of slotTimes(cadence, parseInstant(from, 'from'), options)) {
    if (slot > end) break;
    slots.push(iso(slot));
  }
  return slots;
}

/** The first slot strictly after `at`, or `null` for cadence `never`. */
export function nextSlotAfter(cadence: TrickleDownCadence, at: string, options: SlotOptions = {}): string | null {
  for (const slot of slotTimes(cadence, parseInstant(at, 'at'), options)) return iso(slot);
  return null;
}

/** Whether a trickle-down merge is due now, and when the next slot is. */
export interface TrickleDownDecision {
  /** True if at least one slot fell in `(lastMerge, now]`: all of them collapse into one merge. */
  due: boolean;
  /** How many slots that one merge stands for (0 when not due). */
  missedSlots: number;
  /** The first slot after `now` (what to sleep until), or `null` for `never`. */
  nextSlot: string | null;
}

/**
 * Decides a trickle-down merge: slots missed while catching up (a late start, a worker that was
 * down) collapse into a single merge. `lastMerge` is the last merge, or the train's start.
 */
export function trickleDownDue(cadence: TrickleDownCadence, lastMerge: string, now: string, options: SlotOptions = {}): TrickleDownDecision {
  const missed = slotsBetween(cadence, lastMerge, now, options).length;
  return { due: missed > 0, missedSlots: missed, nextSlot: nextSlotAfter(cadence, now, options) };
}
