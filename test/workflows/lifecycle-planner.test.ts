import { plan, stateSince } from '../../workflows/lifecycle-planner.js';
import {
  type Allocation, type EolEntry, type ImageInfo, type Inventory, type LifecyclePolicies, type LifecycleRule,
  type NoticeRecord, type PlanItem, type ServerInfo,
} from '../../workflows/lifecycle-types.js';

const DAY = 86_400_000;
const d = (n: number): number => n * DAY;

const rules = {
  shelve: { kind: 'shelve-stopped', after: d(14), states: ['SHUTOFF', 'SUSPENDED'], warn: [d(7), d(1)] } as LifecycleRule,
  del: { kind: 'delete-shelved', after: d(180), warn: [d(30), d(7)] } as LifecycleRule,
  expire: { kind: 'expire-allocation', after: d(180), warn: [d(30), d(7)] } as LifecycleRule,
  eol: { kind: 'retire-eol-images', after: 0, warn: [d(30)] } as LifecycleRule,
  dependants: { kind: 'warn-image-dependants', after: d(180), warn: [d(30), d(7)] } as LifecycleRule,
};

function policies(over: Partial<LifecyclePolicies> = {}): LifecyclePolicies {
  return { rules: [rules.shelve, rules.del], exemptMetadataKey: 'stratus:exempt', exempt: [], ...over };
}

function server(over: Partial<ServerInfo> = {}): ServerInfo {
  return {
    id: 'srv-1', name: 'web', projectId: 'p1', ownerEmail: 'alice@example.org', status: 'SHUTOFF',
    updated: '2026-03-01T00:00:00Z', metadata: {},
    lastActions: [{ action: 'create', startTime: '2026-01-01T00:00:00Z' }, { action: 'stop', startTime: '2026-03-01T00:00:00Z' }],
    ...over,
  };
}

function inventory(over: Partial<Inventory> = {}): Inventory {
  return { servers: [], images: [], volumes: [], floatingIps: [], networks: [], routers: [], ports: [], containers: [], ...over };
}

function run(opts: {
  servers?: ServerInfo[]; inv?: Partial<Inventory>; now: string; notices?: NoticeRecord[]; pol?: Partial<LifecyclePolicies>;
  allocations?: Allocation[]; eol?: EolEntry[];
}): { items: PlanItem[]; problems: string[] } {
  return plan({
    inventory: inventory({ servers: opts.servers ?? [server()], ...opts.inv }),
    allocations: opts.allocations ?? [], eol: opts.eol ?? [], policies: policies(opts.pol),
    noticesSent: opts.notices ?? [], now: opts.now,
  });
}

const notice = (stage: string, sentAt: string, rule: NoticeRecord['rule'] = 'shelve-stopped', resourceId = 'srv-1'): NoticeRecord =>
  ({ resourceId, rule, stage, sentAt });

describe('shelve-stopped', () => {
  it('plans the 7-day warning, not yet due, while the server has been stopped 4 days', () => {
    const { items } = run({ now: '2026-03-05T00:00:00Z' });
    expect(items).toEqual([expect.objectContaining({
      resourceType: 'server', resourceId: 'srv-1', action: 'notify', stage: 'warn-7d', rule: 'shelve-stopped',
      dueAt: '2026-03-08T00:00:00.000Z', due: false, recipients: ['alice@example.org'],
      announces: { effect: 'shelve', at: '2026-03-15T00:00:00.000Z' },
    })]);
    expect(items[0].reason).toBe('stopped since 2026-03-01 (4 days, from the instance action log) — rule shelve-stopped shelves after 14 days; 7 days warning before shelving on 2026-03-15');
  });

  it('sends the 1-day warning once the 7-day one is out, then shelves after 14 days', () => {
    const seven = notice('warn-7d', '2026-03-08T03:00:00Z');
    const one = run({ now: '2026-03-14T03:00:00Z', notices: [seven] }).items;
    // the 7-day warning went out at 03:00, so everything after it keeps its full 7 days
    expect(one).toEqual([expect.objectContaining({ action: 'notify', stage: 'warn-1d', dueAt: '2026-03-14T03:00:00.000Z', due: true })]);

    const shelve = run({ now: '2026-03-15T03:00:00Z', notices: [seven, notice('warn-1d', '2026-03-14T03:00:00Z')] }).items;
    expect(shelve).toEqual([expect.objectContaining({ action: 'shelve', dueAt: '2026-03-15T03:00:00.000Z', due: true })]);
    expect(shelve[0].reason).toBe('stopped since 2026-03-01 (14 days, from the instance action log) — rule shelve-stopped shelves after 14 days');
  });

  it('never surprises: missed warnings give the last one now and push the shelving by its lead time', () => {
    const first = run({ now: '2026-03-20T03:00:00Z' }).items;
    expect(first).toEqual([expect.objectContaining({
      action: 'notify', stage: 'warn-1d', due: true, announces: { effect: 'shelve', at: '2026-03-21T03:00:00.000Z' },
    })]);
    expect(first[0].reason).toContain('(the earlier warning was missed)');

    const later = run({ now: '2026-03-20T12:00:00Z', notices: [notice('warn-1d', '2026-03-20T03:00:00Z')] }).items;
    expect(later).toEqual([expect.objectContaining({ action: 'shelve', dueAt: '2026-03-21T03:00:00.000Z', due: false })]);
    expect(later[0].reason).toContain('postponed to 2026-03-21 so that the 1 day warning sent on 2026-03-20 comes in full');
  });

  it('ignores notices from an earlier episode (the server was started and stopped again)', () => {
    const s = server({
      updated: '2026-04-01T00:00:00Z',
      lastActions: [
        { action: 'stop', startTime: '2026-03-01T00:00:00Z' }, { action: 'start', startTime: '2026-03-20T00:00:00Z' },
        { action: 'stop', startTime: '2026-04-01T00:00:00Z' },
      ],
    });
    const old = [notice('warn-7d', '2026-03-08T00:00:00Z'), notice('warn-1d', '2026-03-14T00:00:00Z')];
    const { items } = run({ servers: [s], now: '2026-04-16T00:00:00Z', notices: old });
    expect(items).toEqual([expect.objectContaining({ action: 'notify', stage: 'warn-1d', due: true })]);
  });

  it('leaves active servers and states the rule does not cover alone', () => {
    const servers = [server({ id: 'a', status: 'ACTIVE' }), server({ id: 'b', status: 'ERROR' }), server({ id: 'c', status: 'PAUSED' })];
    expect(run({ servers, now: '2027-01-01T00:00:00Z' }).items).toEqual([]);
  });
});

describe('time in state', () => {
  it('falls back to updated without an action log, and when the log does not explain the state', () => {
    expect(stateSince(server({ lastActions: undefined, updated: '2026-02-01T10:00:00Z' })))
      .toEqual({ at: Date.parse('2026-02-01T10:00:00Z'), source: 'the last update' });
    // stopped from inside the guest after a start: the latest event wins
    const guest = server({
      updated: '2026-03-10T00:00:00Z',
      lastActions: [{ action: 'stop', startTime: '2026-03-01T00:00:00Z' }, { action: 'start', startTime: '2026-03-05T00:00:00Z' }],
    });
    expect(stateSince(guest)).toEqual({ at: Date.parse('2026-03-10T00:00:00Z'), source: 'the last update' });
  });

  it('dates a shelved-offloaded server from the shelve, and reads Nova times without a zone as UTC', () => {
    const s = server({
      status: 'SHELVED_OFFLOADED', updated: '2026-05-01T00:00:00Z',
      lastActions: [{ action: 'shelveOffload', startTime: '2026-01-10T01:00:00.000000' }, { action: 'shelve', startTime: '2026-01-10T00:00:00.000000' }],
    });
    expect(stateSince(s)).toEqual({ at: Date.parse('2026-01-10T00:00:00Z'), source: 'the instance action log' });
  });

  it('reports an unreadable updated time as a problem and plans nothing for that server', () => {
    const { items, problems } = run({ servers: [server({ updated: 'yesterday', lastActions: [] })], now: '2027-01-01T00:00:00Z' });
    expect(items).toEqual([]);
    expect(problems).toEqual(['server srv-1: updated "yesterday" is not a time; skipped']);
  });
});

describe('delete-shelved', () => {
  it('deletes a server shelved for 180 days after both warnings', () => {
    const s = server({ status: 'SHELVED_OFFLOADED', lastActions: [{ action: 'shelve', startTime: '2026-01-01T00:00:00Z' }] });
    const notices = [notice('warn-30d', '2026-05-31T00:00:00Z', 'delete-shelved'), notice('warn-7d', '2026-06-23T00:00:00Z', 'delete-shelved')];
    const { items } = run({ servers: [s], now: '2026-07-01T00:00:00Z', notices });
    expect(items).toEqual([expect.objectContaining({ action: 'delete', rule: 'delete-shelved', dueAt: '2026-06-30T00:00:00.000Z', due: true })]);
    expect(items[0].reason).toMatch(/^shelved since 2026-01-01 \(181 days, from the instance action log\) — rule delete-shelved deletes after 180 days$/);
  });
});

describe('exemptions', () => {
  const now = '2026-04-01T00:00:00Z';
  const allSent = [notice('warn-7d', '2026-03-08T00:00:00Z'), notice('warn-1d', '2026-03-14T00:00:00Z')];

  it('metadata forever and until a future date give none with the reason', () => {
    const servers = [server({ id: 'srv-1', metadata: { 'stratus:exempt': 'forever' } }), server({ id: 'srv-2', metadata: { 'stratus:exempt': 'until:2026-04-30' } })];
    const { items } = run({ servers, now, notices: allSent });
    expect(items.map((i) => [i.resourceId, i.action])).toEqual([['srv-1', 'none'], ['srv-2', 'none']]);
    expect(items[0].reason).toContain('exempt by metadata stratus:exempt=forever');
    expect(items[1].reason).toContain('exempt by metadata stratus:exempt=until:2026-04-30');
  });

  it('a lapsed exemption restarts the warnings instead of acting at once', () => {
    const s = server({ metadata: { 'stratus:exempt': 'until:2026-03-20' } });
    const { items } = run({ servers: [s], now, notices: allSent });
    expect(items).toEqual([expect.objectContaining({ action: 'notify', stage: 'warn-1d', due: true })]);
  });

  it('an unreadable exemption is treated as exempt and reported', () => {
    const { items, problems } = run({ servers: [server({ metadata: { 'stratus:exempt': 'until:next year' } })], now, notices: allSent });
    expect(items).toEqual([expect.objectContaining({ action: 'none' })]);
    expect(problems).toEqual(['server srv-1: stratus:exempt="until:next year" is neither "forever" nor "until:YYYY-MM-DD"; treated as exempt']);
  });

  it('config exemptions by resource id or project id carry their reason', () => {
    const servers = [server({ id: 'srv-1' }), server({ id: 'srv-2', projectId: 'p2' }), server({ id: 'srv-3', projectId: 'p3' })];
    const exempt = [{ id: 'srv-1', reason: 'teaching lab' }, { id: 'p2', reason: 'grant pending', until: '2026-06-30' }];
    const { items } = run({ servers, now, notices: allSent, pol: { exempt } });
    expect(items.map((i) => [i.resourceId, i.action])).toEqual([['srv-1', 'none'], ['srv-2', 'none'], ['srv-3', 'notify']]);
    expect(items[0].reason).toContain('exempt in config: teaching lab');
    expect(items[1].reason).toContain('exempt in config (project p2) until 2026-06-30: grant pending');
  });
});

describe('expire-allocation', () => {
  const p = 'proj-x';
  const inv: Partial<Inventory> = {
    servers: [server({ id: 'srv-9', projectId: p, status: 'ACTIVE', lastActions: [] })],
    floatingIps: [{ id: 'fip-1', address: '203.0.113.5', projectId: p }],
    volumes: [{ id: 'vol-1', name: 'data', projectId: p, status: 'in-use', attachedTo: ['srv-9'] }],
    images: [{ id: 'img-1', name: 'snap', ownerProjectId: p, visibility: 'private', properties: {} }],
    routers: [{ id: 'rt-1', name: 'r', projectId: p }],
    ports: [{ id: 'port-1', name: '', projectId: p, networkId: 'net-1' }],
    networks: [{ id: 'net-1', name: 'n', projectId: p }],
    containers: [{ projectId: p, name: 'backups', objectCount: 3, bytes: 10 }],
    projects: [{ id: p, name: 'Genomics' }],
  };
  const allocations = [{ projectId: p, endDate: '2025-09-01', contactEmail: 'pi@example.org' }];
  const ids = ['srv-9', 'fip-1', 'vol-1', 'img-1', 'rt-1', 'port-1', 'net-1', `${p}/backups`];

  it('warns 30 days before the project is purged, naming the allocation end', () => {
    const { items } = run({ inv, allocations, now: '2026-02-01T00:00:00Z', pol: { rules: [rules.expire] } });
    expect(items).toHaveLength(8);
    expect(items.every((i) => i.action === 'notify' && i.stage === 'warn-30d' && i.due)).toBe(true);
    expect(items[0].reason).toBe("allocation of project Genomics (proj-x) ended on 2025-09-01 (153 days ago) — rule expire-allocation deletes a project's resources 180 days after its allocation ends; 30 days warning before deletion on 2026-03-03");
    // the 30-day warning is late (due 2026-01-29), so the deletion moves to 30 days after now
    expect(items[0].announces).toEqual({ effect: 'delete', at: '2026-03-03T00:00:00.000Z' });
    expect(items.find((i) => i.resourceId === 'srv-9')?.recipients).toEqual(['alice@example.org', 'pi@example.org']);
  });

  it('deletes everything the project owns in dependency order once warned', () => {
    const notices = ids.flatMap((id) => [notice('warn-30d', '2026-01-29T00:00:00Z', 'expire-allocation', id), notice('warn-7d', '2026-02-21T00:00:00Z', 'expire-allocation', id)]);
    const { items } = run({ inv, allocations, notices, now: '2026-03-01T00:00:00Z', pol: { rules: [rules.expire] } });
    expect(items.map((i) => [i.resourceType, i.action, i.due])).toEqual([
      ['floating-ip', 'delete', true], ['server', 'delete', true], ['volume', 'delete', true], ['image', 'delete', true],
      ['router', 'delete', true], ['port', 'delete', true], ['network', 'delete', true], ['container', 'delete', true],
    ]);
  });

  it('does nothing for projects without an allocation or whose allocation has not ended', () => {
    expect(run({ inv, allocations: [], now: '2030-01-01T00:00:00Z', pol: { rules: [rules.expire] } }).items).toEqual([]);
    expect(run({ inv, allocations: [{ projectId: p, endDate: '2027-01-01' }], now: '2026-12-31T00:00:00Z', pol: { rules: [rules.expire] } }).items).toEqual([]);
  });

  it('reports an unreadable allocation end date and acts on nothing of that project', () => {
    const { items, problems } = run({ inv, allocations: [{ projectId: p, endDate: 'soon' }], now: '2030-01-01T00:00:00Z', pol: { rules: [rules.expire] } });
    expect(items).toEqual([]);
    expect(problems).toEqual(['allocation of project proj-x: endDate "soon" is not a date; project skipped']);
  });
});

describe('retire-eol-images', () => {
  const bionic: ImageInfo = { id: 'img-u18', name: 'Ubuntu 18.04', ownerProjectId: 'admin', visibility: 'public', featured: true, osDistro: 'ubuntu', osVersion: '18.04', properties: {} };
  const centos: ImageInfo = { id: 'img-c8', name: 'CentOS 8.6', ownerProjectId: 'admin', visibility: 'public', featured: true, properties: { os_distro: 'CentOS', os_version: '8.6' } };
  const snapshot: ImageInfo = { id: 'img-snap', name: 'my snapshot', ownerProjectId: 'p1', visibility: 'private', properties: { base_image_ref: 'img-u18' } };
  const eol = [{ distro: 'ubuntu', version: '18.04', eolDate: '2023-05-31' }, { distro: 'centos', version: '8', eolDate: '2021-12-31' }];
  const onBionic = server({ status: 'ACTIVE', imageId: 'img-u18', lastActions: [] });
  const allocations = [{ projectId: 'admin', endDate: '2099-01-01', contactEmail: 'cloud@example.org' }];

  it('warns the image owner and the owners of servers and snapshots built on it before end of life', () => {
    const { items } = run({ servers: [onBionic], inv: { images: [bionic, snapshot] }, eol, allocations, now: '2023-05-10T00:00:00Z', pol: { rules: [rules.eol] } });
    expect(items.map((i) => [i.resourceId, i.action, i.stage, i.due])).toEqual([
      ['img-u18', 'notify', 'warn-30d', true], ['srv-1', 'notify', 'warn-30d', true], ['img-snap', 'notify', 'warn-30d', true],
    ]);
    expect(items[1].announces).toEqual({ effect: 'image-eol', at: '2023-05-31T00:00:00.000Z', image: { id: 'img-u18', name: 'Ubuntu 18.04' } });
    expect(items[0].recipients).toEqual(['cloud@example.org']);
  });

  it('unfeatures the image after its end of life and tells dependants to migrate', () => {
    const notices = ['img-u18', 'img-snap', 'srv-1'].map((id) => notice('warn-30d', '2023-05-01T00:00:00Z', 'retire-eol-images', id));
    const { items } = run({ servers: [onBionic], inv: { images: [bionic, snapshot] }, eol, allocations, notices, now: '2023-06-01T00:00:00Z', pol: { rules: [rules.eol] } });
    expect(items.map((i) => [i.resourceId, i.action, i.stage])).toEqual([
      ['img-u18', 'unfeature', undefined], ['srv-1', 'notify', 'eol'], ['img-snap', 'notify', 'eol'],
    ]);
    expect(items[0].reason).toBe('runs ubuntu 18.04, end of life on 2023-05-31 — rule retire-eol-images removes it from the featured list at end of life');
    // once the eol notice is out, dependants drop out of the plan
    const done = run({ servers: [onBionic], inv: { images: [bionic, snapshot] }, eol, allocations, now: '2023-06-02T00:00:00Z', pol: { rules: [rules.eol] },
      notices: [...notices, notice('eol', '2023-06-01T00:00:00Z', 'retire-eol-images', 'srv-1')] });
    expect(done.items.map((i) => i.resourceId)).toEqual(['img-u18', 'img-snap']);
    expect(done.items[1].stage).toBe('eol');
  });

  it('matches a version prefix at a dot and the distro case-insensitively', () => {
    const { items } = run({ servers: [], inv: { images: [centos] }, eol, now: '2022-06-01T00:00:00Z', pol: { rules: [rules.eol] } });
    expect(items).toEqual([expect.objectContaining({ resourceId: 'img-c8', action: 'notify', stage: 'warn-30d' })]);
    expect(items[0].reason).toContain('runs centos 8, end of life on 2021-12-31');
  });
});

describe('warn-image-dependants', () => {
  const community: ImageInfo = { id: 'img-comm', name: 'R studio', ownerProjectId: 'p-owner', visibility: 'community', properties: {} };
  const allocations = [{ projectId: 'p-owner', endDate: '2026-01-01' }, { projectId: 'p-user', endDate: '2099-01-01', contactEmail: 'lab@example.org' }];

  it('warns users in other projects before the image of an expired project is deleted', () => {
    const servers = [
      server({ id: 'srv-user', projectId: 'p-user', status: 'ACTIVE', imageId: 'img-comm', lastActions: [] }),
      server({ id: 'srv-own', projectId: 'p-owner', status: 'ACTIVE', imageId: 'img-comm', lastActions: [] }),
    ];
    const { items } = run({ servers, inv: { images: [community] }, allocations, now: '2026-06-05T00:00:00Z', pol: { rules: [rules.expire, rules.dependants] } });
    const mine = items.filter((i) => i.rule === 'warn-image-dependants');
    expect(mine).toEqual([expect.objectContaining({
      resourceId: 'srv-user', action: 'notify', stage: 'warn-30d', due: true, recipients: ['alice@example.org', 'lab@example.org'],
      announces: { effect: 'image-deleted', at: '2026-06-30T00:00:00.000Z', image: { id: 'img-comm', name: 'R studio' } },
    })]);
  });

  it('stays quiet about private or exempt images', () => {
    const servers = [server({ id: 'srv-user', projectId: 'p-user', status: 'ACTIVE', imageId: 'img-comm', lastActions: [] })];
    const exempt = { ...community, properties: { 'stratus:exempt': 'forever' } };
    const priv = { ...community, visibility: 'private' as const };
    for (const image of [exempt, priv]) {
      const { items } = run({ servers, inv: { images: [image] }, allocations, now: '2026-06-05T00:00:00Z', pol: { rules: [rules.dependants] } });
      expect(items).toEqual([]);
    }
  });
});

describe('the plan as a whole', () => {
  it('is sorted by project, deletion order and id whatever the input order', () => {
    const servers = [server({ id: 'b', projectId: 'p2' }), server({ id: 'a', projectId: 'p2' }), server({ id: 'z', projectId: 'p1' })];
    const one = run({ servers, now: '2026-04-01T00:00:00Z' });
    const two = run({ servers: [...servers].reverse(), now: '2026-04-01T00:00:00Z' });
    expect(one.items.map((i) => i.resourceId)).toEqual(['z', 'a', 'b']);
    expect(two).toEqual(one);
  });

  it('refuses a now that is not a time', () => {
    expect(() => run({ now: 'tomorrow' })).toThrow('plan: now "tomorrow" is not an ISO time');
  });
});
