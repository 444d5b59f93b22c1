// An authenticated client for one catalog service: adds the token, re-authenticates once on 401,
// retries through sendWithRetry and maps error statuses to typed errors.
import { type z } from 'zod';
import { missingRole, type CredentialAccess, type KeystoneSession, type Token } from './auth.js';
import {
  OpenStackAuthError,
  OpenStackConflictError,
  OpenStackError,
  OpenStackHttpError,
  OpenStackNotFoundError,
  OpenStackNotVisibleError,
} from './errors.js';
import { errorDetail, sendWithRetry } from './http.js';
import { parseBody } from './schema.js';

/** One page of a listing; `nextMarker` is absent on the last page. */
export interface Page<T> {
  items: T[];
  nextMarker?: string;
  /** Set when the credential could list only its own project: what it saw and why no more. */
  partial?: PartialListing;
}

/** A listing narrowed to the credential's own project. */
export interface PartialListing {
  /** The one project whose resources were listed. */
  visibleProject: string;
  /** In words, naming the credential's roles and the missing role. */
  reason: string;
}

/** Options of a paged listing. */
export interface PageRequest {
  limit?: number;
  marker?: string;
  signal?: AbortSignal;
}

/** The `marker` of the `next` link in Nova/Cinder/Neutron `*_links` or Glance's `next`. */
export function markerOfNext(links: { rel: string; href: string }[] | undefined): string | undefined {
  const next = links?.find((l) => l.rel === 'next');
  return next ? new URL(next.href, 'http://openstack').searchParams.get('marker') ?? undefined : undefined;
}

/** What a request is about, so errors can name it. */
export interface Subject {
  resource: string;
  id: string;
}

export interface CallOptions {
  /** JSON request body. */
  json?: unknown;
  /** Raw request body factory (uploads). */
  body?: () => NonNullable<RequestInit['body']>;
  contentType?: string;
  /** Names the resource in NotFound/Conflict errors; without it those are plain HTTP errors. */
  subject?: Subject;
  /** Statuses the real API uses for "exists but the state forbids it" besides 409. */
  conflictStatuses?: number[];
  idempotent?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Rewrites the catalog base URL before `path` is appended (Swift accounts of other projects). */
  rebase?: (baseUrl: string) => string;
  /** What error messages call the path (Swift names account/container/object instead of a bare path). */
  label?: string;
  /** DELETE only: the path a 404 is confirmed with (default the same path). */
  confirmPath?: string;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
}

export class ServiceClient {
  constructor(
    readonly session: KeystoneSession,
    readonly serviceType: string,
    /** Appended to the catalog URL unless it already ends with it (Neutron's `/v2.0`). */
    private readonly versionSuffix = '',
    /** The role that lets this service show other projects' resources (`admin`; Swift: `ResellerAdmin`). */
    readonly crossProjectRole: 'admin' | 'ResellerAdmin' = 'admin',
  ) {}

  /** What the credential may see. */
  async access(signal?: AbortSignal): Promise<CredentialAccess> {
    return this.session.access(signal);
  }

  /** Whether this credential sees every project's resources in this service. */
  seesAll(access: CredentialAccess): boolean {
    return this.crossProjectRole === 'admin' ? access.allProjects : access.allAccounts;
  }

  /** Why a project other than the credential's own is out of sight. */
  whyNotVisible(access: CredentialAccess): string {
    return missingRole(access, this.crossProjectRole);
  }

  /** The service's base URL from the catalog. */
  async baseUrl(signal?: AbortSignal): Promise<string> {
    return this.baseUrlIn(await this.session.token(signal));
  }

  private baseUrlIn(token: Token): string {
    const url = this.session.endpointIn(token, this.serviceType);
    return this.versionSuffix && !url.endsWith(this.versionSuffix) ? `${url}${this.versionSuffix}` : url;
  }

  /** Sends a request; throws typed errors for every status >= 400. */
  async call(method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
    for (let reauth = 0; ; reauth++) {
      const token = await this.session.token(options.signal);
      const base = this.baseUrlIn(token);
      const url = `${options.rebase ? options.rebase(base) : base}${path}`;
      const headers: Record<string, string> = { 'x-auth-token': token.value, accept: 'application/json' };
      let body = options.body;
      if (options.json !== undefined) {
        const text = JSON.stringify(options.json);
        body = () => text;
        headers['content-type'] = options.contentType ?? 'application/json';
      } else if (options.contentType) {
        headers['content-type'] = options.contentType;
      }
      const res = await sendWithRetry(
        {
          service: this.serviceType,
          method,
          url,
          path: path.split('?')[0],
          headers,
          body,
          idempotent: options.idempotent,
          signal: options.signal,
          timeoutMs: options.timeoutMs,
        },
        this.session.policy,
        this.session.fetchImpl,
      );
      const text = await res.text();
      if (res.status === 401) {
        this.session.invalidate(token);
        if (reauth === 0) continue;
        throw new OpenStackAuthError(`${this.serviceType} rejected a fresh token (HTTP 401) for ${method} ${path.split('?')[0]}`, 401);
      }
      if (res.status < 400) return { status: res.status, headers: res.headers, text };
      const detail = errorDetail(text).split(token.value).join('***');
      if (res.status === 404 && options.subject) throw new OpenStackNotFoundError(options.subject.resource, options.subject.id);
      if (options.subject && (res.status === 409 || options.conflictStatuses?.includes(res.status))) {
        throw new OpenStackConflictError(options.subject.resource, options.subject.id, res.status, detail);
      }
      throw new OpenStackHttpError(this.serviceType, method, options.label ?? (path.split('?')[0] || '/'), res.status, detail);
    }
  }

  /** GET and validate a JSON body. */
  async getJson<T extends z.ZodType>(path: string, schema: T, options: CallOptions = {}): Promise<z.infer<T>> {
    const res = await this.call('GET', path, options);
    return parseBody(schema, res.text, this.serviceType, path.split('?')[0]);
  }

  /** Send and validate a JSON response body. */
  async sendJson<T extends z.ZodType>(method: string, path: string, schema: T, options: CallOptions = {}): Promise<z.infer<T>> {
    const res = await this.call(method, path, options);
    return parseBody(schema, res.text, this.serviceType, path.split('?')[0]);
  }

  /**
   * DELETE where a 404 means "already gone" only once it is sure: `true` when this call deleted it,
   * `false` when a credential that sees every project confirms (GET) it is gone. A credential that
   * sees only its own project gets OpenStackNotVisibleError: the caller knows whether the resource
   * was its own (then gone) or another project's (then unknown).
   */
  async deleteIdempotent(path: string, subject: Subject, options: CallOptions = {}): Promise<boolean> {
    try {
      await this.call('DELETE', path, { ...options, subject });
      return true;
    } catch (err) {
      if (!(err instanceof OpenStackNotFoundError)) throw err;
    }
    const access = await this.access(options.signal);
    if (!this.seesAll(access)) throw new OpenStackNotVisibleError(subject.resource, subject.id, this.whyNotVisible(access));
    try {
      await this.call('GET', options.confirmPath ?? path, { subject, signal: options.signal, rebase: options.rebase, label: options.label });
    } catch (err) {
      if (err instanceof OpenStackNotFoundError) return false;
      throw err;
    }
    throw new OpenStackError(`${subject.resource} ${subject.id}: DELETE answered 404 but it still exists`);
  }
}
