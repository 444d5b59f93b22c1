// Turns the parsed `lifecycle:` section into the plain-JSON settings the lifecycle workflows run
// with (durations in ms, defaults filled in). Shared by the worker (which starts `lifecycle`) and
// the CLI (which plans and sweeps).
import { type LifecycleSettings } from '../workflows/lifecycle-sweep-types.js';
import { type DeployInstanceInput } from '../workflows/deploy-instance.js';
import { allocationSource, eolTable, lifecyclePolicies, parseLifecycleDuration, type LifecycleConfig } from './lifecycle.js';

/** The workflow settings of a `lifecycle:` section. */
export function lifecycleSettings(cfg: LifecycleConfig): LifecycleSettings {
  return {
    policies: lifecyclePolicies(cfg),
    eol: eolTable(cfg),
    ...(cfg.allocations ? { allocations: allocationSource(cfg.allocations) } : {}),
    enforce: cfg.enforce,
    maxActionsPerSweep: cfg.maxActionsPerSweep,
    maxActionsPercent: cfg.maxActionsPercent,
    sweepAt: cfg.sweepAt,
    notify: cfg.notify !== undefined,
  };
}

/** The `deployInstance` input for a server, from `lifecycle.deploy`; undefined when it is not configured. */
export function deployInput(cfg: LifecycleConfig, serverId: string): DeployInstanceInput | undefined {
  const d = cfg.deploy;
  if (!d) return undefined;
  return {
    serverId, playbook: d.playbook, user: d.user, extraVars: { ...d.extraVars },
    timeoutMs: parseLifecycleDuration(d.timeout), retries: d.retries, waitForMs: parseLifecycleDuration(d.waitFor),
  };
}
