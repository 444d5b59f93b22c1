import { z } from 'zod';
import { TASK_QUEUES } from './task-queues.js';
import { releaseConfigSchema } from './release.js';
import { imagesConfigSchema } from './images.js';
import { lifecycleConfigSchema } from './lifecycle.js';
import { openstackConfigSchema } from './openstack.js';

/** Accepts `host:port`, `[ipv6]:port`; no scheme, no path. */
const ADDRESS_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;
const NAMESPACE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

const port = (what: string) =>
  z.int({ error: `must be a whole number (the ${what} port)` })
    .min(0, { error: 'must be between 0 and 65535 (0 picks a free port)' })
    .max(65535, { error: 'must be between 0 and 65535 (0 picks a free port)' });

const address = z.string({ error: 'must be a string of the form host:port' }).refine(
  (value) => {
    const match = ADDRESS_RE.exec(value);
    return match !== null && Number(match[1]) <= 65535;
  },
  { error: 'must be host:port, e.g. temporal.example.org:7233 (no scheme, no path)' },
);

const namespace = z.string({ error: 'must be a string' }).regex(NAMESPACE_RE, {
  error: 'must be a Temporal namespace name: letters, digits, ".", "_" or "-", starting with a letter or digit',
});

/**
 * `temporal:` — where a worker finds Temporal when the environment does not say.
 * TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / a TEMPORAL_PROFILE take precedence over these.
 */
export const temporalConfigSchema = z.strictObject({
  /** `host:port` of the Temporal frontend. */
  address: address.optional(),
  /** Temporal namespace; `default` when unset everywhere. */
  namespace: namespace.optional(),
});

/** `dev:` — the embedded server that `stratus dev` runs when no Temporal address is set. */
export const devConfigSchema = z.strictObject({
  /** gRPC port of the embedded Temporal server (0 = pick a free one). */
  port: port('Temporal gRPC').default(7233),
  /** Interface the embedded server and dashboard listen on. */
  host: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).default('127.0.0.1'),
  /** Where the embedded server keeps its state between restarts, relative to the config file. */
  dbFile: z.string({ error: 'must be a string (a file path)' }).min(1, { error: 'must not be empty' }).default('.stratus/dev.db'),
  /** Port of the web dashboard. */
  dashboardPort: port('dashboard').default(8080),
});

/** `dashboard:` — who may act on the web dashboard. */
export const dashboardConfigSchema = z.strictObject({
  /**
   * File of `login: sha256hex(token)` pairs, relative to the config file: each operator acts with
   * their own token and the workflow history records their login (`dashboard:<login>`).
   */
  operatorsFile: z.string({ error: 'must be a string (a file path)' }).min(1, { error: 'must not be empty' }).optional(),
});

/** `worker:` — what `stratus worker` / `stratus dev` run. */
export const workerConfigSchema = z.strictObject({
  /** Task queues this process serves; all three by default. */
  taskQueues: z
    .array(z.enum(TASK_QUEUES, { error: `must be one of ${TASK_QUEUES.join(', ')}` }), {
      error: 'must be a list of task queue names',
    })
    .min(1, { error: `must name at least one task queue (${TASK_QUEUES.join(', ')})` })
    .refine((queues) => new Set(queues).size === queues.length, { error: 'must not name a task queue twice' })
    .default([...TASK_QUEUES]),
});

/**
 * The whole `stratus.yaml`. Strict at every level: an unknown key is an error naming it.
 */
export const stratusConfigSchema = z.strictObject(
  {
    temporal: temporalConfigSchema.prefault({}),
    dev: devConfigSchema.prefault({}),
    worker: workerConfigSchema.prefault({}),
    dashboard: dashboardConfigSchema.optional(),
    // domain sections: each optional; a missing section disables that capability
    release: releaseConfigSchema.optional(),
    images: imagesConfigSchema.optional(),
    lifecycle: lifecycleConfigSchema.optional(),
    openstack: openstackConfigSchema.optional(),
  },
  { error: 'the config must be a YAML mapping (key: value pairs) at the top level' },
);

/** A parsed, defaulted, validated `stratus.yaml`. */
export type StratusConfig = z.infer<typeof stratusConfigSchema>;
/** What a user may write (before defaults). */
export type StratusConfigInput = z.input<typeof stratusConfigSchema>;
