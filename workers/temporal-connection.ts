// Where Temporal is, from the usual environment: @temporalio/envconfig reads TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_* and a Temporal CLI profile
// (TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE or ~/.config/temporalio/temporal.toml);
// stratus.yaml's `temporal:` section fills in what those leave unset.
import { Connection } from '@temporalio/client';
import { type ClientConfigProfile, loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { type StratusConfig } from '../config/schema.js';

/** The namespace used when neither the environment nor the config names one. */
export const DEFAULT_NAMESPACE = 'default';

/** The Temporal settings cannot be used (no address, bad profile, unreadable certificate, half a key pair). */
export class TemporalSettingsError extends Error {
  override readonly name: string = 'TemporalSettingsError';
}

/** The settings were fine but the server did not answer (down, wrong port, TLS mismatch). */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
  constructor(
    readonly address: string,
    reason: string,
  ) {
    super(`cannot connect to Temporal at ${address}: ${reason}`);
  }
}

/** Where the Temporal address came from, for messages ("using … from TEMPORAL_ADDRESS"). */
export type AddressSource = 'environment' | 'profile' | 'config' | 'embedded';

/** A resolved Temporal target. `connectionOptions` may hold the API key: never log it. */
export interface TemporalTarget {
  /** `host:port`, or undefined when nothing names a server (then only `stratus dev` can run). */
  address: string | undefined;
  addressSource: AddressSource | undefined;
  namespace: string;
  /** Options for NativeConnection / Connection; contains secrets (apiKey, client key). */
  connectionOptions: NativeConnectionOptions;
}

/** What may be shown about a target: no API key, no key material. */
export interface TemporalTargetSummary {
  address: string | undefined;
  addressSource: AddressSource | undefined;
  namespace: string;
  tls: boolean;
  apiKey: boolean;
}

/**
 * Resolves the Temporal target from the environment (and Temporal CLI profile), falling back
 * to stratus.yaml's `temporal:` section. Throws {@link TemporalSettingsError} with a message
 * that names the offending variable or file, never a secret.
 */
export function resolveTemporalTarget(
  config: Pick<StratusConfig, 'temporal'>,
  env: Record<string, string | undefined> = process.env,
): TemporalTarget {
  const envVars = definedOnly(env);
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars: envVars });
  } catch (error) {
    throw new TemporalSettingsError(`cannot load the Temporal client profile: ${(error as Error).message}`);
  }
  const cert = profile.tls?.clientCert;
  const key = profile.tls?.clientKey;
  if ((cert === undefined) !== (key === undefined)) {
    throw new TemporalSettingsError(
      'TLS client certificate and key must be given together: set both TEMPORAL_TLS_CLIENT_CERT_PATH and ' +
        'TEMPORAL_TLS_CLIENT_KEY_PATH (or the *_DATA variants / profile keys)',
    );
  }
  let options: ReturnType<typeof toClientOptions>;
  try {
    options = toClientOptions(profile);
  } catch (error) {
    throw new TemporalSettingsError(`cannot load Temporal TLS files: ${(error as Error).message}`);
  }
  const address = profile.address ?? config.temporal?.address;
  const addressSource: AddressSource | undefined =
    envVars.TEMPORAL_ADDRESS !== undefined
      ? 'environment'
      : profile.address !== undefined
        ? 'profile'
        : address !== undefined
          ? 'config'
          : undefined;
  const connectionOptions = stripUndefined({ ...options.connectionOptions, address });
  return {
    address,
    addressSource,
    namespace: options.namespace ?? config.temporal?.namespace ?? DEFAULT_NAMESPACE,
    connectionOptions,
  };
}

/** A loggable description of a target. */
export function summarizeTarget(target: TemporalTarget): TemporalTargetSummary {
  const tls = target.connectionOptions.tls;
  return {
    address: target.address,
    addressSource: target.addressSource,
    namespace: target.namespace,
    tls: tls !== undefined && tls !== null && tls !== false,
    apiKey: target.connectionOptions.apiKey !== undefined,
  };
}

/** Says how to fix a missing address; for commands that need an external server. */
export function requireAddress(target: TemporalTarget): string {
  if (target.address !== undefined) return target.address;
  throw new TemporalSettingsError(
    'no Temporal server address: set TEMPORAL_ADDRESS (host:port), temporal.address in stratus.yaml, ' +
      'or a Temporal CLI profile (TEMPORAL_PROFILE); for a local all-in-one run use `stratus dev`',
  );
}

/** Opens the worker-side (Rust core) connection to the target. */
export async function connectWorker(target: TemporalTarget): Promise<NativeConnection> {
  const address = requireAddress(target);
  try {
    return await NativeConnection.connect(target.connectionOptions);
  } catch (error) {
    throw new TemporalUnreachableError(address, redact((error as Error).message, target));
  }
}

/** Opens a client connection (for starting workflows, signals, queries) to the target. */
export async function connectClient(target: TemporalTarget): Promise<Connection> {
  const address = requireAddress(target);
  const { tls, apiKey, metadata } = target.connectionOptions;
  try {
    return await Connection.connect(stripUndefined({ address, tls, apiKey, metadata }));
  } catch (error) {
    throw new TemporalUnreachableError(address, redact((error as Error).message, target));
  }
}

/** Belt and braces: an error text from a library must not carry the API key onwards. */
function redact(message: string, target: TemporalTarget): string {
  const key = target.connectionOptions.apiKey;
  return typeof key === 'string' && key.length > 0 ? message.split(key).join('***') : message;
}

/** Drops unset variables; an empty TEMPORAL_* value counts as unset (`TEMPORAL_ADDRESS= stratus dev`). */
function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || (v === '' && !k.startsWith('TEMPORAL_GRPC_META_'))) continue;
    out[k] = v;
  }
  return out;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
