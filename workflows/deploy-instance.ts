// `deployInstance` (id `deploy-<serverId>`): waits for the server to be ACTIVE and reachable over
// SSH, runs the configured playbook (retried with backoff), and records the result in the server's
// metadata and in the workflow. Stays open for `redeploy` updates for a while, then completes.
import {
  ActivityFailure, condition, continueAsNew, defineQuery, defineUpdate, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { createAnsibleActivities } from '../activities/ansible.js';
import type { createOpenStackActivities } from '../activities/openstack.js';

type Ansible = ReturnType<typeof createAnsibleActivities>;
type OpenStack = ReturnType<typeof createOpenStackActivities>;

/** Input of `deployInstance` (the CLI builds it from `lifecycle.deploy`). */
export interface DeployInstanceInput {
  serverId: string;
  /** Playbook path, relative to the worker's playbook directory (the config file's). */
  playbook: string;
  /** SSH user (default `ubuntu`). */
  user?: string;
  extraVars?: Record<string, string | number | boolean>;
  /** Kill a playbook run after this long (default 30 min). */
  timeoutMs?: number;
  /** Playbook retries after the first attempt (default 2). */
  retries?: number;
  /** How long to wait for ACTIVE and for SSH (default 15 min). */
  waitForMs?: number;
  /** `local` runs the playbook on the worker's machine (tests, all-in-one labs). */
  connection?: 'ssh' | 'local';
  /** Default 22. */
  sshPort?: number;
  /** `ansible_python_interpreter` (skips interpreter discovery). */
  pythonInterpreter?: string;
  /** Keep accepting `redeploy` this long after the last deploy (default 7 days). */
  keepOpenMs?: number;
  /** Poll interval while waiting for ACTIVE / SSH (default 5 s). */
  pollIntervalMs?: number;
  /** Carried over continue-as-new. */
  history?: DeployRecord[];
}

/** The outcome of one deploy. */
export interface DeployRecord {
  deploy: number;
  status: 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string;
  host?: string;
  /** `ok=3 changed=1 failed=0 unreachable=0`. */
  recap?: string;
  failures: string[];
  /** Whether the result made it into the server's metadata. */
  recorded: boolean;
}

export type DeployPhase = 'waiting-for-server' | 'waiting-for-ssh' | 'running-playbook' | 'recording' | 'idle';

/** The `status` query. */
export interface DeployState {
  serverId: string;
  phase: DeployPhase;
  deploys: DeployRecord[];
  last?: DeployRecord;
}

export const deployStatusQuery = defineQuery<DeployState>('status');
export const redeployUpdate = defineUpdate<{ deploy: number }, []>('redeploy');

/** Metadata keys the result is recorded under. */
export const DEPLOY_METADATA = { status: 'stratus:deploy', at: 'stratus:deploy-at', recap: 'stratus:deploy-recap', run: 'stratus:deploy-run' } as const;

const MINUTE = 60_000;

export async function deployInstance(input: DeployInstanceInput): Promise<DeployState> {
  const waitForMs = input.waitForMs ?? 15 * MINUTE;
  const timeoutMs = input.timeoutMs ?? 30 * MINUTE;
  const waiting = proxyActivities<OpenStack & Ansible>({
    startToCloseTimeout: waitForMs + MINUTE, heartbeatTimeout: MINUTE,
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumAttempts: 3 },
  });
  const playbook = proxyActivities<Ansible>({
    startToCloseTimeout: timeoutMs + MINUTE, heartbeatTimeout: 2 * MINUTE,
    retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: (input.retries ?? 2) + 1 },
  });
  const recording = proxyActivities<OpenStack>({ startToCloseTimeout: '1m', retry: { initialInterval: '2s', maximumAttempts: 10 } });

  const deploys: DeployRecord[] = [...(input.history ?? [])];
  let phase: DeployPhase = 'waiting-for-server';
  let redeploy = false;
  const state = (): DeployState => ({ serverId: input.serverId, phase, deploys, ...(deploys.length ? { last: deploys[deploys.length - 1] } : {}) });
  setHandler(deployStatusQuery, state);
  setHandler(redeployUpdate, () => {
    redeploy = true;
    return { deploy: deploys.length + 1 };
  }, {
    validator: () => {
      if (phase !== 'idle' || redeploy) throw new Error(`server ${input.serverId} is being deployed right now (${phase}); wait for it to finish`);
    },
  });

  let runs = 0;
  for (;;) {
    redeploy = false;
    const n = deploys.length + 1;
    const startedAt = new Date().toISOString();
    const rec: DeployRecord = { deploy: n, status: 'failed', startedAt, finishedAt: startedAt, failures: [], recorded: false };
    try {
      phase = 'waiting-for-server';
      const server = await waiting.waitForServerActive({ serverId: input.serverId, timeoutMs: waitForMs, pollIntervalMs: input.pollIntervalMs });
      const address = server.addresses.find((a) => a.version === 4 && a.type === 'floating') ?? server.addresses.find((a) => a.version === 4) ?? server.addresses[0];
      if (!address) throw new Error(`server ${input.serverId} has no IP address`);
      rec.host = address.address;
      phase = 'waiting-for-ssh';
      await waiting.waitForSshReachable({ host: address.address, port: input.sshPort ?? 22, timeoutMs: waitForMs, intervalMs: input.pollIntervalMs });
      phase = 'running-playbook';
      const result = await playbook.runPlaybook({
        playbook: input.playbook,
        hosts: [{ name: input.serverId, address: address.address, user: input.user ?? 'ubuntu', port: input.sshPort ?? 22, connection: input.connection ?? 'ssh', ...(input.pythonInterpreter ? { pythonInterpreter: input.pythonInterpreter } : {}) }],
        extraVars: { ...input.extraVars, stratus_server_id: input.serverId },
        timeoutMs,
      });
      const stats = Object.values(result.hosts)[0];
      rec.status = result.success ? 'succeeded' : 'failed';
      if (stats) rec.recap = `ok=${stats.ok} changed=${stats.changed} failed=${stats.failures} unreachable=${stats.unreachable}`;
      rec.failures = result.failures.map((f) => `${f.task}: ${f.message}`);
    } catch (err) {
      rec.failures = [err instanceof ActivityFailure && err.cause ? err.cause.message : err instanceof Error ? err.message : String(err)];
    }
    rec.finishedAt = new Date().toISOString();
    phase = 'recording';
    try {
      await recording.setServerMetadata({
        serverId: input.serverId,
        metadata: {
          [DEPLOY_METADATA.status]: rec.status, [DEPLOY_METADATA.at]: rec.finishedAt,
          [DEPLOY_METADATA.run]: `${workflowInfo().workflowId}#${n}`,
          ...(rec.recap ? { [DEPLOY_METADATA.recap]: rec.recap } : {}),
        },
      });
      rec.recorded = true;
    } catch (err) {
      rec.failures.push(`recording the result in the server's metadata failed: ${err instanceof ActivityFailure && err.cause ? err.cause.message : String(err)}`);
    }
    deploys.push(rec);
    phase = 'idle';
    runs++;
    if (!(await condition(() => redeploy, input.keepOpenMs ?? 7 * 24 * 60 * MINUTE))) return state();
    if (runs >= 20 || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof deployInstance>({ ...input, history: deploys.slice(-20) });
    }
  }
}
