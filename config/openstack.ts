// The `openstack:` section of stratus.yaml: where Keystone is and how to authenticate. Secrets are
// never in the file: the config names the environment variables the worker reads them from.
import { z } from 'zod';
import { type CloudOptions, type KeystoneCredentials } from '../clients/openstack/index.js';

const ENV_NAME = z.string({ error: 'must be the name of an environment variable' })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (issue) => `must be an environment variable name (letters, digits, _), got ${JSON.stringify(issue.input)}` });

const text = (what: string) => z.string({ error: `must be a string (${what})` }).trim().min(1, { error: `must not be empty (${what})` });

/**
 * `openstack.auth`: an application credential (`applicationCredentialId` +
 * `applicationCredentialSecretEnv`) or a password (`username` + `passwordEnv`, with `project` or
 * `projectId`, and `domain`).
 */
const authSchema = z.strictObject({
  applicationCredentialId: text('the application credential id').optional(),
  /** Environment variable holding the application credential secret. */
  applicationCredentialSecretEnv: ENV_NAME.optional(),
  username: text('the Keystone user name').optional(),
  /** Environment variable holding the password. */
  passwordEnv: ENV_NAME.optional(),
  /** Project name to scope the token to (with `domain`), or use `projectId`. */
  project: text('the project name').optional(),
  projectId: text('the project id').optional(),
  /** Domain of the user and the project (default `Default`). */
  domain: text('the Keystone domain name').optional(),
}, { error: 'must be { applicationCredentialId, applicationCredentialSecretEnv } or { username, passwordEnv, project, domain }' })
  .superRefine((auth, ctx) => {
    const appCred = auth.applicationCredentialId !== undefined || auth.applicationCredentialSecretEnv !== undefined;
    const password = auth.username !== undefined || auth.passwordEnv !== undefined;
    const need = (key: keyof typeof auth, message: string) => {
      if (auth[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message });
    };
    if (appCred && password) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'use either an application credential or a username/password, not both' });
    } else if (appCred) {
      need('applicationCredentialId', 'is required with applicationCredentialSecretEnv (the id of the application credential)');
      need('applicationCredentialSecretEnv', 'is required: the environment variable that holds the application credential secret');
      for (const key of ['project', 'projectId', 'domain'] as const) {
        if (auth[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'an application credential is already scoped to its project: remove this key' });
      }
    } else if (password) {
      need('username', 'is required with passwordEnv (the Keystone user name)');
      need('passwordEnv', 'is required: the environment variable that holds the password');
      if (auth.project === undefined && auth.projectId === undefined) {
        ctx.addIssue({ code: 'custom', path: ['project'], message: 'is required with a username: the project to scope the token to (or give projectId)' });
      }
    } else {
      ctx.addIssue({ code: 'custom', path: ['applicationCredentialId'], message: 'is required: give applicationCredentialId + applicationCredentialSecretEnv, or username + passwordEnv + project' });
    }
  });

/** The `openstack:` section (strict at every level). */
export const openstackConfigSchema = z.strictObject({
  /** Keystone v3 URL, e.g. `https://keystone.example.org:5000/v3`. */
  authUrl: z.url({ protocol: /^https?$/, error: 'must be the http(s) URL of Keystone v3, e.g. https://keystone.example.org:5000/v3' }),
  /** Catalog region (default: the first endpoint). */
  region: text('the catalog region, e.g. RegionOne').optional(),
  /** Catalog interface (default `public`). */
  interface: z.enum(['public', 'internal', 'admin']).optional(),
  auth: authSchema,
  /** Projects that are never purged (the admin and service projects). */
  protectedProjects: z.array(text('a project id')).default([]),
  /** The image property that marks a featured image (default `featured=true`). */
  featured: z.strictObject({
    property: text('the image property'),
    featuredValue: text('the value of a featured image').default('true'),
    unfeaturedValue: text('the value of an image that is not featured').optional(),
  }).optional(),
});

/** A parsed `openstack:` section. */
export type OpenStackConfig = z.infer<typeof openstackConfigSchema>;

/**
 * The Keystone credentials of the section, secrets read from `env`. Throws an error naming the
 * field and the variable (never the value) when a variable is unset.
 */
export function openstackCredentials(cfg: OpenStackConfig, env: Record<string, string | undefined>): KeystoneCredentials {
  const { auth } = cfg;
  const secret = (field: 'applicationCredentialSecretEnv' | 'passwordEnv'): string => {
    const name = auth[field]!;
    const value = env[name];
    if (!value) throw new Error(`openstack.auth.${field}: environment variable ${name} is not set`);
    return value;
  };
  if (auth.applicationCredentialId) {
    return { kind: 'application-credential', id: auth.applicationCredentialId, secret: secret('applicationCredentialSecretEnv') };
  }
  return {
    kind: 'password', username: auth.username!, password: secret('passwordEnv'),
    ...(auth.domain ? { userDomainName: auth.domain, projectDomainName: auth.domain } : {}),
    ...(auth.projectId ? { projectId: auth.projectId } : { projectName: auth.project }),
  };
}

/** The options of `createCloud` for this section. */
export function cloudOptions(cfg: OpenStackConfig, env: Record<string, string | undefined>): CloudOptions {
  return {
    authUrl: cfg.authUrl,
    credentials: openstackCredentials(cfg, env),
    ...(cfg.region ? { region: cfg.region } : {}),
    ...(cfg.interface ? { interface: cfg.interface } : {}),
    ...(cfg.featured ? { featuredFlag: { ...cfg.featured } } : {}),
  };
}
