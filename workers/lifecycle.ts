// Resource lifecycle wiring: the adapters its activities need (OpenStack cloud with secrets read
// from the env-var names the config gives, allocations loader, SMTP notifier, ansible-playbook
// runner), and the start-up of the `lifecycle` entity workflow.
import { Client } from '@temporalio/client';
import { type ActivityDeps } from '../activities/index.js';
import { AnsiblePlaybookRunner } from '../clients/ansible.js';
import { createAllocationLoader } from '../clients/allocations.js';
import { createCloud } from '../clients/openstack/index.js';
import { createSmtpNotifier } from '../clients/smtp.js';
import { smtpSettings } from '../config/lifecycle.js';
import { lifecycleSettings } from '../config/lifecycle-settings.js';
import { type LoadedConfig } from '../config/load.js';
import { cloudOptions } from '../config/openstack.js';
import { type StratusConfig } from '../config/schema.js';
import { LIFECYCLE_TASK_QUEUE, LIFECYCLE_WORKFLOW_ID } from '../workflows/lifecycle-sweep-types.js';
import { connectClient, type TemporalTarget } from './temporal-connection.js';

/** A lifecycle/OpenStack setting that cannot be used; names the config field and env var, never a secret. */
export class LifecycleWiringError extends Error {
  override readonly name = 'LifecycleWiringError';
}

/** The lifecycle's part of ActivityDeps; empty when neither `openstack:` nor `lifecycle:` is configured. */
export function buildLifecycleActivityDeps(
  loaded: Pick<LoadedConfig, 'config' | 'baseDir'>,
  env: Record<string, string | undefined>,
): Pick<ActivityDeps, 'openstack' | 'allocations' | 'notify' | 'ansible'> {
  const { openstack, lifecycle } = loaded.config;
  if (lifecycle && !openstack) {
    throw new LifecycleWiringError('lifecycle: needs the openstack: section (authUrl, auth) to list and act on resources');
  }
  const deps: Pick<ActivityDeps, 'openstack' | 'allocations' | 'notify' | 'ansible'> = {};
  try {
    if (openstack) deps.openstack = { cloud: createCloud(cloudOptions(openstack, env)), protectedProjectIds: openstack.protectedProjects };
    if (!lifecycle) return deps;
    deps.allocations = { allocations: createAllocationLoader({ baseDir: loaded.baseDir, env }) };
    if (lifecycle.notify) {
      deps.notify = {
        notifier: createSmtpNotifier(smtpSettings(lifecycle.notify, env)),
        notice: { cloudName: lifecycle.notify.cloudName, exemptMetadataKey: lifecycle.exemptMetadataKey, ...(lifecycle.notify.helpContact ? { helpContact: lifecycle.notify.helpContact } : {}) },
        ...(lifecycle.notify.fallbackTo ? { fallbackTo: lifecycle.notify.fallbackTo } : {}),
      };
    }
    if (lifecycle.deploy) deps.ansible = { runner: new AnsiblePlaybookRunner({ playbookDir: loaded.baseDir }) };
  } catch (error) {
    if (error instanceof LifecycleWiringError) throw error;
    throw new LifecycleWiringError((error as Error).message);
  }
  return deps;
}

/**
 * Starts `lifecycle` or hands the running one the current settings: signal-with-start of
 * `configure`, so it is idempotent and a config change reaches it on the next start.
 */
export async function startLifecycle(client: Client, config: Pick<StratusConfig, 'lifecycle'>): Promise<string | undefined> {
  if (!config.lifecycle) return undefined;
  const settings = lifecycleSettings(config.lifecycle);
  await client.workflow.signalWithStart('lifecycle', {
    workflowId: LIFECYCLE_WORKFLOW_ID,
    taskQueue: LIFECYCLE_TASK_QUEUE,
    args: [{ settings }],
    signal: 'configure',
    signalArgs: [settings],
  });
  return LIFECYCLE_WORKFLOW_ID;
}

/** Connects a client to `target` and starts `lifecycle` (no-op without `lifecycle:` or the lifecycle queue). */
export async function startConfiguredLifecycle(target: TemporalTarget, config: StratusConfig): Promise<string | undefined> {
  if (!config.lifecycle || !config.worker.taskQueues.includes(LIFECYCLE_TASK_QUEUE)) return undefined;
  const connection = await connectClient(target);
  try {
    return await startLifecycle(new Client({ connection, namespace: target.namespace }), config);
  } finally {
    await connection.close();
  }
}
