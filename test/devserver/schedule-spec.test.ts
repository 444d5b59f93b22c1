// Schedule spec times as the real server computes them (temporal.api.schedule.v1.ScheduleSpec).
import { fingerprint32 } from '../../devserver/farmhash.js';
import { compileSpec } from '../../devserver/schedule-spec.js';

const sec = (iso: string) => ({ seconds: Date.parse(iso) / 1000, nanos: 0 });
function times(spec: Record<string, unknown>, from: string, n: number): string[] {
  const s = compileSpec(spec, 'seed');
  const out: string[] = [];
  for (let t = s.nextNominal(Date.parse(from)); t !== undefined && out.length < n; t = s.nextNominal(t)) out.push(new Date(t).toISOString().replace('.000Z', 'Z'));
  return out;
}

test.each([
  ['a wall time repeated by a DST change back fires twice', { cronString: ['30 1 * * *'], timezoneName: 'America/New_York' }, '2026-10-31T12:00:00Z',
    ['2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', '2026-11-02T06:30:00Z']],
  ['a wall time skipped by a DST change forward does not fire', { cronString: ['30 2 * * *'], timezoneName: 'America/New_York' }, '2027-03-13T00:00:00Z',
    ['2027-03-13T07:30:00Z', '2027-03-15T06:30:00Z']],
  ['@every with a phase is epoch + n * interval + phase', { cronString: ['@every 90m/5m'] }, '2026-03-06T10:07:30Z',
    ['2026-03-06T10:35:00Z', '2026-03-06T12:05:00Z']],
  ['day of month and day of week both restricted match both (no cron "or")', { cronString: ['0 0 13 * 5'] }, '2026-01-01T00:00:00Z',
    ['2026-02-13T00:00:00Z', '2026-03-13T00:00:00Z', '2026-11-13T00:00:00Z']],
  ['7 fields: second minute hour day-of-month month day-of-week year', { cronString: ['15 0 12 1 JAN * 2027-2028'] }, '2026-01-01T00:00:00Z',
    ['2027-01-01T12:00:15Z', '2028-01-01T12:00:15Z']],
  ['calendar strings, excludes and an end time', { calendar: [{ hour: '*/6' }], excludeCalendar: [{ hour: '12' }], endTime: sec('2026-03-07T13:00:00Z') },
    '2026-03-06T10:07:30Z', ['2026-03-06T18:00:00Z', '2026-03-07T00:00:00Z', '2026-03-07T06:00:00Z']],
  ['a start time', { interval: [{ interval: { seconds: 3600 } }], startTime: sec('2026-03-06T15:00:00Z') }, '2026-03-06T10:07:30Z',
    ['2026-03-06T15:00:00Z', '2026-03-06T16:00:00Z']],
  ['a calendar that never matches has no times', { calendar: [{ dayOfMonth: '30', month: 'feb' }] }, '2026-03-06T00:00:00Z', []],
])('%s', (_name, spec, from, expected) => {
  expect(times(spec, from, Math.max(expected.length, 1))).toEqual(expected);
});

test('cron strings are shown as structured calendars, their time zone as the spec\'s', () => {
  const s = compileSpec({ cronString: ['CRON_TZ=Europe/Paris 0 9 * * MON-FRI # weekdays'] }, 'seed');
  expect(s.normalized.timezoneName).toBe('Europe/Paris');
  expect(s.normalized.structuredCalendar).toEqual([expect.objectContaining({ hour: [{ start: 9, end: 9, step: 1 }], dayOfWeek: [{ start: 1, end: 5, step: 1 }], year: [], comment: 'weekdays' })]);
  expect(s.normalized.cronString).toBeUndefined();
});

test.each([
  [{ cronString: ['61 * * * *'] }, 'minute value "61" is out of range [0-59]'],
  [{ cronString: ['0 0 31-2 * *'] }, 'dayOfMonth value "2" is out of range [31-31]'],
  [{ calendar: [{ month: 'ju' }] }, 'malformed month value "ju"'],
  [{ interval: [{ interval: { seconds: 60 }, phase: { seconds: 60 } }] }, 'phase cannot be greater than Interval'],
  [{ structuredCalendar: [{ hour: [{ start: 24 }] }] }, 'structuredCalendar[0].hour range 24-24 (step 1) is not in range [0-23]'],
  [{ cronString: ['0 0 * *'] }, 'expected 5, 6 or 7 fields, got 4'],
])('%j is refused: %s', (spec, message) => {
  expect(() => compileSpec(spec, 'seed')).toThrow(`Invalid schedule spec: `);
  expect(() => compileSpec(spec, 'seed')).toThrow(message);
});

test('month and day names by prefix (3 and 2 letters at least)', () => {
  expect(times({ calendar: [{ month: 'sept', dayOfMonth: '1', dayOfWeek: 'tu' }] }, '2026-01-01T00:00:00Z', 1)).toEqual(['2026-09-01T00:00:00Z']);
});

test('an unknown time zone and timezoneData are refused, naming them', () => {
  expect(() => compileSpec({ timezoneName: 'Mars/Olympus' }, 'seed')).toThrow('Invalid schedule spec: unknown time zone Mars/Olympus');
  expect(() => compileSpec({ timezoneData: Buffer.from('TZif') }, 'seed')).toThrow('timezoneData is not supported');
});

test('the next time of an every-second calendar across a DST change is found at once', () => {
  const started = Date.now();
  expect(times({ cronString: ['* * * * * * *'], timezoneName: 'America/New_York' }, '2026-11-01T05:59:58Z', 3)).toEqual(['2026-11-01T05:59:59Z', '2026-11-01T06:00:00Z', '2026-11-01T06:00:01Z']);
  expect(Date.now() - started).toBeLessThan(200);
});

test.each([
  [0xe273108f, 'Discard medicine more than two years old.'],
  [0x322984d9, "Nepal premier won't resign."],
  [0x11c493bb, 'The fugacity of a constituent in a mixture of gases at a given temperature is proportional to its mole fraction.  Lewis-Randall Rule'],
])('the jitter hash is FarmHash Fingerprint32 (go-farm golden value %i)', (expected, input) => {
  expect(fingerprint32(Buffer.from(input))).toBe(expected);
});

test('jitter: up to the jitter, never past the next time, the same for the same time and seed', () => {
  const spec = { interval: [{ interval: { seconds: 60 } }], jitter: { seconds: 3600 } };
  const a = compileSpec(spec, 'ns-id-sched');
  const delays = [1, 2, 3, 4, 5].map((k) => a.actual(k * 60_000) - k * 60_000);
  expect(delays.every((d) => d >= 0 && d < 60_000)).toBe(true);
  expect(new Set(delays).size).toBeGreaterThan(1);
  expect(compileSpec(spec, 'ns-id-sched').actual(120_000)).toBe(a.actual(120_000));
  expect(compileSpec(spec, 'other-seed').actual(120_000)).not.toBe(a.actual(120_000));
});
