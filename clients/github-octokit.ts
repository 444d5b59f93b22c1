// Builds the Octokit client (retry + throttling plugins, per-request timeout) and translates its
// RequestErrors into our typed errors.
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import {
  AuthError, ForbiddenError, NotPermittedError, RateLimitedError, RepoNotFoundError, RequestRejectedError, ServiceUnavailableError,
} from './github-errors.js';
import { githubAppStrategy, type GithubAppCredentials } from './github-app-auth.js';
import { type HttpRetryOptions } from './http-retry.js';

/** How to reach GitHub (or GitHub Enterprise, or the test fake) and how patiently. */
export interface GithubConnectionOptions extends HttpRetryOptions {
  /** Personal access or app installation token. Never logged or put in an error. Either this or `app`. */
  token?: string;
  /** Authenticate as a GitHub App installation instead of with a token. */
  app?: GithubAppCredentials;
  /** API root, e.g. `https://api.github.com` (default) or `https://ghe.example.org/api/v3`. */
  baseUrl?: string;
  /** Minimum ms between writes; default: the throttling plugin's (1 s, 3 s for notifying writes). */
  writeSpacingMs?: number;
  /**
   * Milliseconds the current activity has left (default: unbounded). A rate-limit wait that would
   * not fit is not slept in-process: the call fails with RateLimitedError, and the activity's
   * retry (nextRetryDelay) does the waiting.
   */
  remainingMs?: () => number;
  /** Receives the plugins' warnings (default: none are printed). */
  log?: { warn(message: string): void };
}

export type RestClient = InstanceType<typeof Octokit>;

const GithubOctokit = Octokit.plugin(retry, throttling);

export function createOctokit(options: GithubConnectionOptions): RestClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxWait = options.maxRateLimitWaitSeconds ?? 60;
  const rateLimitRetries = options.rateLimitRetries ?? 2;
  const secondMs = options.rateLimitSecondMs ?? 1000;
  const fits = (retryAfter: number): boolean => retryAfter * secondMs + timeoutMs <= (options.remainingMs?.() ?? Infinity);
  const onLimit = (retryAfter: number, _opts: unknown, _octokit: unknown, retryCount: number): boolean =>
    retryAfter > 0 && retryCount < rateLimitRetries && retryAfter <= maxWait && fits(retryAfter);
  const spacing = options.writeSpacingMs;
  const groups = spacing === undefined ? {} : {
    write: new Bottleneck.Group({ maxConcurrent: 1, minTime: spacing }),
    notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: spacing }),
  };
  const warn = options.log?.warn.bind(options.log) ?? ((): void => undefined);
  const timedFetch: typeof fetch = (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
  const baseUrl = (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  const auth = options.app
    ? { authStrategy: githubAppStrategy, auth: { ...options.app, baseUrl } }
    : { auth: options.token };
  return new GithubOctokit({
    ...auth,
    baseUrl,
    userAgent: 'stratus',
    request: { fetch: timedFetch },
    log: { debug: () => undefined, info: () => undefined, warn, error: warn },
    retry: {
      retries: options.retries ?? 3,
      retryAfterBaseValue: options.retryBaseDelayMs ?? 1000,
      // 429 belongs to the throttling plugin, which honours Retry-After.
      doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
    },
    throttle: {
      id: `stratus-${Math.random().toString(36).slice(2)}`,
      retryAfterBaseValue: secondMs,
      // No Retry-After on a secondary limit: do not sleep GitHub's suggested minute in-process
      // (0 makes onLimit refuse); the error carries 60 s for the activity's nextRetryDelay.
      fallbackSecondaryRateRetryAfter: 0,
      onRateLimit: onLimit,
      onSecondaryRateLimit: onLimit,
      ...groups,
    },
  });
}

/** What the failed call was about, for the error message. */
export interface GithubErrorContext {
  baseUrl: string;
  repo?: string;
  what: string;
  /** A write to a repository that was readable: a 404 means "not permitted", not "not found". */
  write?: boolean;
}

interface RequestErrorLike {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | undefined>; data?: unknown };
}

function isRequestError(err: unknown): err is RequestErrorLike {
  return err instanceof Error && typeof (err as { status?: unknown }).status === 'number';
}

/** Maps an Octokit RequestError to a typed error; anything else is returned unchanged. */
export function translateGithubError(err: unknown, ctx: GithubErrorContext): unknown {
  if (!isRequestError(err)) return err;
  const headers = err.response?.headers ?? {};
  const data = err.response?.data as { message?: string; errors?: unknown } | undefined;
  const message = typeof data?.message === 'string' ? data.message : err.message.split(' - ')[0];
  const detail = `${message}${validationDetails(data?.errors)}`;
  const status = err.status;
  if (status === 401) return new AuthError('GitHub', ctx.baseUrl, detail);
  const limited = status === 429 || (status === 403 && (headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(detail)));
  if (limited) return new RateLimitedError('GitHub', retryAfterSeconds(headers));
  const scopes = scopeHint(headers);
  if (status === 403) return new ForbiddenError(ctx.repo ?? ctx.what, `${detail}${scopes}`);
  if (status === 404 && ctx.repo && ctx.write) return new NotPermittedError(ctx.repo, ctx.what, scopes);
  if (status === 404 && ctx.repo) return new RepoNotFoundError(ctx.repo);
  if (status >= 400 && status < 500) return new RequestRejectedError('GitHub', status, ctx.what, detail);
  return new ServiceUnavailableError('GitHub', status, `${ctx.what}: ${detail}`);
}

/** GitHub's 422 `errors[]`: "; Release.tag_name already_exists (message)". */
function validationDetails(errors: unknown): string {
  if (!Array.isArray(errors) || errors.length === 0) return '';
  const parts = errors.map((e: unknown) => {
    if (typeof e === 'string') return e;
    const { resource, field, code, message } = (e ?? {}) as Record<string, unknown>;
    const where = [resource, field].filter((x) => typeof x === 'string').join('.');
    return [where, typeof code === 'string' && code !== 'custom' ? code : '', typeof message === 'string' ? message : ''].filter(Boolean).join(' ');
  });
  return `: ${parts.join('; ')}`;
}

/** Names the scopes a classic token has and the ones the endpoint accepts, when GitHub says. */
function scopeHint(headers: Record<string, string | undefined>): string {
  const has = headers['x-oauth-scopes'];
  const accepted = headers['x-accepted-oauth-scopes'];
  if (has === undefined || !accepted) return '';
  const mine = has.split(',').map((s) => s.trim()).filter(Boolean);
  const needed = accepted.split(',').map((s) => s.trim()).filter(Boolean);
  if (needed.some((s) => mine.includes(s))) return '';
  return ` (the token's scopes: ${mine.join(', ') || 'none'}; this needs one of: ${needed.join(', ')})`;
}

function retryAfterSeconds(headers: Record<string, string | undefined>): number {
  const after = Number(headers['retry-after']);
  if (Number.isFinite(after) && after > 0) return Math.ceil(after);
  const reset = Number(headers['x-ratelimit-reset']);
  if (Number.isFinite(reset) && reset > 0) return Math.max(1, Math.ceil(reset - Date.now() / 1000));
  return 60;
}

/** The Octokit client with the error translation the adapter modules share. */
export interface GithubApi {
  octokit: RestClient;
  baseUrl: string;
  /** Runs `fn`, translating an Octokit error into a typed one about `what` (in `repo`). */
  call<T>(what: string, repo: string | undefined, fn: () => Promise<T>): Promise<T>;
}

export function githubApi(octokit: RestClient, baseUrl: string): GithubApi {
  return {
    octokit,
    baseUrl,
    async call<T>(what: string, repo: string | undefined, fn: () => Promise<T>): Promise<T> {
      try {
        return await fn();
      } catch (err) {
        throw translateGithubError(err, { baseUrl, repo, what });
      }
    },
  };
}

/** Whether `err` is an Octokit RequestError with this HTTP status. */
export function isStatus(err: unknown, status: number): boolean {
  return (err as { status?: unknown } | null)?.status === status;
}
