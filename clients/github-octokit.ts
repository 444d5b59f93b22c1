// Builds the Octokit client (retry + throttling plugins, per-request timeout) and translates its
// RequestErrors into our typed errors.
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import {
  AuthError, ForbiddenError, RateLimitedError, RepoNotFoundError, RequestRejectedError, ServiceUnavailableError,
} from './github-errors.js';
import { type HttpRetryOptions } from './http-retry.js';

/** How to reach GitHub (or GitHub Enterprise, or the test fake) and how patiently. */
export interface GithubConnectionOptions extends HttpRetryOptions {
  /** Personal access or app installation token. Never logged or put in an error. */
  token: string;
  /** API root, e.g. `https://api.github.com` (default) or `https://ghe.example.org/api/v3`. */
  baseUrl?: string;
  /** Minimum ms between writes; default: the throttling plugin's (1 s, 3 s for notifying writes). */
  writeSpacingMs?: number;
  /** Receives the plugins' warnings (default: none are printed). */
  log?: { warn(message: string): void };
}

export type RestClient = InstanceType<typeof Octokit>;

const GithubOctokit = Octokit.plugin(retry, throttling);

export function createOctokit(options: GithubConnectionOptions): RestClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxWait = options.maxRateLimitWaitSeconds ?? 60;
  const rateLimitRetries = options.rateLimitRetries ?? 2;
  const onLimit = (retryAfter: number, _opts: unknown, _octokit: unknown, retryCount: number): boolean =>
    retryCount < rateLimitRetries && retryAfter <= maxWait;
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
  return new GithubOctokit({
    auth: options.token,
    baseUrl: (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
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
      retryAfterBaseValue: options.rateLimitSecondMs ?? 1000,
      fallbackSecondaryRateRetryAfter: 60,
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
  const data = err.response?.data as { message?: string } | undefined;
  const detail = typeof data?.message === 'string' ? data.message : err.message.split(' - ')[0];
  const status = err.status;
  if (status === 401) return new AuthError('GitHub', ctx.baseUrl, detail);
  const limited = status === 429 || (status === 403 && (headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(detail)));
  if (limited) return new RateLimitedError('GitHub', retryAfterSeconds(headers));
  if (status === 403) return new ForbiddenError(ctx.repo ?? ctx.what, detail);
  if (status === 404 && ctx.repo) return new RepoNotFoundError(ctx.repo);
  if (status >= 400 && status < 500) return new RequestRejectedError('GitHub', status, ctx.what, detail);
  return new ServiceUnavailableError('GitHub', status, `${ctx.what}: ${detail}`);
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
