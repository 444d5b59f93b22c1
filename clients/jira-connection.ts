// Builds a jira-client instance whose transport (the documented `request` option) is Node's fetch
// with a timeout, retries of 5xx/timeouts, and Retry-After handling. jira-client itself throws
// `new Error(JSON.stringify(rejection))`, so the transport rejects with a plain JSON object that
// `parseJiraFailure` reads back: that is how the HTTP status survives the library.
import JiraApi from 'jira-client';
import { type HttpRetryOptions } from './http-retry.js';

/** How to reach JIRA Server/Data Center (or the test fake) and how patiently. */
export interface JiraConnectionOptions extends HttpRetryOptions {
  /** e.g. `https://jira.example.org` or `https://example.org/jira` (context path kept). */
  baseUrl: string;
  /** Basic auth (username + password or API token). */
  username?: string;
  password?: string;
  /** Personal access token (Bearer), instead of username/password. */
  token?: string;
}

/** The failure the transport hands to jira-client (and gets back inside its Error message). */
export interface JiraHttpFailure {
  stratusJiraFailure: true;
  status: number;
  retryAfterSeconds?: number;
  messages: string[];
}

interface TransportOptions {
  uri: string;
  method?: string;
  body?: unknown;
  qs?: Record<string, string | undefined>;
  auth?: { user?: string; pass?: string; bearer?: string };
}

/** The parts of jira-client that are not in its public typings but that it uses itself. */
export interface JiraInternals {
  doRequest(options: object): Promise<unknown>;
  makeAgileUri(options: { pathname: string; query?: Record<string, unknown> }): string;
  makeRequestHeader(uri: string, options?: object): object;
}

export function createJiraApi(options: JiraConnectionOptions): JiraApi {
  const url = new URL(options.baseUrl);
  return new JiraApi({
    protocol: url.protocol.replace(':', ''),
    host: url.hostname,
    ...(url.port ? { port: url.port } : {}),
    base: url.pathname.replace(/\/+$/, ''),
    apiVersion: '2',
    ...(options.token ? { bearer: options.token } : { username: options.username, password: options.password }),
    request: createTransport(options),
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function createTransport(options: JiraConnectionOptions): (o: TransportOptions) => Promise<unknown> {
  const retries = options.retries ?? 3;
  const base = options.retryBaseDelayMs ?? 1000;
  const secondMs = options.rateLimitSecondMs ?? 1000;
  const maxWait = options.maxRateLimitWaitSeconds ?? 60;
  const rateLimitRetries = options.rateLimitRetries ?? 2;
  const timeoutMs = options.timeoutMs ?? 30_000;

  return async function request(o: TransportOptions): Promise<unknown> {
    const target = new URL(o.uri);
    for (const [k, v] of Object.entries(o.qs ?? {})) if (v !== undefined) target.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (o.auth?.bearer) headers.authorization = `Bearer ${o.auth.bearer}`;
    else if (o.auth?.user) headers.authorization = `Basic ${Buffer.from(`${o.auth.user}:${o.auth.pass ?? ''}`).toString('base64')}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    let failures = 0;
    let limited = 0;
    for (;;) {
      let res: Response;
      try {
        res = await fetch(target, {
          method: o.method ?? 'GET', headers, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs),
          ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
        });
      } catch (err) {
        if (failures++ < retries) { await sleep((failures ** 2) * base); continue; }
        const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err as Error).message;
        throw failure(0, [reason]);
      }
      const body = await readBody(res);
      if (res.ok) return body;
      const retryAfter = Number(res.headers.get('retry-after'));
      if (res.status === 429 || (res.status === 503 && retryAfter > 0)) {
        const seconds = retryAfter > 0 ? Math.ceil(retryAfter) : 60;
        if (seconds <= maxWait && limited++ < rateLimitRetries) { await sleep(seconds * secondMs); continue; }
        throw failure(429, messagesOf(body), seconds);
      }
      if (res.status >= 500 && failures++ < retries) { await sleep((failures ** 2) * base); continue; }
      throw failure(res.status, messagesOf(body));
    }
  };
}

function failure(status: number, messages: string[], retryAfterSeconds?: number): JiraHttpFailure {
  return { stratusJiraFailure: true, status, messages, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function messagesOf(body: unknown): string[] {
  if (body && typeof body === 'object') {
    const b = body as { errorMessages?: unknown; errors?: Record<string, unknown>; message?: unknown };
    const list = [
      ...(Array.isArray(b.errorMessages) ? b.errorMessages.map(String) : []),
      ...Object.entries(b.errors ?? {}).map(([field, msg]) => `${field}: ${String(msg)}`),
      ...(typeof b.message === 'string' ? [b.message] : []),
    ];
    if (list.length) return list;
  }
  // HTML error pages: keep a short, tag-free excerpt.
  const text = typeof body === 'string' ? body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200) : '';
  return text ? [text] : [];
}

/** Reads the transport failure back out of the Error jira-client threw. */
export function parseJiraFailure(err: unknown): JiraHttpFailure | undefined {
  if (!(err instanceof Error)) return undefined;
  try {
    const parsed = JSON.parse(err.message) as Partial<JiraHttpFailure>;
    return parsed && parsed.stratusJiraFailure === true ? (parsed as JiraHttpFailure) : undefined;
  } catch {
    return undefined;
  }
}
