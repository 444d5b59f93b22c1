// What the real cloud's shapes mean for the planner and the report: shelve snapshot images that
// inherit "featured", project-less Neutron ports, snapshots and security groups of an expired
// project, and the words a member credential's partial inventory and a failed action turn into.
import { ownerOfPorts, plan } from '../../workflows/lifecycle-planner.js';
import { endedProjects, hasFailures, mergeInventory, summarize, unseenLines } from '../../workflows/lifecycle-sweep-logic.js';
import { type ImageInfo, type Inventory, type LifecycleRule } from '../../workflows/lifecycle-types.js';
import { type SweepReport } from '../../workflows/lifecycle-sweep-types.js';

const DAY = 86_400_000;
const eolRule: LifecycleRule = { kind: 'retire-eol-images', after: 0, warn: [30 * DAY] };
const expireRule: LifecycleRule = { kind: 'expire-allocation', after: 0, warn: [] };
const empty = (over: Partial<Inventory> = {}): Inventory => ({ servers: [], images: [], volumes: [], floatingIps: [], networks: [], routers: [], ports: [], containers: [], ...over });
const policies = (rule: LifecycleRule) => ({ rules: [rule], exemptMetadataKey: 'stratus:exempt', exempt: [] });

describe('shelve snapshot images', () => {
  const base: ImageInfo = { id: 'img-u18', name: 'Ubuntu 18.04', ownerProjectId: 'admin', visibility: 'public', featured: true, osDistro: 'ubuntu', osVersion: '18.04', properties: { featured: 'true' } };
  // What Nova makes when it shelves `web`: the base image's properties, featured included.
  const shelved: ImageInfo = {
    id: 'img-shelved', name: 'web-shelved', ownerProjectId: 'p1', visibility: 'private', featured: true, osDistro: 'ubuntu', osVersion: '18.04', snapshotOf: 'srv-1',
    properties: { featured: 'true', os_distro: 'ubuntu', os_version: '18.04', image_type: 'snapshot', instance_uuid: 'srv-1', base_image_ref: 'img-u18' },
  };
  const web = { id: 'srv-1', name: 'web', projectId: 'p1', status: 'SHELVED_OFFLOADED', updated: '2023-01-01T00:00:00Z', imageId: 'img-u18', metadata: {} };

  it('are never unfeatured or retired on their own; the base image is, and the server hears about it', () => {
    const eol = [{ distro: 'ubuntu', version: '18.04', eolDate: '2023-05-31' }];
    const notices = ['img-u18', 'srv-1'].map((resourceId) => ({ resourceId, rule: 'retire-eol-images' as const, stage: 'warn-30d', sentAt: '2023-05-01T00:00:00Z' }));
    const { items } = plan({ inventory: empty({ images: [base, shelved], servers: [web] }), allocations: [], eol, policies: policies(eolRule), noticesSent: notices, now: '2023-06-01T00:00:00Z' });
    expect(items.map((i) => [i.resourceId, i.action])).toEqual([['img-u18', 'unfeature'], ['srv-1', 'notify']]);
  });
});

describe('an expired project as the real cloud lists it', () => {
  const inv = empty({
    routers: [{ id: 'r1', name: 'gw', projectId: 'p-old' }],
    floatingIps: [{ id: 'f1', address: '203.0.113.5', projectId: 'p-old' }],
    networks: [{ id: 'ext', name: 'public', projectId: 'admin' }, { id: 'n1', name: 'private', projectId: 'p-old' }],
    ports: [
      { id: 'gw-port', name: '', projectId: '', networkId: 'ext', deviceOwner: 'network:router_gateway', deviceId: 'r1' },
      { id: 'fip-port', name: '', projectId: '', networkId: 'ext', deviceOwner: 'network:floatingip', deviceId: 'f1' },
      { id: 'odd-port', name: '', projectId: '', networkId: 'n1' },
    ],
    volumeSnapshots: [{ id: 's1', name: 'nightly', projectId: 'p-old', volumeId: 'v1', status: 'available' }],
    volumes: [{ id: 'v1', name: 'data', projectId: 'p-old', status: 'available' }],
    securityGroups: [{ id: 'sg1', name: 'default', projectId: 'p-old' }],
  });

  it('attributes project-less ports to their router, floating IP or network', () => {
    const owner = ownerOfPorts(inv);
    expect(inv.ports.map((p) => owner(p))).toEqual(['p-old', 'p-old', 'p-old']);
  });

  it('plans snapshots before volumes and security groups after ports, in the one deletion order', () => {
    const { items } = plan({ inventory: inv, allocations: [{ projectId: 'p-old', endDate: '2025-01-01' }], eol: [], policies: policies(expireRule), noticesSent: [], now: '2025-02-01T00:00:00Z' });
    expect(items.map((i) => `${i.resourceType} ${i.resourceId}`)).toEqual([
      'floating-ip f1', 'volume-snapshot s1', 'volume v1', 'router r1', 'port fip-port', 'port gw-port', 'port odd-port', 'security-group sg1', 'network n1',
    ]);
  });
});

describe('what the report says', () => {
  it('names what a member credential could not see, and the ended projects it therefore leaves alone', () => {
    const reason = 'it has roles member on project p-me; seeing other projects needs the admin role';
    const into = empty();
    mergeInventory(into, empty({ unseen: [{ kind: 'servers', projects: 'every project but p-me', reason }] }));
    mergeInventory(into, empty({ unseen: [{ kind: 'servers', projects: 'every project but p-me', reason }, { kind: 'volumes', projects: 'every project but p-me', reason }] }));
    mergeInventory(into, empty({ unseen: [{ kind: 'containers', projects: 'p-gone', reason: 'needs the ResellerAdmin role' }] }));
    expect(unseenLines(into, endedProjects([{ projectId: 'p-gone', endDate: '2025-01-01' }, { projectId: 'p-me', endDate: '2025-01-02' }, { projectId: 'p-live', endDate: '2099-01-01' }], '2025-06-01T00:00:00Z'))).toEqual([
      `not visible to this credential: servers, volumes of every project but p-me — ${reason}`,
      'not visible to this credential: containers of p-gone — needs the ResellerAdmin role',
      `not visible to this credential: the resources of project p-gone, whose allocation ended, so they are neither planned nor purged — ${reason}`,
    ]);
  });

  it('a failed or unverifiable action makes the sweep one with failures, shown with its reason', () => {
    const resource = { type: 'volume' as const, id: 'v1', name: 'data', project: 'p-old' };
    const failed = { resource, action: 'delete' as const, rule: 'expire-allocation' as const, reason: 'r', outcome: 'failed' as const, detail: 'volume v1: conflict (HTTP 400): Invalid volume: … have snapshots …' };
    const notices = { sent: [], due: 0, unaddressed: 0, failed: [] };
    expect(hasFailures({ actions: [failed], notices })).toBe(true);
    expect(hasFailures({ actions: [{ ...failed, outcome: 'not-visible' }], notices })).toBe(true);
    expect(hasFailures({ actions: [{ ...failed, outcome: 'done' }], notices })).toBe(false);
    const report: Omit<SweepReport, 'summary'> = {
      sweepId: 'lifecycle-sweep-1', mode: 'sweep', enforce: true, status: 'completed-with-failures', at: '2025-01-01T00:00:00Z', startedAt: '2025-01-01T00:00:00Z',
      inventory: { volume: 1 }, pages: 1, problems: ['purge of project p-old: volume v1 was not deleted: have snapshots'], notices, actions: [failed],
      unseen: ['not visible to this credential: servers of every project but p-me — …'],
    };
    const text = summarize(report);
    expect(text).toContain('sweep lifecycle-sweep-1 at 2025-01-01T00:00:00Z: completed-with-failures');
    expect(text).toContain('failed: 1');
    expect(text).toContain('problem: purge of project p-old: volume v1 was not deleted: have snapshots');
    expect(text).toContain('not visible to this credential: servers of every project but p-me');
  });
});
