// A stateful fake of the GitHub REST API on 127.0.0.1, speaking the paths and shapes
// @octokit/rest sends: repos and permissions, releases, pull requests, issues and comments.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { createFaultInjector, type FaultInjector, type FaultSpec } from './http-faults.js';

/** A repository the fake serves; users not listed have no access beyond reading. */
export interface FakeRepoSpec {
  admins?: string[];
  writers?: string[];
  /** Leave `permissions` out of `GET /repos/{o}/{r}` (as for GitHub App tokens). */
  omitPermissions?: boolean;
}

export interface FakeGithubOptions {
  /** token → login */
  tokens: Record<string, string>;
  /** "owner/name" → access */
  repos: Record<string, FakeRepoSpec>;
}

export interface FakeRelease { id: number; tag_name: string; name: string | null; body: string | null; draft: boolean; prerelease: boolean; target_commitish: string; html_url: string; created_at: string }
export interface FakePull { number: number; title: string; body: string | null; head: string; base: string; state: 'open' | 'closed'; merged: boolean; merge_commit_sha: string | null; html_url: string }
export interface FakeIssue { number: number; title: string; body: string | null; labels: string[]; state: 'open' | 'closed'; state_reason: string | null; html_url: string }
export interface FakeComment { id: number; body: string; user: string; html_url: string }

export interface SeenRequest { method: string; path: string; query: Record<string, string>; user?: string; body?: unknown }

interface RepoState {
  spec: FakeRepoSpec;
  releases: FakeRelease[];
  pulls: FakePull[];
  issues: FakeIssue[];
  comments: Map<number, FakeComment[]>;
  nextNumber: number;
}

export interface FakeGithub {
  /** Base URL to hand to Octokit (`baseUrl`). */
  url: string;
  faults: FaultInjector;
  /** Every request the fake saw (including faulted ones), for assertions about state, not order. */
  requests: SeenRequest[];
  releases(repo: string): FakeRelease[];
  pulls(repo: string): FakePull[];
  issues(repo: string): FakeIssue[];
  comments(repo: string, issue: number): FakeComment[];
  /** Simulate a person merging (or closing) a pull request on GitHub. */
  mergePullRequest(repo: string, number: number): void;
  /** Same as mergePullRequest (older name). */
  mergePull(repo: string, number: number): void;
  closePull(repo: string, number: number): void;
  /** Next N requests get a secondary rate limit answer (`status` 429 or 403) with Retry-After. */
  secondaryRateLimitNext(spec: { count?: number; status?: 403 | 429; retryAfter: number; path?: RegExp }): void;
  close(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest';
let ids = 1000;

export async function startFakeGithub(options: FakeGithubOptions): Promise<FakeGithub> {
  const repos = new Map<string, RepoState>();
  for (const [name, spec] of Object.entries(options.repos)) {
    repos.set(name.toLowerCase(), { spec, releases: [], pulls: [], issues: [], comments: new Map(), nextNumber: 1 });
  }
  const faults = createFaultInjector({
    body: (status) => ({ message: status >= 500 ? 'Server Error' : `HTTP ${status}`, documentation_url: DOCS }),
  });
  const requests: SeenRequest[] = [];
  let base = '';

  const server = createServer((req, res) => {
    void serve(req, res).catch((err: unknown) => send(res, 500, { message: String(err) }));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const seen: SeenRequest = { method: req.method ?? 'GET', path: url.pathname, query };
    requests.push(seen);
    if (faults.handle(req, res)) return;
    const body = await readJson(req);
    seen.body = body;
    const auth = req.headers.authorization;
    if (!auth) return send(res, 401, { message: 'Requires authentication', documentation_url: DOCS });
    const token = /^(?:token|bearer)\s+(.+)$/i.exec(auth)?.[1];
    const user = token !== undefined ? options.tokens[token] : undefined;
    if (!user) return send(res, 401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
    seen.user = user;
    const method = req.method ?? 'GET';
    const path = url.pathname;

    if (method === 'GET' && path === '/user') return send(res, 200, { login: user, id: 1, type: 'User' });
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
    if (!m) return notFound(res);
    const full = `${m[1]}/${m[2]}`;
    const repo = repos.get(full.toLowerCase());
    if (!repo) return notFound(res);
    const rest = m[3] ?? '';
    const role = roleOf(repo.spec, user);
    const canWrite = role === 'admin' || role === 'write';
    const needWrite = (): boolean => {
      if (canWrite) return false;
      send(res, 403, { message: 'Resource not accessible by personal access token', documentation_url: DOCS });
      return true;
    };

    if (method === 'GET' && rest === '') {
      const permissions = { admin: role === 'admin', maintain: role === 'admin', push: canWrite, triage: canWrite, pull: true };
      return send(res, 200, {
        id: 1, name: m[2], full_name: full, owner: { login: m[1] }, private: false, default_branch: 'master',
        html_url: `https://github.example/${full}`, ...(repo.spec.omitPermissions ? {} : { permissions }),
      });
    }
    const perm = /^\/collaborators\/([^/]+)\/permission$/.exec(rest);
    if (method === 'GET' && perm) {
      const login = decodeURIComponent(perm[1]);
      if (![...Object.values(options.tokens), ...knownUsers(repo.spec)].includes(login)) return notFound(res);
      const r = roleOf(repo.spec, login);
      return send(res, 200, { permission: r, role_name: r, user: { login } });
    }

    // Releases
    const byTag = /^\/releases\/tags\/(.+)$/.exec(rest);
    if (method === 'GET' && byTag) {
      const tag = decodeURIComponent(byTag[1]);
      const rel = repo.releases.find((r) => r.tag_name === tag && !r.draft);
      return rel ? send(res, 200, rel) : notFound(res);
    }
    if (method === 'GET' && rest === '/releases') return send(res, 200, page(repo.releases, query, res));
    if (method === 'POST' && rest === '/releases') {
      if (needWrite()) return;
      const b = body as Partial<FakeRelease>;
      if (!b.tag_name) return invalid(res, { resource: 'Release', code: 'missing_field', field: 'tag_name' });
      if (repo.releases.some((r) => r.tag_name === b.tag_name)) {
        return invalid(res, { resource: 'Release', code: 'already_exists', field: 'tag_name' });
      }
      const rel: FakeRelease = {
        id: ids++, tag_name: b.tag_name, name: b.name ?? null, body: b.body ?? null, draft: b.draft ?? false,
        prerelease: b.prerelease ?? false, target_commitish: b.target_commitish ?? 'master',
        html_url: `https://github.example/${full}/releases/tag/${b.tag_name}`, created_at: new Date().toISOString(),
      };
      repo.releases.push(rel);
      return send(res, 201, rel);
    }

    // Pull requests (they share the issue number sequence, as on GitHub)
    if (method === 'GET' && rest === '/pulls') {
      const state = query.state ?? 'open';
      const list = repo.pulls.filter((p) =>
        (state === 'all' || p.state === state) &&
        (!query.base || p.base === query.base) &&
        (!query.head || `${m[1]}:${p.head}`.toLowerCase() === query.head.toLowerCase()));
      return send(res, 200, page(list, query, res).map((p) => pullJson(full, p)));
    }
    if (method === 'POST' && rest === '/pulls') {
      if (needWrite()) return;
      const b = body as { title?: string; head?: string; base?: string; body?: string };
      if (!b.title || !b.head || !b.base) return invalid(res, { resource: 'PullRequest', code: 'missing_field', field: b.title ? 'head' : 'title' });
      const head = b.head.includes(':') ? b.head.split(':')[1] : b.head;
      if (repo.pulls.some((p) => p.state === 'open' && p.head === head && p.base === b.base)) {
        return invalid(res, { resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${m[1]}:${head}.` });
      }
      const number = repo.nextNumber++;
      const pull: FakePull = { number, title: b.title, body: b.body ?? null, head, base: b.base, state: 'open', merged: false, merge_commit_sha: null, html_url: `https://github.example/${full}/pull/${number}` };
      repo.pulls.push(pull);
      return send(res, 201, pullJson(full, pull));
    }
    const pullN = /^\/pulls\/(\d+)(\/merge)?$/.exec(rest);
    if (method === 'GET' && pullN && !pullN[2]) {
      const pull = repo.pulls.find((p) => p.number === Number(pullN[1]));
      return pull ? send(res, 200, pullJson(full, pull)) : notFound(res);
    }
    if (method === 'PUT' && pullN?.[2]) {
      const pull = repo.pulls.find((p) => p.number === Number(pullN[1]));
      if (!pull) return notFound(res);
      if (needWrite()) return;
      if (pull.state !== 'open') return send(res, 405, { message: 'Pull Request is not mergeable', documentation_url: DOCS, status: '405' });
      merge(pull);
      return send(res, 200, { sha: pull.merge_commit_sha, merged: true, message: 'Pull Request successfully merged' });
    }

    // Issues (the list includes pull requests, marked with `pull_request`, as GitHub does)
    if (method === 'GET' && rest === '/issues') {
      const state = query.state ?? 'open';
      const labels = query.labels ? query.labels.split(',').map((l) => l.trim()) : [];
      const all: Array<Record<string, unknown>> = [
        ...repo.issues.filter((i) => labels.every((l) => i.labels.includes(l))).map((i) => ({ ...issueJson(i), _s: i.state })),
        ...(labels.length ? [] : repo.pulls.map((p) => ({ ...pullJson(full, p), pull_request: { url: p.html_url }, _s: p.state }))),
      ];
      const list = all.filter((i) => state === 'all' || i._s === state).sort((a, b) => Number(b.number) - Number(a.number));
      return send(res, 200, page(list, query, res).map(({ _s, ...i }) => i));
    }
    if (method === 'POST' && rest === '/issues') {
      if (needWrite()) return;
      const b = body as { title?: string; body?: string; labels?: Array<string | { name: string }> };
      if (!b.title) return invalid(res, { resource: 'Issue', code: 'missing_field', field: 'title' });
      const number = repo.nextNumber++;
      const issue: FakeIssue = {
        number, title: b.title, body: b.body ?? null, state: 'open', state_reason: null,
        labels: (b.labels ?? []).map((l) => (typeof l === 'string' ? l : l.name)), html_url: `https://github.example/${full}/issues/${number}`,
      };
      repo.issues.push(issue);
      return send(res, 201, issueJson(issue));
    }
    const issueN = /^\/issues\/(\d+)(\/comments)?$/.exec(rest);
    if (issueN) {
      const issue = repo.issues.find((i) => i.number === Number(issueN[1]));
      if (!issue) return notFound(res);
      if (!issueN[2] && method === 'GET') return send(res, 200, issueJson(issue));
      if (!issueN[2] && method === 'PATCH') {
        if (needWrite()) return;
        const b = body as { state?: 'open' | 'closed'; state_reason?: string; title?: string; body?: string };
        if (b.state) issue.state = b.state;
        if (b.state_reason !== undefined) issue.state_reason = b.state_reason;
        if (b.title) issue.title = b.title;
        if (b.body !== undefined) issue.body = b.body;
        return send(res, 200, issueJson(issue));
      }
      const comments = repo.comments.get(issue.number) ?? [];
      if (issueN[2] && method === 'GET') return send(res, 200, page(comments, query, res));
      if (issueN[2] && method === 'POST') {
        if (needWrite()) return;
        const text = (body as { body?: string }).body;
        if (!text) return invalid(res, { resource: 'IssueComment', code: 'missing_field', field: 'body' });
        const id = ids++;
        const comment: FakeComment = { id, body: text, user, html_url: `${issue.html_url}#issuecomment-${id}` };
        repo.comments.set(issue.number, [...comments, comment]);
        return send(res, 201, { ...comment, user: { login: user } });
      }
    }
    return notFound(res);
  }

  function page<T>(list: T[], query: Record<string, string>, res: ServerResponse): T[] {
    const perPage = Math.min(Number(query.per_page ?? 30), 100);
    const pageNo = Number(query.page ?? 1);
    if (list.length > pageNo * perPage) {
      const next = new URLSearchParams({ ...query, page: String(pageNo + 1) });
      res.setHeader('link', `<${base}${res.req.url?.split('?')[0]}?${next.toString()}>; rel="next"`);
    }
    return list.slice((pageNo - 1) * perPage, pageNo * perPage);
  }

  function mergeByNumber(repo: string, number: number): void {
    const pull = state(repo).pulls.find((p) => p.number === number);
    if (!pull) throw new Error(`no pull request #${number}`);
    merge(pull);
  }

  function merge(pull: FakePull): void {
    Object.assign(pull, { state: 'closed', merged: true, merge_commit_sha: fakeSha(`merge-${pull.number}-${pull.head}`) });
  }

  function state(repo: string): RepoState {
    const r = repos.get(repo.toLowerCase());
    if (!r) throw new Error(`fake GitHub has no repo ${repo}`);
    return r;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    faults,
    requests,
    releases: (repo) => state(repo).releases,
    pulls: (repo) => state(repo).pulls,
    issues: (repo) => state(repo).issues,
    comments: (repo, issue) => state(repo).comments.get(issue) ?? [],
    mergePullRequest: mergeByNumber,
    mergePull: mergeByNumber,
    closePull(repo, number) {
      const pull = state(repo).pulls.find((p) => p.number === number);
      if (!pull) throw new Error(`no pull request #${number}`);
      pull.state = 'closed';
    },
    secondaryRateLimitNext({ count, status = 429, retryAfter, path }) {
      const spec: FaultSpec = {
        count, status, path, retryAfter,
        body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api` },
      };
      faults.failNext(spec);
    },
    async close() {
      faults.reset();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function fakeSha(seed: string): string {
  let h = 0x811c9dc5;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h.toString(16).padStart(8, '0').repeat(5);
}

function knownUsers(spec: FakeRepoSpec): string[] {
  return [...(spec.admins ?? []), ...(spec.writers ?? [])];
}

function roleOf(spec: FakeRepoSpec, user: string): 'admin' | 'write' | 'none' {
  if (spec.admins?.includes(user)) return 'admin';
  if (spec.writers?.includes(user)) return 'write';
  return 'none';
}

function pullJson(full: string, p: FakePull): Record<string, unknown> {
  const [owner] = full.split('/');
  return {
    number: p.number, title: p.title, body: p.body, state: p.state, merged: p.merged, html_url: p.html_url, merge_commit_sha: p.merge_commit_sha,
    merged_at: p.merged ? new Date().toISOString() : null,
    head: { ref: p.head, label: `${owner}:${p.head}` }, base: { ref: p.base, label: `${owner}:${p.base}` },
  };
}

function issueJson(i: FakeIssue): Record<string, unknown> {
  return { number: i.number, title: i.title, body: i.body, state: i.state, state_reason: i.state_reason, html_url: i.html_url, labels: i.labels.map((name) => ({ name })) };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse): void {
  send(res, 404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
}

function invalid(res: ServerResponse, error: Record<string, string>): void {
  send(res, 422, { message: 'Validation Failed', errors: [error], documentation_url: DOCS, status: '422' });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}
