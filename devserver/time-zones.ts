// Wall clocks of IANA time zones (through Intl), and the next instant whose wall-clock time
// matches, found piece by piece of constant UTC offset: a wall time a DST change skips is in no
// piece (it does not happen), one it repeats is in two (it happens twice). Shared by schedule
// specs (`timezoneName`, `CRON_TZ=` in cron strings) and workflow cron schedules (`CRON_TZ=`).

/** A zone's offset is taken as changing at most once in this long (a binary search finds where). */
const SEGMENT = 7 * 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The wall clock of zone `name` as a function of the instant (ms on a UTC-labelled line);
 * undefined for UTC. Throws an Error naming the zone if it is unknown.
 */
export function wallClock(name: string): ((instant: number) => number) | undefined {
  if (!name || name === 'UTC' || name === 'Etc/UTC') return undefined;
  let f = formatters.get(name);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch {
      throw new Error(`unknown time zone ${name}`);
    }
    formatters.set(name, f);
  }
  const fmt = f;
  return (instant) => {
    const p: Record<string, number> = {};
    for (const part of fmt.formatToParts(instant)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (instant - Math.floor(instant / 1000) * 1000);
  };
}

/**
 * The first instant after `after` whose wall-clock time (by `wallOf`) is the one `nextWall` finds:
 * `nextWall(w)` is the first matching wall time ≥ w, or undefined if there is none.
 */
export function nextInZone(wallOf: (instant: number) => number, after: number, nextWall: (fromWall: number) => number | undefined): number | undefined {
  const offsetAt = (t: number) => wallOf(t) - t;
  for (let from = after, pieces = 0; pieces < 200; pieces++) {
    const offset = offsetAt(from);
    let end = from + SEGMENT;
    if (offsetAt(end) !== offset) {
      let lo = from; // offset(lo) === offset, offset(end) !== offset
      while (end - lo > 1000) {
        const mid = lo + Math.floor((end - lo) / 2000) * 1000;
        if (offsetAt(mid) === offset) lo = mid;
        else end = mid;
      }
    }
    const w = nextWall(from + offset + 1);
    if (w === undefined) return undefined;
    if (w - offset < end) return w - offset;
    from = end - 1;
  }
  return undefined;
}
