import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  advancePhase,
  computeCalendar,
  nextSlotAfter,
  parseDuration,
  parseInstant,
  phaseAt,
  slotsBetween,
  trickleDownDue,
} from '../../workflows/release-calendar.js';

const H = 3_600_000;
const D = 24 * H;

describe('parseDuration', () => {
  it('reads weeks, days, hours, minutes and combinations', () => {
    expect(parseDuration('2w')).toBe(14 * D);
    expect(parseDuration('1w')).toBe(7 * D);
    expect(parseDuration('3d')).toBe(3 * D);
    expect(parseDuration('12h')).toBe(12 * H);
    expect(parseDuration('1w2d')).toBe(9 * D);
    expect(parseDuration('90m')).toBe(1.5 * H);
  });

  it.each(['2x', '', 'w', '2', '-1w', '1.5w', '2 w'])('rejects %j naming the field', (bad) => {
    expect(() => parseDuration(bad, 'sprints[0].length')).toThrow(
      `sprints[0].length: invalid duration ${JSON.stringify(bad)}: use a number followed by w, d, h or m (e.g. 2w, 3d, 12h)`,
    );
  });

  it('rejects a zero duration', () => {
    expect(() => parseDuration('0w')).toThrow('length: duration "0w" must be longer than zero');
  });
});

describe('parseInstant', () => {
  it('reads a date as midnight UTC and an ISO date-time with offset', () => {
    expect(new Date(parseInstant('2024-03-04')).toISOString()).toBe('2024-03-04T00:00:00.000Z');
    expect(new Date(parseInstant('2024-03-04T09:30:00+02:00')).toISOString()).toBe('2024-03-04T07:30:00.000Z');
  });

  it.each(['2024-02-30', '04/03/2024', '2024-03-04T09:00:00', 'tomorrow'])('rejects %j with a message naming --start', (bad) => {
    expect(() => parseInstant(bad, 'start')).toThrow(`start: invalid date ${JSON.stringify(bad)}`);
  });
});

describe('computeCalendar', () => {
  it('lays out the default 2w/2w/1w train from the start, in UTC', () => {
    const calendar = computeCalendar('2024-03-04');
    expect(calendar).toEqual({
      start: '2024-03-04T00:00:00.000Z',
      end: '2024-04-08T00:00:00.000Z',
      phases: [
        { name: 'Sprint 1', focus: 'bugs', start: '2024-03-04T00:00:00.000Z', end: '2024-03-18T00:00:00.000Z' },
        { name: 'Sprint 2', focus: 'features', start: '2024-03-18T00:00:00.000Z', end: '2024-04-01T00:00:00.000Z' },
        { name: 'Release', focus: 'release', start: '2024-04-01T00:00:00.000Z', end: '2024-04-08T00:00:00.000Z' },
      ],
    });
    expect(JSON.parse(JSON.stringify(calendar))).toEqual(calendar);
  });

  it('uses configured sprints and keeps an off-midnight start', () => {
    const calendar = computeCalendar('2024-03-02T15:00:00Z', [
      { name: 'Only', length: '3d', focus: 'bugs' },
      { name: 'Tail', length: '12h', focus: 'release' },
    ]);
    expect(calendar.phases.map((p) => [p.start, p.end])).toEqual([
      ['2024-03-02T15:00:00.000Z', '2024-03-05T15:00:00.000Z'],
      ['2024-03-05T15:00:00.000Z', '2024-03-06T03:00:00.000Z'],
    ]);
  });

  it('names the sprint with a bad length', () => {
    expect(() => computeCalendar('2024-03-04', [{ name: 'S', length: '2x', focus: 'bugs' }])).toThrow('sprints[0].length: invalid duration "2x"');
  });

  it('phases are contiguous and the train lasts the sum of the sprints (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 9 }), fc.constantFrom('w', 'd', 'h')), { minLength: 1, maxLength: 5 }),
        (start, lengths) => {
          const sprints = lengths.map(([n, u], i) => ({ name: `S${i}`, length: `${n}${u}`, focus: 'bugs' }));
          const cal = computeCalendar(new Date(start).toISOString(), sprints);
          const total = sprints.reduce((sum, s) => sum + parseDuration(s.length), 0);
          expect(Date.parse(cal.end) - Date.parse(cal.start)).toBe(total);
          cal.phases.forEach((p, i) => {
            expect(p.start).toBe(i === 0 ? cal.start : cal.phases[i - 1].end);
          });
        },
      ),
    );
  });
});

describe('phaseAt', () => {
  const calendar = computeCalendar('2024-03-04');

  it('finds the running phase, start inclusive and end exclusive', () => {
    expect(phaseAt(calendar, '2024-03-03T23:59:59Z')).toEqual({ state: 'not-started', index: -1 });
    expect(phaseAt(calendar, '2024-03-04T00:00:00Z')).toMatchObject({ state: 'running', index: 0, phase: { name: 'Sprint 1' } });
    expect(phaseAt(calendar, '2024-03-18T00:00:00Z')).toMatchObject({ state: 'running', index: 1, phase: { name: 'Sprint 2' } });
    expect(phaseAt(calendar, '2024-04-07T23:00:00Z')).toMatchObject({ state: 'running', index: 2, phase: { name: 'Release' } });
    expect(phaseAt(calendar, '2024-04-08T00:00:00Z')).toEqual({ state: 'finished', index: 3 });
  });

  it('a late start shows the phases already past: Sprint 1 is done, Sprint 2 is running', () => {
    const late = computeCalendar('2024-01-01');
    expect(phaseAt(late, '2024-01-20T12:00:00Z')).toMatchObject({ state: 'running', index: 1 });
    expect(late.phases.filter((p) => Date.parse(p.end) <= Date.parse('2024-01-20T12:00:00Z')).map((p) => p.name)).toEqual(['Sprint 1']);
    expect(phaseAt(late, '2024-06-01')).toEqual({ state: 'finished', index: 3 });
  });
});

describe('advancePhase', () => {
  it('ends the running phase now and pulls later phases forward, keeping their lengths', () => {
    const advanced = advancePhase(computeCalendar('2024-03-04'), '2024-03-10T12:00:00Z');
    expect(advanced.phases.map((p) => [p.name, p.start, p.end])).toEqual([
      ['Sprint 1', '2024-03-04T00:00:00.000Z', '2024-03-10T12:00:00.000Z'],
      ['Sprint 2', '2024-03-10T12:00:00.000Z', '2024-03-24T12:00:00.000Z'],
      ['Release', '2024-03-24T12:00:00.000Z', '2024-03-31T12:00:00.000Z'],
    ]);
    expect(advanced.end).toBe('2024-03-31T12:00:00.000Z');
    expect(phaseAt(advanced, '2024-03-10T12:00:00Z')).toMatchObject({ state: 'running', index: 1 });
  });

  it('leaves a calendar that is not running alone', () => {
    const calendar = computeCalendar('2024-03-04');
    expect(advancePhase(calendar, '2024-05-01')).toBe(calendar);
  });
});

describe('trickle-down slots', () => {
  it('weekdays: Mon-Fri at midnight UTC; a weekend start waits for Monday', () => {
    // 2024-03-02 is a Saturday.
    expect(nextSlotAfter('weekdays', '2024-03-02T10:00:00Z')).toBe('2024-03-04T00:00:00.000Z');
    expect(slotsBetween('weekdays', '2024-03-02', '2024-03-11')).toEqual([
      '2024-03-04T00:00:00.000Z',
      '2024-03-05T00:00:00.000Z',
      '2024-03-06T00:00:00.000Z',
      '2024-03-07T00:00:00.000Z',
      '2024-03-08T00:00:00.000Z',
      '2024-03-11T00:00:00.000Z',
    ]);
  });

  it('honours a configured time of day and the half-open interval (from, to]', () => {
    expect(slotsBetween('weekdays', '2024-03-04T09:30:00Z', '2024-03-05T09:30:00Z', { timeOfDay: '09:30' })).toEqual(['2024-03-05T09:30:00.000Z']);
    expect(nextSlotAfter('daily', '2024-03-04T09:29:59Z', { timeOfDay: '09:30' })).toBe('2024-03-04T09:30:00.000Z');
    expect(() => nextSlotAfter('daily', '2024-03-04', { timeOfDay: '25:00' })).toThrow('trickleDownAt: invalid time of day "25:00"');
  });

  it('daily includes weekends, weekly falls on Mondays by default, never has no slots', () => {
    expect(slotsBetween('daily', '2024-03-01T12:00:00Z', '2024-03-04T12:00:00Z')).toHaveLength(3);
    expect(slotsBetween('weekly', '2024-03-01', '2024-03-20')).toEqual(['2024-03-04T00:00:00.000Z', '2024-03-11T00:00:00.000Z', '2024-03-18T00:00:00.000Z']);
    expect(nextSlotAfter('weekly', '2024-03-04', { weekday: 3 })).toBe('2024-03-06T00:00:00.000Z');
    expect(slotsBetween('never', '2024-03-01', '2024-04-01')).toEqual([]);
    expect(nextSlotAfter('never', '2024-03-01')).toBeNull();
  });

  it('slots missed while catching up collapse into one merge', () => {
    // Train started on Monday 2024-01-01 and the worker only looks on Wednesday 2024-01-10 at noon.
    expect(trickleDownDue('weekdays', '2024-01-01T00:00:00Z', '2024-01-10T12:00:00Z')).toEqual({
      due: true,
      missedSlots: 7,
      nextSlot: '2024-01-11T00:00:00.000Z',
    });
    // Right after that merge nothing is due until the next slot.
    expect(trickleDownDue('weekdays', '2024-01-10T12:00:00Z', '2024-01-10T23:59:59Z')).toEqual({
      due: false,
      missedSlots: 0,
      nextSlot: '2024-01-11T00:00:00.000Z',
    });
    // A merge over the weekend: Saturday to Sunday has no weekday slot.
    expect(trickleDownDue('weekdays', '2024-03-02T00:00:00Z', '2024-03-03T23:00:00Z').due).toBe(false);
    expect(trickleDownDue('never', '2024-01-01', '2024-03-01')).toEqual({ due: false, missedSlots: 0, nextSlot: null });
  });

  it('the next slot is always after now and on an allowed day (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }), (t) => {
        const at = new Date(t).toISOString();
        const next = nextSlotAfter('weekdays', at, { timeOfDay: '06:15' })!;
        const ms = Date.parse(next);
        expect(ms).toBeGreaterThan(t);
        expect(ms - t).toBeLessThanOrEqual(3 * D);
        expect([1, 2, 3, 4, 5]).toContain(new Date(ms).getUTCDay());
        expect(next.slice(11)).toBe('06:15:00.000Z');
      }),
    );
  });
});
