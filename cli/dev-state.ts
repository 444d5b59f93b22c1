// `.stratus/dev.json`: where the running `stratus dev` listens (Temporal address, namespace,
// dashboard URL), written when it starts and removed when it stops. Client commands run in the
// same directory read it when nothing else names a Temporal server, so the commands `stratus dev`
// prints work as pasted whatever ports it picked.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LoadedConfig } from '../config/load.js';
import { type TemporalTarget } from '../workers/temporal-connection.js';
import { type CliIo } from './output.js';

/** The file, relative to the working directory. */
export const DEV_STATE_FILE = '.stratus/dev.json';

/** What a running `stratus dev` tells the other commands. */
export interface DevState {
  pid: number;
  address: string;
  namespace: string;
  dashboard: string | null;
  startedAt: string;
}

/** Writes the state file (atomically); returns a function that removes it if it is still ours. */
export function writeDevState(cwd: string, state: DevState): () => void {
  const file = join(cwd, DEV_STATE_FILE);
  mkdirSync(join(cwd, '.stratus'), { recursive: true });
  writeFileSync(`${file}.${state.pid}`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.${state.pid}`, file);
  return () => {
    if (readDevState(cwd, () => true)?.pid === state.pid) rmSync(file, { force: true });
  };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The state of a `stratus dev` still running from `cwd`, else undefined (no file, garbage, or a dead pid). */
export function readDevState(cwd: string, isAlive: (pid: number) => boolean = alive): DevState | undefined {
  let parsed: Partial<DevState>;
  try {
    parsed = JSON.parse(readFileSync(join(cwd, DEV_STATE_FILE), 'utf8')) as Partial<DevState>;
  } catch {
    return undefined;
  }
  if (typeof parsed.pid !== 'number' || typeof parsed.address !== 'string' || !/^[^\s/]+:\d{1,5}$/.test(parsed.address)) return undefined;
  if (!isAlive(parsed.pid)) return undefined;
  return { pid: parsed.pid, address: parsed.address, namespace: typeof parsed.namespace === 'string' ? parsed.namespace : 'default', dashboard: typeof parsed.dashboard === 'string' ? parsed.dashboard : null, startedAt: String(parsed.startedAt ?? '') };
}

/**
 * The Temporal target of a client command: the environment / profile / config, else the
 * `stratus dev` running from this directory, else (with `devPortFallback`) dev.host:dev.port.
 */
export async function clientTarget(loaded: LoadedConfig, io: CliIo, devPortFallback = false): Promise<TemporalTarget> {
  const { resolveTemporalTarget } = await import('../workers/temporal-connection.js');
  const target = resolveTemporalTarget(loaded.config, io.env);
  if (target.address !== undefined) return target;
  const dev = readDevState(io.cwd);
  const address = dev?.address ?? (devPortFallback ? `${loaded.config.dev.host}:${loaded.config.dev.port}` : undefined);
  if (address === undefined) return target;
  return { ...target, address, addressSource: 'embedded', namespace: io.env.TEMPORAL_NAMESPACE || dev?.namespace || target.namespace, connectionOptions: { ...target.connectionOptions, address } };
}
