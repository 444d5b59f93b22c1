// Benchmark of the dashboard's server-side rendering, pictures included: 50 release trains, 20
// image streams × 365 builds and a 20,000-resource lifecycle plan, fed to the page renderers in
// the shapes the queries return. Targets: under 100 ms of server time per page; releases and
// images pages under 500 KB, each lifecycle page under 300 KB.
import { renderImagesPage } from '../dashboard/images-page.js';
import { type PageContext } from '../dashboard/layout.js';
import { renderLifecyclePage } from '../dashboard/lifecycle-page.js';
import { type ImagesView, type LifecycleView, type ReleasesView } from '../dashboard/model.js';
import { renderReleasesPage } from '../dashboard/releases-page.js';
import { computeCalendar } from '../workflows/release-calendar.js';
import { type BuildListEntry, type StreamStatus } from '../workflows/image-stream-model.js';
import { type PlanLine } from '../workflows/lifecycle-sweep-types.js';
import { type TrainStatus } from '../workflows/release-train-types.js';

const DAY = 86_400_000;
const T0 = Date.parse('2025-01-06T00:00:00Z');
const SPRINTS = [{ name: 'Sprint 1', length: '2w', focus: 'bugs' as const }, { name: 'Sprint 2', length: '2w', focus: 'features' as const }, { name: 'Release', length: '1w', focus: 'release' as const }];

/** `n` trains as the `status` query returns them (five repos, a few tags, a wait each). */
export function syntheticReleases(n: number, text = (s: string) => s): ReleasesView {
  return {
    temporal: 'ok',
    trains: Array.from({ length: n }, (_, i) => {
      const version = i + 1;
      const calendar = computeCalendar(new Date(T0 + i * 35 * DAY).toISOString(), SPRINTS);
      const repos = Array.from({ length: 5 }, (__, r) => ({ name: text(`repo-${r}`), target: 'release-branch' as const, branch: `v${version}`, state: 'tagged' as const, lastMerge: { kind: 'trickle-down' as const, status: 'merged' as const, at: calendar.start } }));
      const status: TrainStatus = {
        workflowId: `release-v${version}`, version, codename: text(`codename-${version}`), stage: 'cycle', calendar, phase: { ...calendar.phases[1]!, index: 1 },
        approved: false, autoApprove: false, repos,
        waiting: [{ kind: 'merge-conflict', reason: text('merge conflict in repo-1'), since: calendar.start, repo: 'repo-1', pullRequest: { repo: 'o/repo-1', number: 7, url: 'https://github.example/o/repo-1/pull/7' } }],
        tags: [1, 2, 3].map((k) => ({ tag: `v${version}-${k}`, n: k, at: calendar.end, repos: repos.map((r) => ({ repo: r.name, sha: 'a'.repeat(40) })) })),
        trickleDowns: 12, releaseNotes: text(`.stratus/release-notes/v${version}.md`), githubReleases: [], runs: 1,
      };
      return { workflowId: status.workflowId, execution: 'RUNNING', startTime: calendar.start, status, plan: { sprints: SPRINTS, trickleDown: 'weekdays' as const, trickleDownAt: '00:00' } };
    }),
  };
}

/** `streams` streams with `builds` builds each (5 tests, one advisory), the last one published. */
export function syntheticImages(streams: number, builds: number, text = (s: string) => s): ImagesView {
  return {
    temporal: 'ok',
    streams: Array.from({ length: streams }, (_, s) => {
      const stream = `stream-${s}`;
      const list: BuildListEntry[] = Array.from({ length: builds }, (__, b) => ({
        id: `${stream}-${new Date(T0 + b * DAY).toISOString().slice(0, 10).replaceAll('-', '')}.1`, stream, date: new Date(T0 + b * DAY).toISOString(),
        status: b % 7 === 0 ? 'failed' : 'passed',
        tests: Array.from({ length: 5 }, (___, k) => ({ name: text(`test-${k}`), passed: !(b % 7 === 0 && k === 1) && !(k === 4 && b % 3 === 0), advisory: k === 4 })),
        artifacts: [{ file: 'disk.qcow2', sha256: 'b'.repeat(64), size: 1 << 30 }], reason: b % 7 === 0 ? text('test-1 failed: exit code 1') : null, trackerUrl: null,
      }));
      const last = list[list.length - 1]!;
      const status: StreamStatus = {
        stream, published: { id: last.id, date: last.date }, stale: s % 2 === 0, trackerUrl: 'https://tracker.example/1', deadline: last.date, nextNightly: last.date,
        paused: false, onNoPass: 'skip', rebuildUntilPass: false, running: null, queued: [], revoked: [], warnings: [], lastPublishAt: last.date, builds, buildsStarted: builds,
        page: {
          stream, image: { id: last.id, startedAt: last.date, baseRelease: 'fedora-42', artifacts: [{ name: 'disk.qcow2', sha256: 'b'.repeat(64), size: 1 << 30, kind: 'qcow2' }] },
          stale: s % 2 === 0, trackerUrl: null, revoked: [], revokedNotice: s % 5 === 0 ? { imageId: `${stream}-20250101.1`, reason: text('bad checksum') } : null, warnings: [],
        },
      };
      return { workflowId: `image-stream-${stream}`, stream, execution: 'RUNNING', status, builds: list };
    }),
  };
}

/** A plan of `n` resources and a last report. */
export function syntheticLifecycle(n: number, text = (s: string) => s): LifecycleView {
  const items: PlanLine[] = Array.from({ length: n }, (_, i) => ({
    resource: { type: 'server', id: `srv-${i}`, name: text(`server-${i}`), project: `project-${i % 100}` },
    action: i % 3 === 0 ? 'delete' : i % 3 === 1 ? 'shelve' : 'notify', rule: i % 3 === 0 ? 'delete-shelved' : 'shelve-stopped', reason: text(`idle for ${30 + (i % 60)} days`), dueAt: new Date(T0 + (15 + (i % 75)) * DAY + 3 * 3_600_000).toISOString(),
  }));
  return {
    temporal: 'ok',
    status: { enforce: true, sweepAt: '03:00', nextSweepAt: new Date(T0 + DAY).toISOString(), exemptions: [{ id: 'srv-1', until: '2030-01-01', reason: text('keeps the demo alive'), addedAt: new Date(T0).toISOString() }], noticesRemembered: 10, sweeps: 3 },
    lastReport: null,
    plan: { sweepId: 'lifecycle-plan-1', at: new Date(T0).toISOString(), items, problems: [] },
    running: [],
  };
}

/** Median wall time and median CPU time of the process (less skewed on a shared, loaded machine). */
function timePerPage(render: () => string, runs = 10): { ms: number; cpu: number; bytes: number } {
  let bytes = Buffer.byteLength(render()); // warm-up
  const times: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    bytes = Buffer.byteLength(render());
    const used = process.cpuUsage(cpu);
    times.push(performance.now() - start);
    cpus.push((used.user + used.system) / 1000);
  }
  const median = (xs: number[]) => Number([...xs].sort((a, b) => a - b)[Math.floor(runs / 2)]!.toFixed(1));
  return { ms: median(times), cpu: median(cpus), bytes };
}

const KB = 1024;

export async function benchDashboard(): Promise<Record<string, string | number>> {
  const ctx: PageContext = { actions: true, now: T0 + 20 * DAY, temporalAddress: 'bench' };
  const releases = syntheticReleases(50);
  const images = syntheticImages(20, 365);
  const lifecycle = syntheticLifecycle(20_000);
  // The images page a year in: every one of the 365 nights has a build in the strip.
  const yearIn: PageContext = { ...ctx, now: T0 + 364 * DAY + 6 * 3_600_000 };
  const r = timePerPage(() => renderReleasesPage(releases, ctx));
  const i = timePerPage(() => renderImagesPage(images, yearIn));
  const l = timePerPage(() => renderLifecyclePage(lifecycle, ctx));
  const last = timePerPage(() => renderLifecyclePage(lifecycle, ctx, { page: '100' }));
  const filtered = timePerPage(() => renderLifecyclePage(lifecycle, ctx, { project: 'project-7', action: 'delete' }));
  const json = timePerPage(() => JSON.stringify(images));
  return {
    'releases page, 50 trains: median ms wall / CPU (target < 100)': `${r.ms} / ${r.cpu}`,
    'images page, 20 streams × 365 builds: median ms wall / CPU (target < 100)': `${i.ms} / ${i.cpu}`,
    'lifecycle page 1 of a 20,000-resource plan: median ms wall / CPU (target < 100)': `${l.ms} / ${l.cpu}`,
    'lifecycle page 100 / filtered by project and action: median ms wall': `${last.ms} / ${filtered.ms}`,
    '/api/images JSON of the same, median ms': json.ms,
    'page sizes releases / images (KiB, target < 500)': [r.bytes, i.bytes].map((b) => Math.round(b / KB)).join(' / '),
    'lifecycle page sizes page 1 / page 100 / filtered (KiB, target < 300)': [l.bytes, last.bytes, filtered.bytes].map((b) => Math.round(b / KB)).join(' / '),
  };
}
