// The lifecycle harness of test/workflows/lifecycle-sweep-support.ts on the real cloud: a
// time-skipping Temporal environment, a real SMTP listener and a real worker on
// `stratus-lifecycle` running the real activities over clients/openstack with the admin
// application credential. The cloud keeps real time; the workflows' clock skips ahead, so the
// planner sees the instance-action timestamps as days old.
import { type Worker } from '@temporalio/worker';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../../activities/index.js';
import { createAllocationLoader } from '../../clients/allocations.js';
import { createCloud, type Cloud } from '../../clients/openstack/index.js';
import { createSmtpNotifier } from '../../clients/smtp.js';
import { startSmtpListener, type SmtpListener } from '../support/smtp-listener.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import { AdminApi, loadStack, type StackCredentials } from './admin.js';

export const TASK_QUEUE = 'stratus-lifecycle';

export interface RealLifecycleRig {
  t: TestEnv;
  smtp: SmtpListener;
  stack: StackCredentials;
  api: AdminApi;
  cloud: Cloud;
  dir: string;
  /** Every token the worker's cloud client has sent so far (to revoke them in fault tests). */
  tokensSent: Set<string>;
  allocations(rows: [string, string, string][]): void;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  teardown(): Promise<void>;
}

/** The admin application credential's cloud, as a worker would build it. */
export function adminCloud(stack: StackCredentials, fetchImpl: typeof fetch = fetch): Cloud {
  return createCloud({
    authUrl: stack.authUrl, region: stack.region, fetch: fetchImpl,
    credentials: { kind: 'application-credential', id: stack.admin.id, secret: stack.admin.secret },
    retry: { baseDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 10_000 },
    busyDelayMs: 500,
  });
}

export async function createRealLifecycleRig(): Promise<RealLifecycleRig> {
  const stack = loadStack();
  const api = new AdminApi(stack);
  const t = await createTestEnv();
  const smtp = await startSmtpListener();
  const dir = mkdtempSync(join(tmpdir(), 'stratus-os-lifecycle-'));
  const tokensSent = new Set<string>();
  const cloud = adminCloud(stack, (input, init) => {
    const token = new Headers(init?.headers).get('x-auth-token');
    if (token) tokensSent.add(token);
    return fetch(input, init);
  });
  const serviceProject = (await api.ok('identity', 'GET', '/projects?name=service')).projects[0].id as string;
  const activities = createActivities({
    openstack: { cloud, pollIntervalMs: 500, protectedProjectIds: [stack.adminProjectId, serviceProject] },
    allocations: { allocations: createAllocationLoader({ baseDir: dir }) },
    notify: {
      notifier: createSmtpNotifier({ host: smtp.host, port: smtp.port, secure: false, from: 'cloud@example.org', timeoutMs: 10_000 }),
      notice: { cloudName: 'Test Cloud', exemptMetadataKey: 'stratus:exempt', helpContact: 'help@example.org' },
    },
  });
  let current: { worker: Worker; running: Promise<void> } | undefined;
  const rig: RealLifecycleRig = {
    t, smtp, stack, api, cloud, dir, tokensSent,
    allocations(rows) {
      writeFileSync(join(dir, 'allocations.csv'), ['project_id,end_date,contact_email', ...rows.map((r) => r.join(','))].join('\n'));
    },
    async startWorker() {
      const worker = await t.worker({ taskQueue: TASK_QUEUE, activities, shutdownGraceTime: '2s' }, 'stratus');
      current = { worker, running: worker.run() };
    },
    async stopWorker() {
      if (!current) return;
      current.worker.shutdown();
      await current.running;
      current = undefined;
    },
    async teardown() {
      await rig.stopWorker();
      await t.teardown();
      await smtp.close();
    },
  };
  return rig;
}

/** Every project of the cloud except `keep`: exempted, so a sweep touches only this test's projects. */
export async function exemptAllBut(api: AdminApi, keep: string[]): Promise<{ id: string; reason: string }[]> {
  const projects = (await api.ok('identity', 'GET', '/projects')).projects as { id: string; name: string }[];
  return projects.filter((p) => !keep.includes(p.id)).map((p) => ({ id: p.id, reason: `not part of this test run (${p.name})` }));
}
