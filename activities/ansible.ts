// Ansible activities of instance deployment: wait until a host answers on its SSH port, then run a
// playbook on it with heartbeats and cancellation. Failed tasks come back as a result the workflow
// records; unreachable hosts and timeouts are retryable failures; bad input is permanent.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { isIP } from 'node:net';
import {
  AnsibleCancelledError, AnsibleInputError, AnsibleRunError, AnsibleTimeoutError, probeTcp,
  type PlaybookRequest, type PlaybookResult, type PlaybookRunner,
} from '../clients/ansible.js';

/** What the Ansible activities need. */
export interface AnsibleActivityDeps {
  runner: PlaybookRunner;
}

/** Input of `waitForSshReachable`. */
export interface WaitForSshInput {
  host: string;
  /** Default 22. */
  port?: number;
  /** Give up after this long (default 10 min); the failure is retryable. */
  timeoutMs?: number;
  /** Pause between probes (default 5 s). */
  intervalMs?: number;
  /** Require the server to greet with this (default `SSH-`; empty string: any open port). */
  banner?: string;
}

export interface WaitForSshResult {
  host: string;
  port: number;
  attempts: number;
}

const DNS_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function ctx(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

export function createAnsibleActivities({ runner }: AnsibleActivityDeps) {
  return {
    /**
     * Runs a playbook to its end. Returns the result when tasks failed (`success: false`, with the
     * failed tasks' messages); throws a retryable `AnsibleHostUnreachable` when a host could not be
     * reached, `AnsibleTimeout` when the run was killed, and non-retryable `InvalidInput` or
     * `AnsibleRunError` when it could not run at all.
     */
    async runPlaybook(input: PlaybookRequest): Promise<PlaybookResult> {
      const context = ctx();
      try {
        const result = await runner.run(input, {
          signal: context?.cancellationSignal,
          onProgress: (progress) => context?.heartbeat(progress),
        });
        const unreachable = result.failures.filter((f) => f.unreachable);
        if (unreachable.length > 0) {
          throw ApplicationFailure.retryable(
            `unreachable: ${unreachable.map((f) => `${f.host} (${f.message})`).join('; ')}`,
            'AnsibleHostUnreachable',
            result,
          );
        }
        return result;
      } catch (err) {
        if (context?.cancellationSignal.aborted && err instanceof AnsibleCancelledError) throw context.cancellationSignal.reason;
        throw toFailure(err);
      }
    },

    /** Probes host:port until it accepts a connection (and greets with the SSH banner); heartbeats each probe. */
    async waitForSshReachable(input: WaitForSshInput): Promise<WaitForSshResult> {
      const context = ctx();
      const port = input.port ?? 22;
      if (!isIP(input.host ?? '') && !DNS_NAME.test(input.host ?? '')) {
        throw ApplicationFailure.nonRetryable(`host: "${input.host}" is not an IP address or host name`, 'InvalidInput', { field: 'host' });
      }
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw ApplicationFailure.nonRetryable(`port: ${port} is not a TCP port`, 'InvalidInput', { field: 'port' });
      }
      const timeoutMs = input.timeoutMs ?? 600_000;
      const intervalMs = input.intervalMs ?? 5000;
      const banner = input.banner ?? 'SSH-';
      const deadline = Date.now() + timeoutMs;
      for (let attempts = 1; ; attempts++) {
        const probeTimeout = Math.max(100, Math.min(5000, deadline - Date.now()));
        if (await probeTcp(input.host, port, { timeoutMs: probeTimeout, banner: banner || undefined })) return { host: input.host, port, attempts };
        context?.heartbeat({ attempts });
        if (Date.now() + intervalMs > deadline) {
          throw ApplicationFailure.retryable(`${input.host}:${port} did not answer ${banner ? 'as SSH ' : ''}within ${timeoutMs} ms (${attempts} probes)`, 'HostUnreachable', { host: input.host, port });
        }
        if (context) await context.sleep(intervalMs);
        else await new Promise((r) => setTimeout(r, intervalMs));
      }
    },
  };
}

/** Maps the runner's typed errors to ApplicationFailures with stable types. */
export function toFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof AnsibleInputError) return ApplicationFailure.nonRetryable(err.message, 'InvalidInput', { field: err.field });
  if (err instanceof AnsibleTimeoutError) return ApplicationFailure.retryable(err.message, 'AnsibleTimeout', { playbook: err.playbook, timeoutMs: err.timeoutMs });
  if (err instanceof AnsibleRunError) return ApplicationFailure.nonRetryable(err.message, 'AnsibleRunError', { playbook: err.playbook, exitCode: err.exitCode });
  return ApplicationFailure.retryable(err instanceof Error ? err.message : String(err), err instanceof Error ? err.name : 'Error');
}
