// Benchmark of the resource lifecycle (the Performance section):
// - planning 100,000 servers with the pure planner (target under 1 s);
// - a full sweep over a fake cloud of 20,000 servers with 200 due actions on the embedded Temporal
//   server: OpenStack requests against the minimum (list pages + actions + action-log lookups only
//   for servers that could be due; target within 1.2x) and workflow history events (target:
//   proportional to pages and actions, under 10,000).
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../activities/index.js';
import { createCloud } from '../clients/openstack/index.js';
import { lifecycleConfigSchema, lifecyclePolicies } from '../config/lifecycle.js';
import { startEmbeddedServer } from '../devserver/index.js';
import { startFakeOpenStack } from '../test/fakes/openstack.js';
import { plan } from '../workflows/lifecycle-planner.js';
import { type LifecycleSweepInput, type SweepReport } from '../workflows/lifecycle-sweep-types.js';
import { type NoticeRecord, type ServerInfo } from '../workflows/lifecycle-types.js';

const DAY = 86_400_000;
const policies = lifecyclePolicies(lifecycleConfigSchema.parse({
  rules: [{ kind: 'shelve-stopped', after: '14d', warn: ['7d', '1d'] }, { kind: 'delete-shelved', after: '180d', warn: ['30d', '7d'] }],
}));

function planning(): Record<string, string | number> {
  const now = Date.parse('2025-06-01T03:00:00Z');
  const states = ['ACTIVE', 'ACTIVE', 'ACTIVE', 'SHUTOFF', 'SHELVED_OFFLOADED'];
  const servers: ServerInfo[] = Array.from({ length: 100_000 }, (_, i) => ({
    id: `srv-${i}`, name: `vm-${i}`, projectId: `p-${i % 500}`, status: states[i % states.length], metadata: {},
    updated: new Date(now - (i % 400) * DAY).toISOString(),
    lastActions: [{ action: states[i % states.length] === 'SHUTOFF' ? 'stop' : 'shelve', startTime: new Date(now - (i % 400) * DAY).toISOString() }],
  }));
  const inventory = { servers, images: [], volumes: [], floatingIps: [], networks: [], routers: [], ports: [], containers: [] };
  plan({ inventory, allocations: [], eol: [], policies, noticesSent: [], now: new Date(now).toISOString() }); // warm-up
  const t0 = performance.now();
  const p = plan({ inventory, allocations: [], eol: [], policies, noticesSent: [], now: new Date(now).toISOString() });
  const ms = performance.now() - t0;
  return { 'plan 100,000 servers (ms, target < 1000)': Math.round(ms), 'plan items': p.items.length };
}

async function sweep(): Promise<Record<string, string | number>> {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } } });
  } catch {
    // already installed
  }
  const server = await startEmbeddedServer({ port: 0, log: () => undefined });
  const fake = await startFakeOpenStack();
  const now = Date.now();
  fake.setClock(new Date(now));
  const noticesSent: NoticeRecord[] = [];
  let couldBeDue = 0;
  for (let i = 0; i < 20_000; i++) {
    if (i % 100 === 0) {
      // 200 servers stopped 20 days ago and warned: due for shelving now
      const s = fake.addServer({ name: `due-${i}`, projectId: `p-${i % 50}`, status: 'SHUTOFF', actions: [{ action: 'stop', startTime: new Date(now - 20 * DAY).toISOString() }] });
      noticesSent.push({ resourceId: s.id, rule: 'shelve-stopped', stage: 'warn-7d', sentAt: new Date(now - 13 * DAY).toISOString() });
      noticesSent.push({ resourceId: s.id, rule: 'shelve-stopped', stage: 'warn-1d', sentAt: new Date(now - 7 * DAY).toISOString() });
      couldBeDue++;
    } else if (i % 100 === 1) {
      // 200 stopped recently: looked up, not yet due
      fake.addServer({ name: `stopped-${i}`, projectId: `p-${i % 50}`, status: 'SHUTOFF', actions: [{ action: 'stop', startTime: new Date(now - 2 * DAY).toISOString() }] });
      couldBeDue++;
    } else {
      fake.addServer({ name: `vm-${i}`, projectId: `p-${i % 50}`, status: 'ACTIVE' });
    }
  }
  const cloud = createCloud({ authUrl: fake.authUrl, credentials: { kind: 'application-credential', id: 'cred-1', secret: 'cred-secret' } });
  const connection = await NativeConnection.connect({ address: server.address });
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  const worker = await Worker.create({ connection, taskQueue: 'stratus-lifecycle', workflowBundle, activities: createActivities({ openstack: { cloud, pollIntervalMs: 10 } }) });
  const client = new Client({ connection: await (await import('@temporalio/client')).Connection.connect({ address: server.address }) });
  const pageSize = 1000;
  const input: LifecycleSweepInput = {
    sweepId: 'lifecycle-sweep-bench', mode: 'sweep', noticesSent, exemptions: [], enforce: true,
    settings: { policies, eol: [], enforce: true, maxActionsPerSweep: 500, maxActionsPercent: 100, sweepAt: '03:00', notify: false, pageSize },
  };
  fake.requests.length = 0;
  const t0 = performance.now();
  const report = await worker.runUntil(client.workflow.execute('lifecycleSweep', { taskQueue: 'stratus-lifecycle', workflowId: input.sweepId, args: [input] }) as Promise<SweepReport>);
  const ms = performance.now() - t0;
  const history = await client.workflow.getHandle(input.sweepId).fetchHistory();
  const requests = fake.requests.filter((r) => !r.path.endsWith('/auth/tokens')).length;
  const pages = Math.ceil(20_000 / pageSize) + 1;
  const done = report.actions.filter((a) => a.outcome === 'done').length;
  const minimum = pages + couldBeDue + done;
  const rechecks = done; // one GET per action: the re-check of the live server right before acting
  await client.connection.close();
  await connection.close();
  await fake.close();
  await server.close();
  return {
    'sweep 20,000 servers, 200 due (s)': (ms / 1000).toFixed(1),
    'servers shelved': done,
    'OpenStack requests (excl. token)': requests,
    'minimum: list pages + action logs + actions': minimum,
    'ratio to minimum': (requests / minimum).toFixed(2),
    'ratio counting the pre-action re-check GET as required': (requests / (minimum + rechecks)).toFixed(2),
    'workflow history events (target < 10,000)': history.events?.length ?? 0,
  };
}

export async function benchLifecycle(): Promise<Record<string, string | number>> {
  return { ...planning(), ...(await sweep()) };
}
