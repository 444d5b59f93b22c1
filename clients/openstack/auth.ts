// Keystone v3: password or application-credential auth, token reuse until shortly before expiry,
// and endpoint lookup in the service catalog by type, interface and region.
import { z } from 'zod';
import { OpenStackAuthError, OpenStackError, OpenStackResponseError } from './errors.js';
import { defaultRetryPolicy, errorDetail, sendWithRetry, type FetchLike, type RetryPolicy } from './http.js';
import { parseBody } from './schema.js';

/** Username/password scoped to a project (by name+domain or id). */
export interface PasswordCredentials {
  kind: 'password';
  username: string;
  password: string;
  userDomainName?: string;
  projectName?: string;
  projectId?: string;
  projectDomainName?: string;
}

/** An application credential: already scoped to its project; no scope may be sent. */
export interface ApplicationCredentials {
  kind: 'application-credential';
  id: string;
  secret: string;
}

export type KeystoneCredentials = PasswordCredentials | ApplicationCredentials;

/** Where and how to authenticate. */
export interface KeystoneOptions {
  /** Keystone v3 URL, e.g. `https://keystone.example.org:5000/v3`. */
  authUrl: string;
  credentials: KeystoneCredentials;
  /** Catalog region to use (default: the first endpoint of the wanted interface). */
  region?: string;
  /** Catalog interface (default `public`). */
  interface?: 'public' | 'internal' | 'admin';
  retry?: Partial<RetryPolicy>;
  fetch?: FetchLike;
  /** Re-authenticate this long before the token expires (default 60 s). */
  expirySkewMs?: number;
}

const catalogSchema = z.array(
  z.object({
    type: z.string(),
    name: z.string().optional(),
    endpoints: z.array(
      z.object({
        interface: z.string(),
        url: z.string(),
        region: z.string().nullish(),
        region_id: z.string().nullish(),
      }),
    ),
  }),
);

const tokenSchema = z.object({
  token: z.object({
    expires_at: z.string(),
    catalog: catalogSchema.optional(),
    project: z.object({ id: z.string(), name: z.string().optional() }).optional(),
    roles: z.array(z.object({ name: z.string() })).optional(),
  }),
});

/** The message for a token without a project: it has no catalog and can do nothing. */
export const UNSCOPED_TOKEN_MESSAGE = 'the token is unscoped: set a project (project_name/project_id) or use a project-scoped application credential';

/** A valid token and what came with it. */
export interface Token {
  value: string;
  expiresAt: number;
  projectId?: string;
  /** Role names on `projectId` (Keystone's token `roles`). */
  roles: string[];
  catalog: z.infer<typeof catalogSchema>;
}

/** What a credential may see, read from its token. */
export interface CredentialAccess {
  /** The project the token is scoped to. */
  projectId: string;
  roles: string[];
  /** Holds `admin`: may list servers, volumes, images and networks of every project. */
  allProjects: boolean;
  /** Holds `ResellerAdmin`: may reach every project's Swift account. */
  allAccounts: boolean;
}

/** Role names compare case-insensitively (Swift lower-cases them). */
export function hasRole(roles: string[], role: string): boolean {
  return roles.some((r) => r.toLowerCase() === role.toLowerCase());
}

/** The access a scoped token gives; an unscoped token is an OpenStackAuthError. */
export function accessOf(token: Token): CredentialAccess {
  if (!token.projectId) throw new OpenStackAuthError(UNSCOPED_TOKEN_MESSAGE);
  return { projectId: token.projectId, roles: token.roles, allProjects: hasRole(token.roles, 'admin'), allAccounts: hasRole(token.roles, 'ResellerAdmin') };
}

/** Why a credential cannot see other projects, naming its roles and the missing one. */
export function missingRole(access: CredentialAccess, role: string): string {
  const held = access.roles.length > 0 ? `roles ${access.roles.join(', ')}` : 'no roles';
  return `it has ${held} on project ${access.projectId}; seeing other projects needs the ${role} role`;
}

/** Keeps one token, renews it when it is about to expire or was rejected. */
export class KeystoneSession {
  readonly policy: RetryPolicy;
  readonly fetchImpl: FetchLike;
  #current?: Token;
  #pending?: Promise<Token>;
  /** A token just obtained serves at least one request, even inside the expiry skew. */
  #fresh = false;
  // A #private field: util.inspect and JSON.stringify never show it, so a logged client leaks no secret.
  readonly #options: KeystoneOptions;

  constructor(options: KeystoneOptions) {
    this.#options = options;
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    this.fetchImpl = options.fetch ?? fetch;
    validateCredentials(options.credentials);
  }

  /** The current token, authenticating first if there is none or it is about to expire. */
  async token(signal?: AbortSignal): Promise<Token> {
    const skew = this.#options.expirySkewMs ?? 60_000;
    if (this.#current && this.#current.expiresAt - skew > Date.now()) return this.#current;
    if (this.#current && this.#fresh && this.#current.expiresAt > Date.now()) {
      this.#fresh = false;
      return this.#current;
    }
    this.#pending ??= this.authenticate(signal).finally(() => (this.#pending = undefined));
    this.#current = await this.#pending;
    return this.#current;
  }

  /** Forget a token the API rejected (401), unless a newer one has already replaced it. */
  invalidate(token: Token): void {
    if (this.#current === token) this.#current = undefined;
  }

  /** The catalog URL (no trailing slash) of a service type such as `compute` or `volumev3`. */
  async endpoint(serviceType: string, signal?: AbortSignal): Promise<string> {
    return this.endpointIn(await this.token(signal), serviceType);
  }

  /** What the credential may see (authenticating first if needed). */
  async access(signal?: AbortSignal): Promise<CredentialAccess> {
    // Roles do not change when a token is renewed: a still-valid one answers without a new login.
    if (this.#current && this.#current.expiresAt > Date.now()) return accessOf(this.#current);
    const token = await this.token(signal);
    this.#fresh = true;
    return accessOf(token);
  }

  /** Looks a service up in the catalog that came with `token`. */
  endpointIn(token: Token, serviceType: string): string {
    if (!token.projectId) throw new OpenStackAuthError(UNSCOPED_TOKEN_MESSAGE);
    const wanted = this.#options.interface ?? 'public';
    const service = token.catalog.find((s) => s.type === serviceType);
    const endpoint = service?.endpoints.find(
      (e) => e.interface === wanted && (!this.#options.region || (e.region_id ?? e.region) === this.#options.region),
    );
    if (!endpoint) {
      const where = this.#options.region ? ` in region ${this.#options.region}` : '';
      throw new OpenStackError(`the service catalog has no ${wanted} endpoint for ${serviceType}${where}`);
    }
    return endpoint.url.replace(/\/+$/, '');
  }

  /** Erases secrets if the object is ever logged. */
  toJSON(): object {
    return { authUrl: this.#options.authUrl, credentials: this.#options.credentials.kind };
  }

  private async authenticate(signal?: AbortSignal): Promise<Token> {
    const url = `${this.#options.authUrl.replace(/\/+$/, '')}/auth/tokens`;
    const body = JSON.stringify(authBody(this.#options.credentials));
    const res = await sendWithRetry(
      {
        service: 'keystone',
        method: 'POST',
        url,
        path: '/auth/tokens',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: () => body,
        idempotent: true,
        signal,
      },
      this.policy,
      this.fetchImpl,
    );
    const text = await res.text();
    const who = describeCredentials(this.#options.credentials);
    if (res.status === 401 || res.status === 403) {
      throw new OpenStackAuthError(`Keystone rejected ${who} (HTTP ${res.status})`, res.status);
    }
    if (res.status !== 201 && res.status !== 200) {
      throw new OpenStackAuthError(`Keystone authentication for ${who} failed with HTTP ${res.status}: ${errorDetail(text)}`, res.status);
    }
    const value = res.headers.get('x-subject-token');
    if (!value) throw new OpenStackResponseError('keystone', '/auth/tokens', 'no X-Subject-Token header');
    const parsed = parseBody(tokenSchema, text, 'keystone', '/auth/tokens');
    const expiresAt = Date.parse(parsed.token.expires_at);
    if (Number.isNaN(expiresAt)) throw new OpenStackResponseError('keystone', '/auth/tokens', 'token.expires_at is not a date');
    return { value, expiresAt, projectId: parsed.token.project?.id, roles: (parsed.token.roles ?? []).map((r) => r.name), catalog: parsed.token.catalog ?? [] };
  }
}

function authBody(credentials: KeystoneCredentials): object {
  if (credentials.kind === 'application-credential') {
    return {
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { id: credentials.id, secret: credentials.secret },
        },
      },
    };
  }
  const project = credentials.projectId
    ? { id: credentials.projectId }
    : { name: credentials.projectName, domain: { name: credentials.projectDomainName ?? 'Default' } };
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: {
          user: {
            name: credentials.username,
            domain: { name: credentials.userDomainName ?? 'Default' },
            password: credentials.password,
          },
        },
      },
      ...(credentials.projectId || credentials.projectName ? { scope: { project } } : {}),
    },
  };
}

function describeCredentials(credentials: KeystoneCredentials): string {
  return credentials.kind === 'password'
    ? `the password of user ${credentials.username}`
    : `application credential ${credentials.id}`;
}

function validateCredentials(credentials: KeystoneCredentials): void {
  if (credentials.kind === 'password') {
    if (!credentials.username) throw new OpenStackAuthError('credentials.username is empty');
    if (!credentials.password) throw new OpenStackAuthError(`credentials.password is empty for user ${credentials.username}`);
  } else if (credentials.kind === 'application-credential') {
    if (!credentials.id) throw new OpenStackAuthError('credentials.id (application credential id) is empty');
    if (!credentials.secret) throw new OpenStackAuthError(`credentials.secret is empty for application credential ${credentials.id}`);
  } else {
    throw new OpenStackAuthError(`credentials.kind must be "password" or "application-credential"`);
  }
}
