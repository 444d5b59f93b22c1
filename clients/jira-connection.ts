// One JIRA connection for both deployments. It finds out whether it talks to Jira Cloud or to
// Data Center/Server (`jira.deployment`, or `deploymentType` of the anonymous
// `GET /rest/api/2/serverInfo`), picks that deployment's authentication (Cloud: Basic
// `email:apiToken`; Data Center: Bearer personal access token), and then builds the jira-client
// instance and a small `rest()` for the calls jira-client cannot make (Cloud's search/jql).
// Both go through one fetch transport with a timeout and retries; jira-client itself throws
// `new Error(JSON.stringify(rejection))`, so the transport rejects with a plain JSON object that
// `parseJiraFailure` reads back: that is how the HTTP status survives the library.
import JiraApi from 'jira-client';
import { type HttpRetryOptions } from './http-retry.js';
import { JiraConfigError } from './jira-errors.js';

/** Which JIRA: `auto` asks the server (`serverInfo.deploymentType`). */
export type JiraDeployment = 'cloud' | 'datacenter';

/** How to reach JIRA (Cloud, Data Center/Server or the test fake) and how patiently. */
export interface JiraConnectionOptions extends HttpRetryOptions {
  /** e.g. `https://example.atlassian.net` or `https://example.org/jira` (context path kept). */
  baseUrl: string;
  /** `cloud`, `datacenter`, or `auto` (default): detected from `/rest/api/2/serverInfo`. */
  deployment?: JiraDeployment | 'auto';
  /** Cloud: the Atlassian account e-mail; Basic `email:token`. Ignored on Data Center. */
  email?: string;
  /** Cloud API token (with `email`) or Data Center personal access token (Bearer). */
  token?: string;
  /** Where `email` comes from, for the error when Cloud needs it (e.g. `JIRA_USER (release.jira.userEnv)`). */
  emailSource?: string;
  /** Basic username + password instead (Data Center with password login; tests). */
  username?: string;
  password?: string;
  /** Searches repeated while a just-created issue may still be missing from Cloud's index (default 4). */
  consistencyRetries?: number;
  /** Backoff base between those searches in ms (default 500). */
  consistencyDelayMs?: number;
}

/** The failure the transport hands to jira-client (and gets back inside its Error message). */
export interface JiraHttpFailure {
  stratusJiraFailure: true;
  status: number;
  retryAfterSeconds?: number;
  messages: string[];
  /** Field errors (`errors{field: msg}`), by field. */
  fields?: Record<string, string>;
  /** A write that may have been carried out although no success came back (5xx or no answer). */
  uncertain?: boolean;
}

interface TransportOptions {
  uri: string;
  method?: string;
  body?: unknown;
  qs?: Record<string, string | number | boolean | undefined>;
  auth?: { user?: string; pass?: string; bearer?: string };
}

/** The parts of jira-client that are not in its public typings but that it uses itself. */
export interface JiraInternals {
  doRequest(options: object): Promise<unknown>;
  makeAgileUri(options: { pathname: string; query?: Record<string, unknown> }): string;
  makeRequestHeader(uri: string, options?: object): object;
}

/** A connected session: the deployment is known and the credentials fit it. */
export interface JiraSession {
  deployment: JiraDeployment;
  api: JiraApi;
  /** A request beside jira-client, same transport and credentials; `path` starts at `/rest/`. */
  rest<T>(method: string, path: string, options?: { body?: unknown; qs?: TransportOptions['qs'] }): Promise<T>;
}

/** Lazily connects once (detection is retried after a failure, never cached as failed). */
export interface JiraConnection {
  readonly baseUrl: string;
  readonly consistencyRetries: number;
  readonly consistencyDelayMs: number;
  session(): Promise<JiraSession>;
}

export function createJiraConnection(options: JiraConnectionOptions): JiraConnection {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const transport = createTransport(options);
  let pending: Promise<JiraSession> | undefined;
  const connect = async (): Promise<JiraSession> => {
    const deployment = await resolveDeployment(options, baseUrl, transport);
    const auth = authFor(deployment, options);
    const url = new URL(baseUrl);
    const api = new JiraApi({
      protocol: url.protocol.replace(':', ''),
      host: url.hostname,
      ...(url.port ? { port: url.port } : {}),
      base: url.pathname.replace(/\/+$/, ''),
      apiVersion: '2',
      ...(auth.bearer ? { bearer: auth.bearer } : { username: auth.user, password: auth.pass }),
      request: transport,
    });
    return {
      deployment, api,
      rest: async <T>(method: string, path: string, o: { body?: unknown; qs?: TransportOptions['qs'] } = {}) =>
        (await transport({ uri: `${baseUrl}${path}`, method, body: o.body, qs: o.qs, auth })) as T,
    };
  };
  return {
    baseUrl,
    consistencyRetries: options.consistencyRetries ?? 4,
    consistencyDelayMs: options.consistencyDelayMs ?? 500,
    session() {
      pending ??= connect().catch((err: unknown) => {
        pending = undefined;
        throw err;
      });
      return pending;
    },
  };
}

async function resolveDeployment(options: JiraConnectionOptions, baseUrl: string, transport: Transport): Promise<JiraDeployment> {
  if (options.deployment === 'cloud' || options.deployment === 'datacenter') return options.deployment;
  // serverInfo answers anonymously on both deployments: no credentials are sent to find out which.
  const info = (await transport({ uri: `${baseUrl}/rest/api/2/serverInfo`, method: 'GET' })) as { deploymentType?: string } | undefined;
  return info?.deploymentType?.toLowerCase() === 'cloud' ? 'cloud' : 'datacenter';
}

function authFor(deployment: JiraDeployment, o: JiraConnectionOptions): NonNullable<TransportOptions['auth']> {
  if (o.username) return { user: o.username, pass: o.password ?? '' };
  if (deployment === 'cloud') {
    // Cloud authenticates API tokens only as Basic email:token; a Bearer API token gets 401.
    if (!o.email) {
      throw new JiraConfigError(`Jira Cloud (${o.baseUrl}) takes the API token only with the account e-mail (Basic auth): set ${o.emailSource ?? 'the e-mail'} for the worker`);
    }
    if (!o.token) throw new JiraConfigError(`Jira Cloud (${o.baseUrl}) needs an API token for ${o.email}`);
    return { user: o.email, pass: o.token };
  }
  if (!o.token) throw new JiraConfigError(`Jira Data Center (${o.baseUrl}) needs a personal access token`);
  return { bearer: o.token };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
type Transport = (o: TransportOptions) => Promise<unknown>;

/** Reads are retried; a POST that writes is not: it may have been done (the adapter looks first). */
const isReadOnly = (method: string, uri: URL): boolean => method === 'GET' || method === 'PUT' || (method === 'POST' && /\/search(\/jql)?$/.test(uri.pathname));

function createTransport(options: JiraConnectionOptions): Transport {
  const retries = options.retries ?? 3;
  const base = options.retryBaseDelayMs ?? 1000;
  const secondMs = options.rateLimitSecondMs ?? 1000;
  const maxWait = options.maxRateLimitWaitSeconds ?? 60;
  // By default a rate limit is handed to Temporal (nextRetryDelay), not slept out in the activity.
  const rateLimitRetries = options.rateLimitRetries ?? 0;
  const timeoutMs = options.timeoutMs ?? 30_000;

  return async function request(o: TransportOptions): Promise<unknown> {
    const target = new URL(o.uri);
    for (const [k, v] of Object.entries(o.qs ?? {})) if (v !== undefined) target.searchParams.set(k, String(v));
    const method = (o.method ?? 'GET').toUpperCase();
    const retryable = isReadOnly(method, target);
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
          method, headers, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs),
          ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
        });
      } catch (err) {
        if (retryable && failures++ < retries) { await sleep((failures ** 2) * base); continue; }
        const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err as Error).message;
        throw failure(0, { messages: [reason] }, !retryable);
      }
      const body = await readBody(res);
      if (res.ok) return body;
      const retryAfter = Number(res.headers.get('retry-after'));
      if (res.status === 429 || (res.status === 503 && retryAfter > 0)) {
        const seconds = retryAfter > 0 ? Math.ceil(retryAfter) : 60;
        if (seconds <= maxWait && limited++ < rateLimitRetries) { await sleep(seconds * secondMs); continue; }
        throw { ...failure(429, detailsOf(body), false), retryAfterSeconds: seconds };
      }
      if (res.status >= 500 && retryable && failures++ < retries) { await sleep((failures ** 2) * base); continue; }
      throw failure(res.status, detailsOf(body), res.status >= 500 && !retryable);
    }
  };
}

function failure(status: number, d: { messages: string[]; fields?: Record<string, string> }, uncertain: boolean): JiraHttpFailure {
  return { stratusJiraFailure: true, status, messages: d.messages, ...(d.fields ? { fields: d.fields } : {}), ...(uncertain ? { uncertain } : {}) };
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

/** Jira's `errorMessages` and `errors{field: msg}` (and Cloud gateway `message`), or an HTML excerpt. */
function detailsOf(body: unknown): { messages: string[]; fields?: Record<string, string> } {
  if (body && typeof body === 'object') {
    const b = body as { errorMessages?: unknown; errors?: Record<string, unknown>; message?: unknown };
    const fields = Object.fromEntries(Object.entries(b.errors ?? {}).map(([field, msg]) => [field, String(msg)]));
    const list = [
      ...(Array.isArray(b.errorMessages) ? b.errorMessages.map(String) : []),
      ...Object.entries(fields).map(([field, msg]) => `${field}: ${msg}`),
      ...(typeof b.message === 'string' ? [b.message] : []),
    ];
    if (list.length) return { messages: list, ...(Object.keys(fields).length ? { fields } : {}) };
  }
  const text = typeof body === 'string' ? body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200) : '';
  return { messages: text ? [text] : [] };
}

/** Reads the transport failure back out of the Error jira-client threw (or the failure itself). */
export function parseJiraFailure(err: unknown): JiraHttpFailure | undefined {
  if (err && typeof err === 'object' && (err as Partial<JiraHttpFailure>).stratusJiraFailure === true) return err as JiraHttpFailure;
  if (!(err instanceof Error)) return undefined;
  try {
    const parsed = JSON.parse(err.message) as Partial<JiraHttpFailure>;
    return parsed && parsed.stratusJiraFailure === true ? (parsed as JiraHttpFailure) : undefined;
  } catch {
    return undefined;
  }
}
