// The cron parser of the embedded server (robfig/cron semantics; UTC, or the zone of CRON_TZ= / TZ=).
import { cronBackoffMs, parseCron } from '../../devserver/cron.js';

const at = (iso: string) => Date.parse(iso);
const next = (spec: string, from: string) => new Date(parseCron(spec).next(at(from))).toISOString();

test.each([
  ['*/15 * * * *', '2026-03-01T10:07:30Z', '2026-03-01T10:15:00.000Z'],
  ['0 9 * * MON-FRI', '2026-03-06T09:00:00Z', '2026-03-09T09:00:00.000Z'], // Friday -> Monday
  ['30 2 1 JAN,JUL *', '2026-03-01T00:00:00Z', '2026-07-01T02:30:00.000Z'],
  ['0 0 13 * 5', '2026-03-01T00:00:00Z', '2026-03-06T00:00:00.000Z'], // both restricted: 13th OR Friday
  ['0 0 * * 7', '2026-03-02T00:00:00Z', '2026-03-08T00:00:00.000Z'], // 7 is Sunday
  ['@hourly', '2026-03-01T10:00:00Z', '2026-03-01T11:00:00.000Z'],
  ['@daily', '2026-03-01T10:00:00Z', '2026-03-02T00:00:00.000Z'],
  ['@every 90s', '2026-03-01T10:00:00.400Z', '2026-03-01T10:01:30.000Z'],
  // 09:00 in New York: EST (UTC-5), then EDT (UTC-4) from 2026-03-08
  ['CRON_TZ=America/New_York 0 9 * * *', '2026-03-06T15:00:00Z', '2026-03-07T14:00:00.000Z'],
  ['CRON_TZ=America/New_York 0 9 * * *', '2026-03-07T15:00:00Z', '2026-03-08T13:00:00.000Z'],
  ['TZ=Asia/Tokyo 0 9 * * MON-FRI', '2026-03-06T01:00:00Z', '2026-03-09T00:00:00.000Z'], // Friday 10:00 JST -> Monday 09:00 JST
  // 02:30 does not happen in Paris on 2026-03-29 (02:00 -> 03:00): the next is the day after, in CEST
  ['CRON_TZ=Europe/Paris 30 2 * * *', '2026-03-28T12:00:00Z', '2026-03-30T00:30:00.000Z'],
  // 01:30 happens twice in New York on 2026-11-01 (EDT, then EST)
  ['CRON_TZ=America/New_York 30 1 * * *', '2026-11-01T05:00:00Z', '2026-11-01T05:30:00.000Z'],
  ['CRON_TZ=America/New_York 30 1 * * *', '2026-11-01T05:30:00Z', '2026-11-01T06:30:00.000Z'],
  ['CRON_TZ=UTC 0 9 * * *', '2026-03-06T15:00:00Z', '2026-03-07T09:00:00.000Z'],
])('%s after %s is %s', (spec, from, expected) => {
  expect(next(spec, from)).toBe(expected);
});

test('the backoff skips schedule times already past', () => {
  const hourly = parseCron('0 * * * *');
  expect(cronBackoffMs(hourly, at('2026-03-01T10:00:00Z'), at('2026-03-01T12:20:00Z'))).toBe(40 * 60_000);
});

test.each([
  ['61 * * * *', 'out of range'],
  ['* * *', 'expected 5 fields'],
  ['@every soon', 'not a duration'],
  ['*/0 * * * *', 'bad step'],
])('%s is rejected (%s)', (spec, message) => {
  expect(() => parseCron(spec)).toThrow(message);
});

test('an unknown time zone is rejected naming it', () => {
  expect(() => parseCron('CRON_TZ=Mars/Olympus 0 9 * * *')).toThrow('unknown time zone Mars/Olympus');
});
