// Seeded dashboard data for the picture tests and screenshots, in the shapes the queries return:
// three trains (one patching, one running after an `advance`, one not running), three image
// streams with a year of nightly builds (one stale, one with a revoked image) and a lifecycle
// plan of 1,500 resources with a sweep waiting for approval. Deterministic: no clock, no random.
import { type ImagesView, type LifecycleView, type ReleasesView, type StreamRow, type TrainPlanSettings } from '../../dashboard/model.js';
import { advancePhase, computeCalendar, DEFAULT_SPRINTS } from '../../workflows/release-calendar.js';
import { type BuildListEntry, type StreamStatus } from '../../workflows/image-stream-model.js';
import { type PlanLine, type SweepReport } from '../../workflows/lifecycle-sweep-types.js';
import { type TrainStatus } from '../../workflows/release-train-types.js';

const DAY = 86_400_000;
/** "Now" of every seeded page: Monday 3 March 2025, 10:00 UTC. */
export const SEED_NOW = Date.parse('2025-03-03T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
export const SEED_PLAN: TrainPlanSettings = { sprints: [...DEFAULT_SPRINTS], trickleDown: 'weekdays', trickleDownAt: '00:00' };

/** A small deterministic generator (a linear congruential one), so the pictures look lived-in. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

function train(version: number, codename: string, start: string, over: Partial<TrainStatus>): TrainStatus {
  const calendar = computeCalendar(start, DEFAULT_SPRINTS);
  const repos = ['atmosphere', 'clank', 'nimbus'].map((name) => ({ name, target: 'release-branch' as const, branch: `v${version}`, state: 'branched' as const }));
  return {
    workflowId: `release-v${version}`, version, codename, stage: 'cycle', calendar, phase: null, approved: false, autoApprove: false, repos,
    waiting: [], tags: [], trickleDowns: 0, githubReleases: [], runs: 1, ...over,
  };
}

/** v30 patching (two tags), v31 in Sprint 2 after Sprint 1 was advanced 5 days early, v29 completed. */
export function seededReleases(): ReleasesView {
  const v30 = train(30, 'Callisto', '2025-01-06', { stage: 'patching', approved: true, trickleDowns: 24, lastTrickleDown: '2025-02-07T00:00:00.000Z', nextTrain: 'release-v31' });
  v30.tags = [
    { tag: 'v30-1', n: 1, at: '2025-02-10T00:05:00.000Z', repos: v30.repos.map((r) => ({ repo: r.name, sha: '1'.repeat(40) })) },
    { tag: 'v30-2', n: 2, at: '2025-02-24T14:30:00.000Z', repos: v30.repos.map((r) => ({ repo: r.name, sha: '2'.repeat(40) })) },
  ];
  v30.repos = v30.repos.map((r) => ({ ...r, state: 'tagged' }));
  v30.releaseNotes = '.stratus/release-notes/v30.md';
  const v31 = train(31, 'Ganymede', '2025-02-10', { trickleDowns: 14, lastTrickleDown: '2025-03-03T00:00:00.000Z' });
  v31.calendar = advancePhase(v31.calendar, '2025-02-19T09:00:00.000Z');
  v31.phase = { ...v31.calendar.phases[1]!, index: 1 };
  v31.waiting = [{ kind: 'merge-conflict', reason: 'trickle-down of v31 into master conflicts in clank', since: '2025-03-03T00:00:00.000Z', repo: 'clank', pullRequest: { repo: 'stratus/clank', number: 412, url: 'https://github.example/stratus/clank/pull/412' } }];
  v31.repos = v31.repos.map((r) => (r.name === 'clank' ? { ...r, state: 'conflict', lastMerge: { kind: 'trickle-down', status: 'merged', at: '2025-02-28T00:00:00.000Z' } } : { ...r, lastMerge: { kind: 'trickle-down', status: 'fast-forward', at: '2025-03-03T00:00:00.000Z' } }));
  return {
    temporal: 'ok',
    trains: [
      { workflowId: 'release-v31', execution: 'RUNNING', startTime: v31.calendar.start, status: v31, plan: SEED_PLAN },
      { workflowId: 'release-v30', execution: 'RUNNING', startTime: v30.calendar.start, status: v30, plan: SEED_PLAN },
      { workflowId: 'release-v29', execution: 'COMPLETED', startTime: '2024-12-02T00:00:00.000Z', problem: 'release-v29 is not running (completed)' },
    ],
  };
}

const TESTS = ['boot', 'cloud-init', 'lint'];

function streamBuilds(stream: string, nights: number, failRate: number, seed: number, skip: (day: number) => boolean): BuildListEntry[] {
  const rnd = lcg(seed);
  const out: BuildListEntry[] = [];
  for (let d = nights - 1; d >= 0; d--) {
    const night = SEED_NOW - d * DAY - 8 * 3_600_000; // 02:00 UTC
    if (skip(d)) continue;
    const failed = rnd() < failRate;
    const advisory = !failed && rnd() < 0.12;
    const day = iso(night).slice(0, 10).replaceAll('-', '');
    out.push({
      id: `${stream}-${day}.1`, stream, date: iso(night), status: failed ? 'failed' : 'passed',
      tests: TESTS.map((name) => ({ name, passed: name === 'boot' ? !failed : name === 'lint' ? !advisory : true, advisory: name === 'lint' })),
      artifacts: [{ file: `${stream}.qcow2`, sha256: 'c'.repeat(64), size: 734_003_200 }],
      reason: failed ? 'boot: the image did not answer SSH within 300 s' : null, trackerUrl: failed ? `https://tracker.example/browse/IMG-${100 + d}` : null,
    });
  }
  return out;
}

function streamRow(stream: string, builds: BuildListEntry[], over: Partial<StreamStatus>, notice: StreamStatus['page']['revokedNotice'] = null): StreamRow {
  const published = [...builds].reverse().find((b) => b.status === 'published') ?? null;
  const status: StreamStatus = {
    stream, published: published ? { id: published.id, date: published.date } : null, stale: false, trackerUrl: null,
    deadline: iso(SEED_NOW + 5 * DAY), nextNightly: iso(SEED_NOW + 16 * 3_600_000), paused: false, onNoPass: 'skip', rebuildUntilPass: false,
    running: null, queued: [], revoked: builds.filter((b) => b.status === 'revoked').map((b) => b.id), warnings: [], lastPublishAt: published?.date ?? null,
    builds: builds.length, buildsStarted: builds.length + 3,
    page: {
      stream, image: published ? { id: published.id, startedAt: published.date, baseRelease: 'fedora-42', artifacts: [{ name: `${stream}.qcow2`, sha256: 'c'.repeat(64), size: 734_003_200, kind: 'qcow2' }] } : null,
      stale: over.stale ?? false, trackerUrl: over.trackerUrl ?? null, revoked: [], revokedNotice: notice, warnings: [],
    },
    ...over,
  };
  return { workflowId: `image-stream-${stream}`, stream, execution: 'RUNNING', status, builds };
}

/** Marks every 14th passing night as published and `revoke` of them as revoked. */
function publishEveryTwoWeeks(builds: BuildListEntry[], revoke: number[] = []): BuildListEntry[] {
  let k = 0;
  return builds.map((b, i) => {
    if (i % 14 !== 13 || b.status !== 'passed') return b;
    const n = k++;
    return { ...b, status: revoke.includes(n) ? 'revoked' : 'published', ...(revoke.includes(n) ? { reason: 'kernel panic on first boot (revoked by dashboard:alice)' } : {}) };
  });
}

/** atomic-host: a year, healthy; fedora-cloud: stale, failing for two weeks; centos-base: 200 nights, the newest published image revoked. */
export function seededImages(): ImagesView {
  const atomic = publishEveryTwoWeeks(streamBuilds('atomic-host', 365, 0.06, 7, (d) => d % 97 === 50));
  const fedora = publishEveryTwoWeeks(streamBuilds('fedora-cloud', 365, 0.1, 11, (d) => d > 300 && d < 320)).map((b, i, all) =>
    i >= all.length - 16 ? { ...b, status: 'failed' as const, reason: 'cloud-init: datasource not found', tests: b.tests.map((t) => (t.name === 'cloud-init' ? { ...t, passed: false } : t)) } : b);
  const centosAll = publishEveryTwoWeeks(streamBuilds('centos-base', 200, 0.05, 23, () => false));
  const lastPublished = centosAll.map((b) => b.status).lastIndexOf('published');
  const centos = centosAll.map((b, i) => (i === lastPublished ? { ...b, status: 'revoked' as const, reason: 'kernel panic on first boot' } : b));
  const revokedId = centos[lastPublished]!.id;
  return {
    temporal: 'ok',
    streams: [
      streamRow('atomic-host', atomic, {}),
      streamRow('centos-base', centos, {}, { imageId: revokedId, reason: 'kernel panic on first boot (by dashboard:alice)' }),
      streamRow('fedora-cloud', fedora, { stale: true, trackerUrl: 'https://tracker.example/browse/IMG-7' }),
    ],
  };
}

const PROJECTS = ['astro', 'bio-lab', 'ci-runners', 'data-eng', 'edu-hpc', 'genomics', 'ml-train', 'web-prod'];

/** 1,500 plan items over 8 projects, due from 3 days ago to 70 days ahead, and a sweep waiting for approval. */
export function seededLifecycle(): LifecycleView {
  const rnd = lcg(5);
  const items: PlanLine[] = Array.from({ length: 1_500 }, (_, i) => {
    const r = rnd();
    const [action, rule, why]: [PlanLine['action'], PlanLine['rule'], string] = r < 0.45 ? ['notify', 'shelve-stopped', 'stopped for 25 days; shelved at 30 days']
      : r < 0.7 ? ['shelve', 'shelve-stopped', 'stopped for 31 days']
        : r < 0.93 ? ['delete', 'delete-shelved', 'shelved for 90 days'] : ['unfeature', 'retire-eol-images', 'CentOS 7 is end of life'];
    const due = SEED_NOW + Math.floor(rnd() < 0.04 ? -1 - rnd() * 3 : rnd() * rnd() * 70) * DAY + 17 * 3_600_000;
    return { resource: { type: rule === 'retire-eol-images' ? 'image' : 'server', id: `res-${String(i).padStart(5, '0')}`, name: `${PROJECTS[i % 8]}-vm-${i}`, project: PROJECTS[i % 8]! }, action, rule, reason: why, dueAt: iso(due) };
  });
  const waiting: SweepReport = {
    sweepId: 'lifecycle-sweep-20250303', mode: 'sweep', enforce: true, status: 'awaiting-approval', at: iso(SEED_NOW - 7 * 3_600_000), startedAt: iso(SEED_NOW - 7 * 3_600_000),
    inventory: { servers: 1_412, images: 88, volumes: 0 }, pages: 3, problems: [],
    notices: { sent: [], due: 37, unaddressed: 0, failed: [] },
    blastRadius: { destructive: 61, maxActionsPerSweep: 50, maxActionsPercent: 5, byType: [{ type: 'server', due: 61, total: 1_412, limit: 50 }], exceeded: true, reason: '61 destructive actions, more than the 50 allowed per sweep' },
    actions: [], summary: '61 destructive actions wait for approval; 37 warnings due',
  };
  return {
    temporal: 'ok',
    status: { enforce: true, sweepAt: '03:00', nextSweepAt: iso(SEED_NOW + 17 * 3_600_000), exemptions: [{ id: 'res-00042', until: '2025-06-30', reason: 'conference demo', addedAt: iso(SEED_NOW - 20 * DAY) }], noticesRemembered: 412, sweeps: 58 },
    lastReport: null,
    plan: { sweepId: 'lifecycle-plan-20250303', at: iso(SEED_NOW - 3_600_000), items, problems: [] },
    running: [{ sweepId: waiting.sweepId, execution: 'RUNNING', report: waiting }],
  };
}
