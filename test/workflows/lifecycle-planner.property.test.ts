// Property tests of the planner's safety story. The simulation runs daily sweeps (some missed,
// at random hours) over a year and a bit, sends every due notice, performs every due action on
// the simulated cloud, and checks each action against what really happened to the server.
import fc from 'fast-check';
import { isDestructive, plan, stageName } from '../../workflows/lifecycle-planner.js';
import {
  type Allocation, type ConfigExemption, type Inventory, type LifecyclePolicies, type LifecycleRule, type NoticeRecord,
  type ServerInfo,
} from '../../workflows/lifecycle-types.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2026-01-01T00:00:00Z');
const iso = (t: number): string => new Date(t).toISOString();
const day = (t: number): string => iso(t).slice(0, 10);

const ruleArb = (kind: LifecycleRule['kind'], maxAfter: number): fc.Arbitrary<LifecycleRule> =>
  fc.integer({ min: 2, max: maxAfter }).chain((after) =>
    fc.uniqueArray(fc.integer({ min: 1, max: after - 1 }), { minLength: 1, maxLength: 3 })
      .map((warn) => ({ kind, after: after * DAY, warn: warn.map((w) => w * DAY) })));

type Exemption = { kind: 'none' } | { kind: 'forever' } | { kind: 'garbage' } | { kind: 'until'; day: number };
const exemptionArb: fc.Arbitrary<Exemption> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'forever' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'garbage' as const }) },
  { weight: 2, arbitrary: fc.integer({ min: -30, max: 300 }).map((d) => ({ kind: 'until' as const, day: d })) },
);

const serverSpecArb = fc.record({
  project: fc.integer({ min: 0, max: 2 }),
  status: fc.constantFrom('ACTIVE', 'SHUTOFF', 'SUSPENDED', 'SHELVED_OFFLOADED'),
  sinceDaysAgo: fc.integer({ min: 0, max: 400 }),
  hasLog: fc.boolean(),
  exemption: exemptionArb,
  configExempt: fc.option(fc.record({ untilDay: fc.option(fc.integer({ min: -10, max: 300 }), { nil: undefined }) }), { nil: undefined, freq: 5 }),
});

const eventArb = fc.record({ day: fc.integer({ min: 0, max: 420 }), server: fc.nat(), kind: fc.constantFrom('start', 'stop') });

const worldArb = fc.record({
  shelve: ruleArb('shelve-stopped', 30),
  del: ruleArb('delete-shelved', 200),
  expire: ruleArb('expire-allocation', 200),
  servers: fc.array(serverSpecArb, { minLength: 1, maxLength: 6 }),
  allocationEnds: fc.array(fc.option(fc.integer({ min: -300, max: 300 }), { nil: undefined }), { minLength: 3, maxLength: 3 }),
  events: fc.array(eventArb, { maxLength: 40 }),
  sweeps: fc.array(fc.record({ skip: fc.boolean(), hour: fc.integer({ min: 0, max: 23 }) }), { minLength: 420, maxLength: 420 }),
});

type World = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

function metadataFor(e: Exemption): Record<string, string> {
  if (e.kind === 'forever') return { 'stratus:exempt': 'forever' };
  if (e.kind === 'garbage') return { 'stratus:exempt': 'maybe later' };
  if (e.kind === 'until') return { 'stratus:exempt': `until:${day(START + e.day * DAY)}` };
  return {};
}

function build(w: World): { servers: ServerInfo[]; since: Map<string, number>; allocations: Allocation[]; policies: LifecyclePolicies } {
  const since = new Map<string, number>();
  const exempt: ConfigExemption[] = [];
  const servers = w.servers.map((spec, i): ServerInfo => {
    const id = `srv-${i}`;
    const at = START - spec.sinceDaysAgo * DAY;
    since.set(id, at);
    const entering = spec.status === 'SHUTOFF' ? 'stop' : spec.status === 'SUSPENDED' ? 'suspend' : spec.status === 'SHELVED_OFFLOADED' ? 'shelve' : 'start';
    if (spec.configExempt) {
      exempt.push({ id, reason: 'test', ...(spec.configExempt.untilDay !== undefined ? { until: day(START + spec.configExempt.untilDay * DAY) } : {}) });
    }
    return {
      id, name: id, projectId: `p${spec.project}`, status: spec.status, metadata: metadataFor(spec.exemption),
      // without a log the planner only has `updated`, which is never earlier than the real change
      updated: iso(spec.hasLog ? at : at + 3 * HOUR),
      lastActions: spec.hasLog ? [{ action: 'create', startTime: iso(at - 10 * DAY) }, { action: entering, startTime: iso(at) }] : undefined,
    };
  });
  const allocations = w.allocationEnds.flatMap((end, p) => end === undefined ? [] : [{ projectId: `p${p}`, endDate: day(START + end * DAY) }]);
  return { servers, since, allocations, policies: { rules: [w.shelve, w.del, w.expire], exemptMetadataKey: 'stratus:exempt', exempt } };
}

/** Is the server exempt at time t, by the definition users are told (independent of the planner). */
function exemptAt(s: ServerInfo, policies: LifecyclePolicies, t: number): boolean {
  const v = s.metadata['stratus:exempt'];
  if (v !== undefined) {
    const m = /^until:(\d{4}-\d{2}-\d{2})$/.exec(v);
    if (!m || Date.parse(m[1]) + DAY > t) return true;
  }
  return policies.exempt.some((e) => (e.id === s.id || e.id === s.projectId) && (!e.until || Date.parse(e.until) + DAY > t));
}

const inventory = (servers: ServerInfo[]): Inventory =>
  ({ servers, images: [], volumes: [], floatingIps: [], networks: [], routers: [], ports: [], containers: [] });

describe('planner safety over simulated months', () => {
  it('acts only on non-exempt resources, after the last warning of this episode has run its full lead time', () => {
    fc.assert(fc.property(worldArb, (w) => {
      const { servers: initial, since, allocations, policies } = build(w);
      let servers = initial;
      const notices: NoticeRecord[] = [];
      const events = [...w.events].sort((a, b) => a.day - b.day);
      const minLead = new Map(policies.rules.map((r) => [r.kind, Math.min(...r.warn)]));
      const ruleOf = new Map(policies.rules.map((r) => [r.kind, r]));
      for (let d = 0; d < w.sweeps.length; d++) {
        const t = START + d * DAY + w.sweeps[d].hour * HOUR;
        while (events.length > 0 && START + events[0].day * DAY <= t) {
          const e = events.shift()!;
          const at = START + e.day * DAY;
          servers = servers.map((s, i) => {
            if (i !== e.server % Math.max(1, servers.length)) return s;
            const toActive = e.kind === 'start' && s.status !== 'ACTIVE';
            const toStopped = e.kind === 'stop' && s.status === 'ACTIVE';
            if (!toActive && !toStopped) return s;
            since.set(s.id, at);
            const action = toActive ? (s.status === 'SHELVED_OFFLOADED' ? 'unshelve' : 'start') : 'stop';
            return { ...s, status: toActive ? 'ACTIVE' : 'SHUTOFF', updated: iso(at), lastActions: [...(s.lastActions ?? []), { action, startTime: iso(at) }] };
          });
        }
        if (w.sweeps[d].skip) continue;
        const p = plan({ inventory: inventory(servers), allocations, eol: [], policies, noticesSent: notices, now: iso(t) });
        for (const item of p.items.filter((i) => i.due)) {
          if (item.action === 'notify') {
            notices.push({ resourceId: item.resourceId, rule: item.rule, stage: item.stage!, sentAt: iso(t) });
            continue;
          }
          if (!isDestructive(item.action)) continue;
          const s = servers.find((x) => x.id === item.resourceId);
          if (!s) continue; // already deleted by another rule in this sweep
          const rule = ruleOf.get(item.rule)!;
          const episode = item.rule === 'expire-allocation'
            ? Date.parse(allocations.find((a) => a.projectId === s.projectId)!.endDate)
            : since.get(s.id)!;
          expect(exemptAt(s, policies, t)).toBe(false);
          const last = stageName(minLead.get(item.rule)!);
          const warned = notices.filter((n) => n.resourceId === s.id && n.rule === item.rule && n.stage === last)
            .map((n) => Date.parse(n.sentAt)).filter((x) => x >= episode);
          expect(warned.length).toBeGreaterThan(0);
          expect(Math.max(...warned)).toBeLessThanOrEqual(t - minLead.get(item.rule)!);
          expect(t - episode).toBeGreaterThanOrEqual(rule.after);
          if (item.rule === 'shelve-stopped') expect(['SHUTOFF', 'SUSPENDED']).toContain(s.status);
          if (item.rule === 'delete-shelved') expect(['SHELVED', 'SHELVED_OFFLOADED']).toContain(s.status);
          if (item.action === 'shelve') {
            since.set(s.id, t);
            servers = servers.map((x) => x === s
              ? { ...x, status: 'SHELVED_OFFLOADED', updated: iso(t), lastActions: [...(x.lastActions ?? []), { action: 'shelve', startTime: iso(t) }] }
              : x);
          } else {
            servers = servers.filter((x) => x !== s);
          }
        }
      }
    }), { numRuns: 60 });
  });
});

const plannerInputArb = worldArb.chain((w) => {
  const { servers, allocations, policies } = build(w);
  const notice = fc.record({
    resourceId: fc.constantFrom(...servers.map((s) => s.id)),
    rule: fc.constantFrom('shelve-stopped' as const, 'delete-shelved' as const, 'expire-allocation' as const),
    stage: fc.constantFrom(...policies.rules.flatMap((r) => r.warn.map(stageName))),
    sentAt: fc.integer({ min: -400, max: 400 }).map((d) => iso(START + d * DAY)),
  });
  return fc.record({
    servers: fc.constant(servers), allocations: fc.constant(allocations), policies: fc.constant(policies),
    notices: fc.array(notice, { maxLength: 30 }), nowDay: fc.integer({ min: 0, max: 500 }), laterDays: fc.integer({ min: 0, max: 200 }),
  });
});

describe('planner properties', () => {
  it('never plans a destructive action for an exempt resource', () => {
    fc.assert(fc.property(plannerInputArb, (x) => {
      const now = START + x.nowDay * DAY;
      const p = plan({ inventory: inventory(x.servers), allocations: x.allocations, eol: [], policies: x.policies, noticesSent: x.notices, now: iso(now) });
      for (const item of p.items) {
        const s = x.servers.find((srv) => srv.id === item.resourceId)!;
        if (exemptAt(s, x.policies, now)) expect(item.action).toBe('none');
      }
    }), { numRuns: 300 });
  });

  it('is idempotent and ignores the order of its input', () => {
    fc.assert(fc.property(plannerInputArb, (x) => {
      const now = iso(START + x.nowDay * DAY);
      const input = { inventory: inventory(x.servers), allocations: x.allocations, eol: [], policies: x.policies, noticesSent: x.notices, now };
      const once = plan(input);
      expect(plan(structuredClone(input))).toEqual(once);
      const shuffled = { ...input, inventory: inventory([...x.servers].reverse()), allocations: [...x.allocations].reverse(), noticesSent: [...x.notices].reverse() };
      expect(plan(shuffled)).toEqual(once);
    }), { numRuns: 200 });
  });

  it('is monotonic in time: with the same notices, what is due now is still due later', () => {
    fc.assert(fc.property(plannerInputArb, (x) => {
      const t1 = START + x.nowDay * DAY;
      const t2 = t1 + x.laterDays * DAY;
      const notices = x.notices.filter((n) => Date.parse(n.sentAt) <= t1);
      const dueActions = (t: number): string[] =>
        plan({ inventory: inventory(x.servers), allocations: x.allocations, eol: [], policies: x.policies, noticesSent: notices, now: iso(t) })
          .items.filter((i) => i.due && isDestructive(i.action)).map((i) => `${i.resourceId} ${i.rule} ${i.action}`);
      const later = new Set(dueActions(t2));
      for (const key of dueActions(t1)) expect(later.has(key)).toBe(true);
    }), { numRuns: 300 });
  });
});
