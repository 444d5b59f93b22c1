// What the lifecycle and instance commands share: the config sections they need (with messages
// naming what is missing) and a Temporal client for the configured target.
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { type Command } from 'commander';
import { type LifecycleConfig } from '../config/lifecycle.js';
import { type LoadedConfig } from '../config/load.js';
import { loadCommandConfig } from './context.js';
import { clientTarget } from './dev-state.js';
import { CliError, EXIT_USAGE, type CliIo } from './output.js';

/** The loaded config with a `lifecycle:` and an `openstack:` section, or a usage error naming the missing one. */
export function lifecycleConfig(command: Command, io: CliIo): { loaded: LoadedConfig; lifecycle: LifecycleConfig } {
  const loaded = loadCommandConfig(command, io);
  const { lifecycle, openstack } = loaded.config;
  if (!lifecycle) throw new CliError(`lifecycle: is not configured in ${loaded.file} (add a lifecycle: section; see stratus.example.yaml)`, EXIT_USAGE);
  if (!openstack) throw new CliError(`openstack: is not configured in ${loaded.file}: the lifecycle needs the cloud's authUrl and auth`, EXIT_USAGE);
  return { loaded, lifecycle };
}

/** Runs `fn` with a client (recorded as `identity`) connected to the configured Temporal target or the running `stratus dev`; closes it after. */
export async function withClient<T>(loaded: LoadedConfig, io: CliIo, identity: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const { connectClient } = await import('../workers/temporal-connection.js');
  const target = await clientTarget(loaded, io);
  const connection = await connectClient(target);
  try {
    return await fn(new Client({ connection, namespace: target.namespace, identity }));
  } finally {
    await connection.close();
  }
}

/** The message of a rejected update or failed call, without the SDK's wrapping. */
export function reason(error: unknown): string {
  const e = error as Error & { cause?: Error };
  return e.cause?.message ?? e.message ?? String(error);
}

/** Turns "no such workflow" into a CliError naming what was looked for. */
export function notFound(error: unknown, what: string): never {
  if (error instanceof WorkflowNotFoundError || (error as Error)?.name === 'WorkflowNotFoundError') throw new CliError(`${what} does not exist`);
  throw error;
}
