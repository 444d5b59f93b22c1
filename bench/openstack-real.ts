// Benchmark of the lifecycle on Debian's real OpenStack (the stack of test/openstack-real, #12):
// - a sweep over 300 servers in 10 projects with 30 due shelve actions: OpenStack requests made
//   against the minimum (list pages + action-log lookups of candidates + actions + the pre-action
//   re-check GET), target within 1.1x;
// - the wall time of a sweep that purges a project of about 50 resources.
// Needs the stack up (`test/openstack-real/up`, or `npm run test:openstack` once); skipped with
// that reason otherwise. Servers of the 10 projects are kept between runs (booting 300 takes minutes);
// the 30 due ones are made fresh each run and deleted after it.
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../activities/index.js';
import { createAllocationLoader } from '../clients/allocations.js';
import { createCloud, type Cloud } from '../clients/openstack/index.js';
import { lifecycleConfigSchema } from '../config/lifecycle.js';
import { lifecycleSettings } from '../config/lifecycle-settings.js';
import { AdminApi, loadStack, type StackCredentials } from '../test/openstack-real/admin.js';
import { exemptAllBut } from '../test/openstack-real/lifecycle-rig.js';
import { ensureFixtures, ensureServer, ownedBy, seedProject, type Fixtures } from '../test/openstack-real/seed-data.js';
import { createTestEnv, type TestEnv } from '../test/support/temporal.js';
import { type LifecycleSweepInput, type SweepReport } from '../workflows/lifecycle-sweep-types.js';
import { type NoticeRecord } from '../workflows/lifecycle-types.js';

const DAY = 86_400_000;
const PROJECTS = 10;
const PER_PROJECT = 30;
const DUE_PER_PROJECT = 3;
const PAGE = 100;
const TASK_QUEUE = 'stratus-lifecycle-bench';
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

/** The project named `name` (made if missing), with no limit on instances, cores or RAM. */
async function unlimitedProject(api: AdminApi, name: string): Promise<string> {
  const id = await api.project(name);
  await api.ok('compute', 'PUT', `/os-quota-sets/${id}`, { body: { quota_set: { instances: -1, cores: -1, ram: -1 } } });
  return id;
}

/** A cloud client over a fetch that counts what it sends, by kind. */
function countingCloud(stack: StackCredentials): { cloud: Cloud; requests: { method: string; path: string }[] } {
  const requests: { method: string; path: string }[] = [];
  const counting: typeof fetch = (input, init) => {
    requests.push({ method: init?.method ?? 'GET', path: new URL(String(input instanceof Request ? input.url : input)).pathname });
    return fetch(input, init);
  };
  const cloud = createCloud({
    authUrl: stack.authUrl, region: stack.region, fetch: counting,
    credentials: { kind: 'application-credential', id: stack.admin.id, secret: stack.admin.secret },
    retry: { baseDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 10_000 }, busyDelayMs: 500,
  });
  return { cloud, requests };
}

async function stackOrReason(): Promise<StackCredentials | string> {
  try {
    const stack = loadStack();
    const r = await fetch(`${stack.authUrl}`, { signal: AbortSignal.timeout(5000) });
    return r.status < 500 ? stack : `Keystone answers ${r.status}`;
  } catch (err) {
    return (err as Error).message;
  }
}

async function withEnv<T>(fn: (t: TestEnv, dir: string) => Promise<T>): Promise<T> {
  if (!process.env.STRATUS_WORKFLOW_BUNDLE) {
    const { code } = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
    const file = join(mkdtempSync(join(tmpdir(), 'stratus-bench-bundle-')), 'workflows.js');
    writeFileSync(file, code);
    process.env.STRATUS_WORKFLOW_BUNDLE = file;
  }
  const t = await createTestEnv();
  try {
    return await fn(t, mkdtempSync(join(tmpdir(), 'stratus-bench-os-')));
  } finally {
    await t.teardown();
  }
}

/** A sweep of `input` on a fresh worker whose activities use `cloud`; its report and wall time. */
async function sweepOn(t: TestEnv, dir: string, cloud: Cloud, input: LifecycleSweepInput): Promise<{ report: SweepReport; ms: number }> {
  const activities = createActivities({
    openstack: { cloud, pollIntervalMs: 500 },
    allocations: { allocations: createAllocationLoader({ baseDir: dir }) },
  });
  const worker = await t.worker({ taskQueue: TASK_QUEUE, activities }, 'stratus');
  const t0 = performance.now();
  const report = await worker.runUntil(t.env.client.workflow.execute('lifecycleSweep', { workflowId: input.sweepId, taskQueue: TASK_QUEUE, args: [input] })) as SweepReport;
  return { report, ms: performance.now() - t0 };
}

async function shelveSweep(stack: StackCredentials, api: AdminApi, fx: Fixtures, t: TestEnv, dir: string): Promise<Record<string, string | number>> {
  const run = Date.now().toString(36);
  const projects: string[] = [];
  for (let p = 0; p < PROJECTS; p++) projects.push(await unlimitedProject(api, `stratus-bench-p${p}`));
  const t0 = performance.now();
  const keep = projects.flatMap((id, p) => Array.from({ length: PER_PROJECT - DUE_PER_PROJECT }, (_, k) => ({ id, name: `bench-p${p}-vm-${k}` })));
  await pool(keep, 8, (s) => ensureServer(api, fx, s.id, s.name, 'ACTIVE'));
  const due = await pool(projects.flatMap((id, p) => Array.from({ length: DUE_PER_PROJECT }, (_, k) => ({ id, name: `bench-p${p}-due-${run}-${k}` }))), 8,
    (s) => ensureServer(api, fx, s.id, s.name, 'SHUTOFF'));
  const seedS = (performance.now() - t0) / 1000;

  // The cloud stamps the stops with real time: skip the workflows' clock past the 3 days of the rule.
  await t.env.sleep(4 * DAY);
  const now = await t.env.currentTimeMs();
  const cfg = lifecycleConfigSchema.parse({
    enforce: true, maxActionsPerSweep: 500, maxActionsPercent: 100,
    rules: [{ kind: 'shelve-stopped', after: '3d', states: ['SHUTOFF'], warn: ['1d'] }],
    exempt: await exemptAllBut(api, projects),
  });
  const noticesSent: NoticeRecord[] = due.map((id) => ({ resourceId: id, rule: 'shelve-stopped', stage: 'warn-1d', sentAt: new Date(now - 2 * DAY).toISOString() }));
  const { cloud, requests } = countingCloud(stack);
  const { report, ms } = await sweepOn(t, dir, cloud, {
    sweepId: `bench-shelve-${run}`, mode: 'sweep', noticesSent, exemptions: [], enforce: true,
    settings: { ...lifecycleSettings(cfg), notify: false, pageSize: PAGE },
  });
  const total = (await api.ok('compute', 'GET', '/servers?all_tenants=1&limit=10000')).servers.length as number;
  const inProjects = (await api.ok('compute', 'GET', '/servers/detail?all_tenants=1&limit=10000')).servers
    .filter((s: { tenant_id: string; status: string }) => projects.includes(s.tenant_id));
  const done = report.actions.filter((a) => a.outcome === 'done').length;
  const sent = requests.filter((r) => !r.path.endsWith('/auth/tokens'));
  const pagesMin = Math.floor(total / PAGE) + 1;
  const minimum = pagesMin + DUE_PER_PROJECT * PROJECTS + done + done;
  const byKind = (re: RegExp) => sent.filter((r) => re.test(r.path)).length;
  // Tidy: the due servers go (not waited for), the 270 others stay for the next run.
  await pool(due, 8, (id) => api.req('compute', 'DELETE', `/servers/${id}`));
  return {
    'servers in the cloud (all projects) / in the 10 bench projects': `${total} / ${inProjects.length}`,
    'seeding (s; the 270 kept ones are reused between runs)': seedS.toFixed(0),
    'sweep wall time (s)': (ms / 1000).toFixed(1),
    'servers shelved (of 30 due)': done,
    'failed actions': report.actions.filter((a) => a.outcome === 'failed').length,
    'requests (excl. token): server list pages': byKind(/\/servers\/detail$/),
    'requests: action-log lookups': byKind(/os-instance-actions/),
    'requests: actions (POST)': sent.filter((r) => r.method === 'POST').length,
    'requests: other': sent.length - byKind(/\/servers\/detail$/) - byKind(/os-instance-actions/) - sent.filter((r) => r.method === 'POST').length,
    'OpenStack requests (excl. token)': sent.length,
    'minimum: pages + action logs + actions + re-check GETs': minimum,
    'ratio to minimum (target <= 1.1)': (sent.length / minimum).toFixed(2),
  };
}

async function purge(api: AdminApi, fx: Fixtures, stack: StackCredentials, t: TestEnv, dir: string): Promise<Record<string, string | number>> {
  const run = Date.now().toString(36);
  const projectId = await unlimitedProject(api, `stratus-bench-purge-${run}`);
  const t0 = performance.now();
  const seeded = await seedProject(api, fx, projectId, `bp-${run}`, 60 + (Date.now() % 150));
  // More of each kind, to about 50 resources.
  await pool(Array.from({ length: 8 }, (_, k) => `bp-${run}-extra-${k}`), 4, (name) => ensureServer(api, fx, projectId, name, 'SHUTOFF'));
  for (let k = 0; k < 5; k++) {
    await api.ok('volumev3', 'POST', '/volumes', { project: projectId, body: { volume: { name: `bp-${run}-vol-${k}`, size: 1 } } });
    await api.ok('image', 'POST', '/v2/images', { project: projectId, body: { name: `bp-${run}-img-${k}`, disk_format: 'raw', container_format: 'bare' } });
    await api.ok('network', 'POST', '/v2.0/ports', { project: projectId, body: { port: { name: `bp-${run}-port-${k}`, network_id: seeded.networkId } } });
  }
  for (let k = 0; k < 3; k++) await api.ok('network', 'POST', '/v2.0/security-groups', { project: projectId, body: { security_group: { name: `bp-${run}-sg-${k}` } } });
  const owned = await ownedBy(api, projectId);
  const count = Object.values(owned).reduce((n, xs) => n + xs.length, 0) + seeded.objects.length;
  const seedS = (performance.now() - t0) / 1000;

  const now = await t.env.currentTimeMs();
  writeFileSync(join(dir, 'allocations.csv'), `project_id,end_date,contact_email\n${projectId},${day(now - 10 * DAY)},bench@example.org\n`);
  const cfg = lifecycleConfigSchema.parse({
    enforce: true, maxActionsPerSweep: 500, maxActionsPercent: 100, allocations: { file: 'allocations.csv' },
    rules: [{ kind: 'expire-allocation', after: '3d', warn: ['1d'] }],
    exempt: await exemptAllBut(api, [projectId]),
  });
  const settings = { ...lifecycleSettings(cfg), notify: false };
  const { cloud } = countingCloud(stack);
  const planned = await sweepOn(t, dir, cloud, { sweepId: `bench-purge-plan-${run}`, mode: 'plan', settings, noticesSent: [], exemptions: [] });
  const noticesSent: NoticeRecord[] = (planned.report.plan ?? []).map((l) => ({ resourceId: l.resource.id, rule: 'expire-allocation', stage: 'warn-1d', sentAt: new Date(now - 2 * DAY).toISOString() }));
  const { report, ms } = await sweepOn(t, dir, cloud, { sweepId: `bench-purge-${run}`, mode: 'sweep', settings, noticesSent, exemptions: [], enforce: true });
  const left = Object.values(await ownedBy(api, projectId)).reduce((n, xs) => n + xs.length, 0);
  return {
    'purge: resources in the project (Swift objects included)': count,
    'purge: seeding (s)': seedS.toFixed(0),
    'purge: sweep wall time, listing the whole cloud included (s)': (ms / 1000).toFixed(1),
    'purge: actions done / failed': `${report.actions.filter((a) => a.outcome === 'done').length} / ${report.actions.filter((a) => a.outcome === 'failed').length}`,
    'purge: resources left': left,
  };
}

type Part = 'sweep' | 'purge';

/** Runs `parts` (both by default); each part's figures also go to `onPart` as soon as it is done. */
export async function benchOpenStackReal(parts: Part[] = ['sweep', 'purge'], onPart: (r: Record<string, string | number>) => void = () => {}): Promise<Record<string, string | number>> {
  const stack = await stackOrReason();
  if (typeof stack === 'string') return { skipped: `no OpenStack stack running (${stack}): run test/openstack-real/up first` };
  const api = new AdminApi(stack);
  // With the 300 bench servers in the cloud, nova-compute (fake driver) took up to 3 min per build.
  api.untilTimeoutMs = 600_000;
  const fx = await ensureFixtures(api);
  return withEnv(async (t, dir) => {
    let out: Record<string, string | number> = {};
    for (const part of parts) {
      const r = part === 'sweep' ? await shelveSweep(stack, api, fx, t, dir) : await purge(api, fx, stack, t, dir);
      onPart(r);
      out = { ...out, ...r };
    }
    return out;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // `node --import tsx bench/openstack-real.ts [sweep|purge]`: each part prints when done (a purge
  // that fails still leaves the sweep's figures).
  const only = process.argv[2];
  if (only !== undefined && only !== 'sweep' && only !== 'purge') throw new Error(`part must be "sweep" or "purge", not "${only}"`);
  const print = (r: Record<string, string | number>) => { for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(64)} ${v}`); };
  const out = await benchOpenStackReal(only ? [only] : undefined, print);
  if ('skipped' in out) throw new Error(String(out.skipped));
  process.exit(0);
}
