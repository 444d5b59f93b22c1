// The real-cloud suite's own view of the stack that `up` started: the credentials it wrote and a
// small admin REST helper over plain fetch (independent of clients/openstack, which is what the
// suite tests). Admin tokens are scoped per project, so resources are created where they belong.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What `up` wrote to `$STRATUS_OS_DIR/credentials.json`. */
export interface StackCredentials {
  authUrl: string;
  region: string;
  adminProjectId: string;
  memberProjectId: string;
  admin: { id: string; secret: string; projectId: string };
  member: { id: string; secret: string; projectId: string };
  adminPassword: { username: string; password: string; userDomainName: string; projectName: string; projectDomainName: string };
  memberPassword: { username: string; password: string; userDomainName: string; projectName: string; projectDomainName: string };
}

export const STATE_DIR = process.env.STRATUS_OS_DIR ?? '/tmp/stratus-openstack';

/** The credentials of the running stack; a clear error when `up` has not run. */
export function loadStack(): StackCredentials {
  const file = join(STATE_DIR, 'credentials.json');
  if (!existsSync(file)) throw new Error(`no OpenStack stack at ${STATE_DIR}: run test/openstack-real/up first (npm run test:openstack does)`);
  return JSON.parse(readFileSync(file, 'utf8')) as StackCredentials;
}

/**
 * fetch, retried when the connection fails before any answer (a service just restarted closes its
 * first kept-alive connections: "other side closed"). Only the test's own admin calls use it.
 */
async function fetchAnswered(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (err) {
      if (attempt >= 5) throw new Error(`${init.method ?? 'GET'} ${url}: no answer after ${attempt} tries (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message})`, { cause: err });
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

type ServiceType = 'compute' | 'image' | 'volumev3' | 'network' | 'object-store' | 'identity';

interface Scoped {
  token: string;
  expires: number;
  catalog: Map<string, string>;
}

/** A JSON body as the services return it: the suite reads a few fields of many shapes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** An answer of the cloud: status, headers and the parsed body (JSON when it is JSON). */
export interface Reply<T = Json> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Admin over plain HTTP: `req(service, method, path, { project })` with a token scoped to `project`. */
export class AdminApi {
  readonly #scoped = new Map<string, Scoped>();
  #adminRoleId?: string;
  #adminUserId?: string;
  constructor(readonly stack: StackCredentials) {}

  async scoped(projectId: string): Promise<Scoped> {
    const have = this.#scoped.get(projectId);
    if (have && have.expires > Date.now() + 60_000) return have;
    const p = this.stack.adminPassword;
    const res = await fetchAnswered(`${this.stack.authUrl}/auth/tokens`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth: {
        identity: { methods: ['password'], password: { user: { name: p.username, password: p.password, domain: { name: p.userDomainName } } } },
        scope: { project: { id: projectId } },
      } }),
    });
    if (res.status !== 201) throw new Error(`admin token for project ${projectId}: ${res.status} ${await res.text()}`);
    const body = await res.json() as { token: { expires_at: string; catalog: { type: string; endpoints: { interface: string; url: string }[] }[] } };
    const catalog = new Map(body.token.catalog.map((s) => [s.type, s.endpoints.find((e) => e.interface === 'public')!.url]));
    const s = { token: res.headers.get('x-subject-token')!, expires: Date.parse(body.token.expires_at), catalog };
    this.#scoped.set(projectId, s);
    return s;
  }

  /** A request as admin scoped to `project` (default: the admin project). */
  async req<T = Json>(service: ServiceType, method: string, path: string, opts: { project?: string; body?: unknown; raw?: Buffer | string; headers?: Record<string, string> } = {}): Promise<Reply<T>> {
    const project = opts.project ?? this.stack.adminProjectId;
    const first = await this.req1<T>(service, method, path, opts, await this.scoped(project));
    if (first.status !== 401) return first;
    // The token was invalidated (Keystone's keys rotated): one fresh token, one more try.
    this.#scoped.delete(project);
    return this.req1<T>(service, method, path, opts, await this.scoped(project));
  }

  private async req1<T>(service: ServiceType, method: string, path: string, opts: Parameters<AdminApi['req']>[3], s: Scoped): Promise<Reply<T>> {
    opts = opts ?? {};
    const base = service === 'identity' ? this.stack.authUrl : s.catalog.get(service);
    if (!base) throw new Error(`no ${service} endpoint in the catalog`);
    const headers: Record<string, string> = { 'x-auth-token': s.token, ...(service === 'compute' ? { 'openstack-api-version': 'compute 2.79' } : {}), ...opts.headers };
    let body: string | Buffer | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(opts.body);
    } else if (opts.raw !== undefined) {
      body = opts.raw;
    }
    const res = await fetchAnswered(base + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  /** As `req`, but a status outside 2xx is an error naming the call. */
  async ok<T = Json>(service: ServiceType, method: string, path: string, opts: Parameters<AdminApi['req']>[3] = {}): Promise<T> {
    const r = await this.req<T>(service, method, path, opts);
    if (r.status >= 300) throw new Error(`${method} ${service}${path}: ${r.status} ${r.text.slice(0, 400)}`);
    return r.body;
  }

  /** The project named `name` (made once), with the admin user holding `admin` on it. */
  async project(name: string): Promise<string> {
    const found = await this.ok('identity', 'GET', `/projects?name=${encodeURIComponent(name)}`);
    const id: string = found.projects[0]?.id ?? (await this.ok('identity', 'POST', '/projects', { body: { project: { name, domain_id: 'default' } } })).project.id;
    if (!this.#adminRoleId) {
      this.#adminRoleId = (await this.ok('identity', 'GET', '/roles?name=admin')).roles[0].id;
      this.#adminUserId = (await this.ok('identity', 'GET', '/users?name=admin')).users[0].id;
    }
    await this.ok('identity', 'PUT', `/projects/${id}/users/${this.#adminUserId}/roles/${this.#adminRoleId}`);
    return id;
  }

  /** How long `until` waits by default (a cloud holding hundreds of servers builds new ones slowly). */
  untilTimeoutMs = 120_000;

  /** Polls `get` until `done` holds (or throws after `timeoutMs`, naming `what`). */
  async until<T>(what: string, get: () => Promise<T>, done: (v: T) => boolean, timeoutMs = this.untilTimeoutMs): Promise<T> {
    const end = Date.now() + timeoutMs;
    let last: T | undefined;
    while (Date.now() < end) {
      last = await get();
      if (done(last)) return last;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${what}: still ${JSON.stringify(last)?.slice(0, 300)} after ${timeoutMs} ms`);
  }
}
