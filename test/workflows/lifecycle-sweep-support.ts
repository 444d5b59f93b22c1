// Shared set-up of the lifecycle end-to-end tests: a time-skipping Temporal environment, the fake
// OpenStack cloud, a real SMTP listener and a real worker on `stratus-lifecycle` running the real
// activities (createActivities) over the real clients.
import { Context } from '@temporalio/activity';
import { type Worker } from '@temporalio/worker';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../../activities/index.js';
import { createAllocationLoader } from '../../clients/allocations.js';
import { createCloud } from '../../clients/openstack/index.js';
import { createSmtpNotifier } from '../../clients/smtp.js';
import { lifecycleConfigSchema } from '../../config/lifecycle.js';
import { lifecycleSettings } from '../../config/lifecycle-settings.js';
import { type LifecycleSettings } from '../../workflows/lifecycle-sweep-types.js';
import { startFakeOpenStack, type FakeOpenStack, type FakeOpenStackOptions } from '../fakes/openstack.js';
import { startSmtpListener, type SmtpListener } from '../support/smtp-listener.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';

export const DAY = 86_400_000;
export const TASK_QUEUE = 'stratus-lifecycle';

export interface LifecycleRig {
  t: TestEnv;
  fake: FakeOpenStack;
  smtp: SmtpListener;
  dir: string;
  /** Writes the allocations CSV (project, end date, contact). */
  allocations(rows: [string, string, string][]): void;
  /** Starts a worker (a new one each call, as after a restart). */
  startWorker(): Promise<{ worker: Worker; running: Promise<void> }>;
  stopWorker(): Promise<void>;
  teardown(): Promise<void>;
}

/** `YYYY-MM-DD` of a time. */
export const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Options of {@link createLifecycleRig}: the fake cloud's users, and the application credential the worker uses. */
export interface LifecycleRigOptions {
  fake?: FakeOpenStackOptions;
  credential?: { id: string; secret: string };
}

export async function createLifecycleRig(options: LifecycleRigOptions = {}): Promise<LifecycleRig> {
  const t = await createTestEnv();
  const fake = await startFakeOpenStack(options.fake);
  const smtp = await startSmtpListener();
  const dir = mkdtempSync(join(tmpdir(), 'stratus-lifecycle-'));
  const cloud = createCloud({
    authUrl: fake.authUrl, region: 'RegionOne',
    credentials: { kind: 'application-credential', ...(options.credential ?? { id: 'cred-1', secret: 'cred-secret' }) },
    retry: { baseDelayMs: 5, maxDelayMs: 50, maxRetryAfterMs: 5000 },
    busyDelayMs: 5,
  });
  const real = createActivities({
    openstack: { cloud, pollIntervalMs: 10 },
    allocations: { allocations: createAllocationLoader({ baseDir: dir }) },
    notify: {
      notifier: createSmtpNotifier({ host: smtp.host, port: smtp.port, secure: false, from: 'cloud@example.org', timeoutMs: 5000 }),
      notice: { cloudName: 'Test Cloud', exemptMetadataKey: 'stratus:exempt', helpContact: 'help@example.org' },
    },
  });
  // The fake stamps action logs and `updated` with its own clock: keep it on the workflow's
  // (virtual) time, which is when the server scheduled the activity.
  const activities = Object.fromEntries(Object.entries(real).map(([name, fn]) => [name, async (...args: unknown[]) => {
    fake.setClock(new Date(Context.current().info.currentAttemptScheduledTimestampMs));
    return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
  }]));
  let current: { worker: Worker; running: Promise<void> } | undefined;
  const rig: LifecycleRig = {
    t, fake, smtp, dir,
    allocations(rows) {
      writeFileSync(join(dir, 'allocations.csv'), ['project_id,end_date,contact_email', ...rows.map((r) => r.join(','))].join('\n'));
    },
    async startWorker() {
      const worker = await t.worker({ taskQueue: TASK_QUEUE, activities, shutdownGraceTime: '200ms' }, 'stratus');
      current = { worker, running: worker.run() };
      return current;
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
      await fake.close();
      await smtp.close();
    },
  };
  return rig;
}

/** Settings as the worker builds them from a `lifecycle:` section given as YAML-like input. */
export function settingsFrom(input: Record<string, unknown>, extra: Partial<LifecycleSettings> = {}): LifecycleSettings {
  const cfg = lifecycleConfigSchema.parse({
    allocations: { file: 'allocations.csv' },
    notify: { smtp: { host: '127.0.0.1', port: 2525 }, from: 'cloud@example.org' },
    ...input,
  });
  return { ...lifecycleSettings(cfg), ...extra };
}
