// HTTP plumbing shared by every OpenStack service: timeouts, retries with backoff on 5xx/429
// (honouring Retry-After), error-body parsing, and path-segment validation.
import { OpenStackInputError, OpenStackRateLimitError, OpenStackUnavailableError } from './errors.js';

/** How hard to retry a request before giving up. */
export interface RetryPolicy {
  /** Total tries per request, including the first (default 5). */
  attempts: number;
  /** First backoff delay; doubles each retry, with jitter (default 500 ms). */
  baseDelayMs: number;
  /** Ceiling for one backoff delay (default 10 s). */
  maxDelayMs: number;
  /** A 429 asking for a longer wait than this is thrown as OpenStackRateLimitError (default 60 s). */
  maxRetryAfterMs: number;
  /** Per-request timeout (default 30 s). */
  timeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
  timeoutMs: 30_000,
};

/** One HTTP exchange as the retry loop sees it. */
export interface RawRequest {
  service: string;
  method: string;
  url: string;
  /** Path for messages (no host, no query). */
  path: string;
  headers: Record<string, string>;
  /** A factory, so a retry can re-open a stream. */
  body?: () => NonNullable<RequestInit['body']>;
  /** Safe to repeat after a timeout or dropped connection (default: every method but POST). */
  idempotent?: boolean;
  signal?: AbortSignal;
  /** Per-request override of the policy timeout (uploads). */
  timeoutMs?: number;
}

export type FetchLike = typeof fetch;

/**
 * Sends a request, retrying 5xx, 429 and (for idempotent requests) timeouts and connection
 * errors. Returns the final response, which may still be an error status for the caller to map.
 */
export async function sendWithRetry(req: RawRequest, policy: RetryPolicy, fetchImpl: FetchLike): Promise<Response> {
  const idempotent = req.idempotent ?? req.method !== 'POST';
  for (let attempt = 1; ; attempt++) {
    req.signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(req.timeoutMs ?? policy.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const last = attempt >= policy.attempts;
    let res: Response;
    try {
      const body = req.body?.();
      const init: RequestInit & { duplex?: 'half' } = { method: req.method, headers: req.headers, body, signal };
      if (body && typeof body === 'object' && 'getReader' in body) init.duplex = 'half';
      res = await fetchImpl(req.url, init);
    } catch (err) {
      req.signal?.throwIfAborted();
      const cause = timeout.aborted ? `no answer within ${req.timeoutMs ?? policy.timeoutMs} ms` : describe(err);
      if (!idempotent || last) throw new OpenStackUnavailableError(req.service, req.method, req.path, cause);
      await sleep(backoff(policy, attempt), req.signal);
      continue;
    }
    if (res.status !== 429 && res.status < 500) return res;
    const retryAfter = res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers.get('retry-after')) : undefined;
    if (res.status === 429 && retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs) {
      await discard(res);
      throw new OpenStackRateLimitError(req.service, retryAfter);
    }
    // A 500 on a POST may have been applied; only 429/502/503/504 say it was not.
    const retryable = idempotent || res.status === 429 || res.status === 502 || res.status === 503 || res.status === 504;
    if (!retryable || last) {
      if (res.status === 429 && last) {
        await discard(res);
        throw new OpenStackRateLimitError(req.service, retryAfter ?? backoff(policy, attempt));
      }
      return res;
    }
    await discard(res);
    await sleep(Math.min(retryAfter ?? backoff(policy, attempt), policy.maxRetryAfterMs), req.signal);
  }
}

function backoff(policy: RetryPolicy, attempt: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

/** Retry-After as seconds or an HTTP date, in milliseconds. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // already consumed or closed
  }
}

/** Waits, but wakes up with the abort reason as soon as the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? err.message;
  }
  return String(err);
}

/**
 * Extracts the human explanation from an OpenStack error body: Nova's
 * `{"conflictingRequest":{"message":…}}`, Neutron's `{"NeutronError":{"message":…}}`, Glance's
 * plain text or HTML, Keystone's `{"error":{"message":…}}`. Truncated to 300 characters.
 */
export function errorDetail(text: string): string {
  let detail: string;
  try {
    const body = JSON.parse(text) as unknown;
    detail = findMessage(body) ?? text;
  } catch {
    detail = text;
  }
  // Glance (webob) puts HTML in its JSON messages too: `…request.<br /><br />\nImage …`.
  detail = stripHtml(detail).replace(/\s+/g, ' ').trim();
  return detail.length > 300 ? `${detail.slice(0, 297)}...` : detail;
}

function stripHtml(text: string): string {
  const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", nbsp: ' ' };
  return text
    .replace(/<(title|head)>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39|#x27|nbsp);/g, (_m, e: string) => entities[e] ?? ' ');
}

function findMessage(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  if (typeof record.message === 'string') return record.message;
  for (const value of Object.values(record)) {
    if (value && typeof value === 'object') {
      const inner = value as Record<string, unknown>;
      if (typeof inner.message === 'string') return inner.message;
    }
  }
  return undefined;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,254}$/;

/** Checks an id before it becomes a path segment (no slashes, dots-only or empty ids). */
export function idSegment(field: string, value: string): string {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw new OpenStackInputError(field, `"${String(value).slice(0, 80)}" is not a valid OpenStack id`);
  }
  return encodeURIComponent(value);
}

/** Appends query parameters, skipping undefined ones. */
export function withQuery(path: string, query: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
