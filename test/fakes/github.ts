// A stateful fake of the GitHub REST API on 127.0.0.1, speaking the paths and shapes @octokit/rest
// sends: repos and permissions, git refs, releases, pull requests (merged for real in a bare
// repository when one backs the repo), issues, comments, labels, and GitHub App installations.
// It behaves as GitHub does where that is unkind: labels of a user without push access are
// dropped silently, a release of a missing tag creates it at the default branch head, App tokens
// get 403 on GET /user and all-false permissions, a token lacking a scope gets 404 on writes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { mintInstallationToken, verifyAppJwt, type FakeAppSpec, type InstallationToken } from './github-app.js';
import { fakeSha, gitRefs, memoryRefs, type ProtectionKind, type RefStore } from './github-refs.js';
import {
  appShape, commentShape, installationShape, installationTokenShape, issueShape, labelShape, pullShape, refShape, releaseShape,
  repositoryShape, tagObjectShape, timestamp, userShape,
  type CommentState, type IssueState, type LabelState, type PullState, type ReleaseState, type ShapeContext,
} from './github-shapes.js';
import { createFaultInjector, type FaultInjector, type FaultSpec } from './http-faults.js';

export type { FakeAppSpec } from './github-app.js';
export type { ProtectionKind } from './github-refs.js';

/** A repository the fake serves; authenticated users not listed may read it, open issues and comment. */
export interface FakeRepoSpec {
  admins?: string[];
  writers?: string[];
  /** Leave `permissions` out of `GET /repos/{o}/{r}`. */
  omitPermissions?: boolean;
  /** Path of a bare git repository holding the refs (tags, branches); default: refs kept in memory. */
  git?: string;
}

/** A personal access token: the login, and for a classic token its OAuth scopes (sent back in X-OAuth-Scopes). */
export interface FakeToken { login: string; scopes?: string[] }

export interface FakeGithubOptions {
  /** token → login (or login and scopes) */
  tokens: Record<string, string | FakeToken>;
  /** "owner/name" → access */
  repos: Record<string, FakeRepoSpec>;
  /** GitHub Apps whose JWTs and installation tokens the fake accepts. */
  apps?: FakeAppSpec[];
}

export type FakeRelease = ReleaseState & { html_url: string };
export type FakePull = PullState & { html_url: string };
export type FakeIssue = IssueState & { html_url: string };
export interface FakeComment { id: number; body: string; user: string; html_url: string }

export interface SeenRequest { method: string; path: string; query: Record<string, string>; user?: string; body?: unknown }

interface RepoState {
  spec: FakeRepoSpec;
  full: string;
  refs: RefStore;
  releases: ReleaseState[];
  pulls: PullState[];
  issues: IssueState[];
  comments: CommentState[];
  labels: Map<string, LabelState>;
  nextNumber: number;
}

type Role = 'admin' | 'write' | 'read';
type Caller =
  | { kind: 'user'; login: string; scopes?: string[] }
  | { kind: 'installation'; login: string; token: InstallationToken }
  | { kind: 'app'; login: string; app: FakeAppSpec };

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
  /** Labels defined on the repository. */
  labels(repo: string): string[];
  /** What `refs/<ref>` (`tags/v1`, `heads/master`) points at on GitHub's side (peeled to the commit). */
  ref(repo: string, ref: string): Promise<string | undefined>;
  /** Points `refs/<ref>` at `sha` (an in-memory repository's tags and branches). */
  setRef(repo: string, ref: string, sha: string): Promise<void>;
  /** Simulate a person merging a pull request on GitHub (a real merge commit in a git-backed repo). */
  mergePullRequest(repo: string, number: number): Promise<void>;
  /** Same as mergePullRequest (older name). */
  mergePull(repo: string, number: number): Promise<void>;
  closePull(repo: string, number: number): void;
  /** Refuse pushes to `branch` of a git-backed repo as GitHub does (GH006 / GH013); `null` lifts it. */
  protectBranch(repo: string, branch: string, kind: ProtectionKind | null): Promise<void>;
  /** Next N requests get a secondary rate limit answer (`status` 429 or 403), with Retry-After unless `retryAfter` is left out. */
  secondaryRateLimitNext(spec: { count?: number; status?: 403 | 429; retryAfter?: number; path?: RegExp }): void;
  close(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest';
let ids = 1000;

export async function startFakeGithub(options: FakeGithubOptions): Promise<FakeGithub> {
  const repos = new Map<string, RepoState>();
  for (const [full, spec] of Object.entries(options.repos)) {
    repos.set(full.toLowerCase(), {
      spec, full, refs: spec.git ? gitRefs(spec.git) : memoryRefs(), releases: [], pulls: [], issues: [], comments: [], labels: new Map(), nextNumber: 1,
    });
  }
  const apps = options.apps ?? [];
  const installationTokens = new Map<string, InstallationToken>();
  const faults = createFaultInjector({
    body: (status) => ({ message: status >= 500 ? 'Server Error' : `HTTP ${status}`, documentation_url: DOCS }),
  });
  const requests: SeenRequest[] = [];
  let base = '';

  const server = createServer((req, res) => {
    void serve(req, res).catch((err: unknown) => send(res, 500, { message: String(err), documentation_url: DOCS }));
  });

  function caller(auth: string | undefined): Caller | string {
    const m = /^(token|bearer)\s+(.+)$/i.exec(auth ?? '');
    if (!m) return 'Requires authentication';
    const secret = m[2];
    const pat = Object.hasOwn(options.tokens, secret) ? options.tokens[secret] : undefined;
    if (pat) return typeof pat === 'string' ? { kind: 'user', login: pat } : { kind: 'user', login: pat.login, scopes: pat.scopes };
    const inst = installationTokens.get(secret);
    if (inst) return inst.expiresAt > Date.now() ? { kind: 'installation', login: `${inst.app.slug}[bot]`, token: inst } : 'Bad credentials';
    if (secret.split('.').length === 3) {
      const app = verifyAppJwt(apps, secret);
      return typeof app === 'string' ? app : { kind: 'app', login: app.slug, app };
    }
    return 'Bad credentials';
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const seen: SeenRequest = { method, path, query };
    requests.push(seen);
    if (faults.handle(req, res)) return;
    const body = (await readJson(req)) as Record<string, unknown> | undefined;
    seen.body = body;
    const who = caller(req.headers.authorization);
    if (typeof who === 'string') return send(res, 401, { message: who, documentation_url: DOCS, status: '401' });
    seen.user = who.login;
    if (who.kind === 'user' && who.scopes) {
      res.setHeader('x-oauth-scopes', who.scopes.join(', '));
      res.setHeader('x-accepted-oauth-scopes', /^\/repos\//.test(path) ? 'repo' : '');
    }

    // The App itself (JWT): its identity, installations and installation tokens.
    if (who.kind === 'app') {
      if (method === 'GET' && path === '/app') return send(res, 200, appShape(who.app));
      const tokenReq = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
      if (method === 'POST' && tokenReq) {
        const id = Number(tokenReq[1]);
        if (!who.app.installations[id]) return notFound(res);
        const minted = mintInstallationToken(who.app, id);
        installationTokens.set(minted.token, minted);
        return send(res, 201, installationTokenShape(minted.token, new Date(minted.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z')));
      }
      const inst = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(path);
      if (method === 'GET' && inst) {
        const full = `${inst[1]}/${inst[2]}`.toLowerCase();
        const found = Object.entries(who.app.installations).find(([, i]) => i.repos.some((r) => r.toLowerCase() === full));
        if (!found) return notFound(res);
        return send(res, 200, installationShape(base, who.app, { id: Number(found[0]), account: found[1].account }));
      }
      return send(res, 401, { message: 'A JSON web token cannot be used to authenticate this request', documentation_url: DOCS, status: '401' });
    }

    if (method === 'GET' && path === '/user') {
      if (who.kind === 'installation') return send(res, 403, { message: 'Resource not accessible by integration', documentation_url: `${DOCS}/users/users#get-the-authenticated-user`, status: '403' });
      return send(res, 200, { ...userShape(who.login), name: who.login, email: null });
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
    if (!m) return notFound(res);
    const repo = repos.get(`${m[1]}/${m[2]}`.toLowerCase());
    if (!repo) return notFound(res);
    if (who.kind === 'installation' && !who.token.app.installations[who.token.installationId]?.repos.some((r) => r.toLowerCase() === repo.full.toLowerCase())) return notFound(res);
    const c: ShapeContext = { api: base, full: repo.full };
    const rest = m[3] ?? '';
    const role: Role = who.kind === 'installation' ? 'write' : roleOf(repo.spec, who.login);
    const pusher = role !== 'read';
    // A classic token without the repo scope may read a public repo; GitHub answers its writes with 404.
    const scoped = who.kind !== 'user' || !who.scopes || who.scopes.includes('repo') || who.scopes.includes('public_repo');
    const refuse = (needPush: boolean): boolean => {
      if (!scoped) return notFound(res), true;
      if (needPush && !pusher) {
        send(res, 403, { message: who.kind === 'installation' ? 'Resource not accessible by integration' : 'Resource not accessible by personal access token', documentation_url: DOCS, status: '403' });
        return true;
      }
      return false;
    };

    if (method === 'GET' && rest === '') {
      const permissions = who.kind === 'installation'
        ? { admin: false, maintain: false, push: false, triage: false, pull: false }
        : { admin: role === 'admin', maintain: role === 'admin', push: pusher, triage: pusher, pull: true };
      return send(res, 200, repositoryShape(c, 1, repo.spec.omitPermissions ? undefined : permissions));
    }
    const perm = /^\/collaborators\/([^/]+)\/permission$/.exec(rest);
    if (method === 'GET' && perm) {
      const login = decodeURIComponent(perm[1]);
      const known = [...Object.values(options.tokens).map((t) => (typeof t === 'string' ? t : t.login)), ...(repo.spec.admins ?? []), ...(repo.spec.writers ?? [])];
      if (!known.includes(login)) return notFound(res);
      const r = roleOf(repo.spec, login);
      return send(res, 200, { permission: r, role_name: r, user: { ...userShape(login), role_name: r, permissions: { admin: r === 'admin', maintain: r === 'admin', push: r !== 'read', triage: r !== 'read', pull: true } } });
    }

    // Git refs and annotated tag objects
    const gitRef = /^\/git\/ref\/(.+)$/.exec(rest);
    if (method === 'GET' && gitRef) {
      const ref = decodeURIComponent(gitRef[1]);
      const obj = await repo.refs.get(ref);
      return obj ? send(res, 200, refShape(c, `refs/${ref}`, obj)) : notFound(res);
    }
    const gitTag = /^\/git\/tags\/([0-9a-f]{40})$/.exec(rest);
    if (method === 'GET' && gitTag) {
      const tag = await repo.refs.tagObject(gitTag[1]);
      return tag ? send(res, 200, tagObjectShape(c, tag)) : notFound(res);
    }

    // Releases
    const byTag = /^\/releases\/tags\/(.+)$/.exec(rest);
    if (method === 'GET' && byTag) {
      const tag = decodeURIComponent(byTag[1]);
      const rel = repo.releases.find((r) => r.tag_name === tag && !r.draft);
      return rel ? send(res, 200, releaseShape(c, rel)) : notFound(res);
    }
    if (method === 'GET' && rest === '/releases') return send(res, 200, page(repo.releases, query, res).map((r) => releaseShape(c, r)));
    if (method === 'POST' && rest === '/releases') {
      if (refuse(true)) return;
      const b = body ?? {};
      const tag = typeof b.tag_name === 'string' ? b.tag_name : '';
      if (!tag) return invalid(res, { resource: 'Release', code: 'missing_field', field: 'tag_name' });
      if (repo.releases.some((r) => r.tag_name === tag)) return invalid(res, { resource: 'Release', code: 'already_exists', field: 'tag_name' });
      const target = typeof b.target_commitish === 'string' ? b.target_commitish : 'master';
      if (!(await repo.refs.get(`tags/${tag}`))) {
        // As GitHub: a release of a tag it does not have creates the tag, at target_commitish or the default branch head.
        const sha = await repo.refs.commit(target);
        if (!sha) return invalid(res, { resource: 'Release', code: 'invalid', field: 'target_commitish' });
        await repo.refs.set(`tags/${tag}`, sha);
      }
      const rel: ReleaseState = {
        id: ids++, tag_name: tag, name: (b.name as string | undefined) ?? null, body: (b.body as string | undefined) ?? null, draft: b.draft === true,
        prerelease: b.prerelease === true, target_commitish: target, author: who.login, created_at: timestamp(),
      };
      repo.releases.push(rel);
      return send(res, 201, releaseShape(c, rel));
    }

    // Pull requests (they share the issue number sequence, as on GitHub)
    if (method === 'GET' && rest === '/pulls') {
      const state = query.state ?? 'open';
      const list = repo.pulls.filter((p) =>
        (state === 'all' || p.state === state) && (!query.base || p.base === query.base) &&
        (!query.head || `${m[1]}:${p.head}`.toLowerCase() === query.head.toLowerCase()));
      return send(res, 200, page(list, query, res).map((p) => pullShape(c, p, false)));
    }
    if (method === 'POST' && rest === '/pulls') {
      if (refuse(false)) return;
      const b = (body ?? {}) as { title?: string; head?: string; base?: string; body?: string };
      if (!b.title || !b.head || !b.base) return invalid(res, { resource: 'PullRequest', code: 'missing_field', field: b.title ? 'head' : 'title' });
      const head = b.head.includes(':') ? b.head.split(':')[1] : b.head;
      const headSha = await repo.refs.commit(head);
      const baseSha = await repo.refs.commit(b.base);
      if (repo.spec.git && !headSha) return invalid(res, { resource: 'PullRequest', code: 'invalid', field: 'head' });
      if (repo.spec.git && !baseSha) return invalid(res, { resource: 'PullRequest', code: 'invalid', field: 'base' });
      if (repo.pulls.some((p) => p.state === 'open' && p.head === head && p.base === b.base)) {
        return invalid(res, { resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${m[1]}:${head}.` });
      }
      const pull: PullState = {
        number: repo.nextNumber++, title: b.title, body: b.body ?? null, head, base: b.base, headSha: headSha ?? fakeSha(head), baseSha: baseSha ?? fakeSha(b.base),
        state: 'open', merged: false, merge_commit_sha: null, user: who.login, created_at: timestamp(), closed_at: null,
      };
      repo.pulls.push(pull);
      return send(res, 201, pullShape(c, pull));
    }
    const pullN = /^\/pulls\/(\d+)(\/merge)?$/.exec(rest);
    if (pullN) {
      const pull = repo.pulls.find((p) => p.number === Number(pullN[1]));
      if (!pull) return notFound(res);
      if (method === 'GET' && !pullN[2]) return send(res, 200, pullShape(c, pull));
      if (method === 'PUT' && pullN[2]) {
        if (refuse(true)) return;
        if (pull.state !== 'open') return send(res, 405, { message: 'Pull Request is not mergeable', documentation_url: DOCS, status: '405' });
        const sha = await mergePull(repo, pull);
        if (!sha) return send(res, 405, { message: 'Pull Request is not mergeable', documentation_url: DOCS, status: '405' });
        return send(res, 200, { sha, merged: true, message: 'Pull Request successfully merged' });
      }
    }

    // Labels
    if (method === 'GET' && rest === '/labels') return send(res, 200, page([...repo.labels.values()], query, res).map((l) => labelShape(c, l)));
    const labelN = /^\/labels\/(.+)$/.exec(rest);
    if (method === 'GET' && labelN) {
      const label = repo.labels.get(decodeURIComponent(labelN[1]).toLowerCase());
      return label ? send(res, 200, labelShape(c, label)) : notFound(res);
    }
    if (method === 'POST' && rest === '/labels') {
      if (refuse(true)) return;
      const b = (body ?? {}) as { name?: string; color?: string; description?: string };
      if (!b.name) return invalid(res, { resource: 'Label', code: 'missing_field', field: 'name' });
      if (b.color !== undefined && !/^[0-9a-fA-F]{6}$/.test(b.color)) return invalid(res, { resource: 'Label', code: 'invalid', field: 'color' });
      if (repo.labels.has(b.name.toLowerCase())) return invalid(res, { resource: 'Label', code: 'already_exists', field: 'name' });
      return send(res, 201, labelShape(c, defineLabel(repo, b.name, b.color, b.description)));
    }

    // Issues (the list includes pull requests, marked with `pull_request`, as GitHub does)
    if (method === 'GET' && rest === '/issues') {
      const state = query.state ?? 'open';
      const labels = query.labels ? query.labels.split(',').map((l) => l.trim().toLowerCase()) : [];
      const all = [
        ...repo.issues.filter((i) => labels.every((l) => i.labels.some((x) => x.toLowerCase() === l))).map((i) => ({ n: i.number, s: i.state, json: () => issueShape(c, i, (name) => labelOf(repo, name)) })),
        ...(labels.length ? [] : repo.pulls.map((p) => ({ n: p.number, s: p.state, json: () => ({ ...issueShape(c, pullAsIssue(p), (name) => labelOf(repo, name)), pull_request: { url: `${base}/repos/${repo.full}/pulls/${p.number}`, html_url: `https://github.example/${repo.full}/pull/${p.number}`, diff_url: null, patch_url: null, merged_at: p.merged ? p.closed_at : null } }) }))),
      ];
      const list = all.filter((i) => state === 'all' || i.s === state).sort((a, b) => b.n - a.n);
      return send(res, 200, page(list, query, res).map((i) => i.json()));
    }
    if (method === 'POST' && rest === '/issues') {
      if (refuse(false)) return;
      const b = (body ?? {}) as { title?: string; body?: string; labels?: Array<string | { name: string }> };
      if (!b.title) return invalid(res, { resource: 'Issue', code: 'missing_field', field: 'title' });
      // GitHub drops labels (and assignees, milestones) silently when the author has no push access.
      const labels = pusher ? (b.labels ?? []).map((l) => (typeof l === 'string' ? l : l.name)) : [];
      for (const l of labels) labelOf(repo, l);
      const issue: IssueState = { number: repo.nextNumber++, title: b.title, body: b.body ?? null, labels, state: 'open', state_reason: null, user: who.login, comments: 0, created_at: timestamp(), closed_at: null };
      repo.issues.push(issue);
      return send(res, 201, issueShape(c, issue, (name) => labelOf(repo, name)));
    }
    const issueN = /^\/issues\/(\d+)(\/comments|\/labels)?$/.exec(rest);
    if (issueN) {
      const issue = repo.issues.find((i) => i.number === Number(issueN[1]));
      if (!issue) return notFound(res);
      const shaped = (): Record<string, unknown> => issueShape(c, issue, (name) => labelOf(repo, name));
      if (!issueN[2] && method === 'GET') return send(res, 200, shaped());
      if (!issueN[2] && method === 'PATCH') {
        if (refuse(issue.user !== who.login)) return;
        const b = (body ?? {}) as { state?: 'open' | 'closed'; state_reason?: string; title?: string; body?: string };
        if (b.state) {
          issue.state = b.state;
          issue.closed_at = b.state === 'closed' ? timestamp() : null;
        }
        if (b.state_reason !== undefined) issue.state_reason = b.state_reason;
        if (b.title) issue.title = b.title;
        if (b.body !== undefined) issue.body = b.body;
        return send(res, 200, shaped());
      }
      if (issueN[2] === '/labels' && method === 'POST') {
        if (refuse(true)) return;
        const names = ((body ?? {}) as { labels?: string[] }).labels ?? [];
        for (const l of names) if (!issue.labels.includes(labelOf(repo, l).name)) issue.labels.push(labelOf(repo, l).name);
        return send(res, 200, issue.labels.map((l) => labelShape(c, labelOf(repo, l))));
      }
      const comments = repo.comments.filter((k) => k.issue === issue.number);
      if (issueN[2] === '/comments' && method === 'GET') return send(res, 200, page(comments, query, res).map((k) => commentShape(c, k)));
      if (issueN[2] === '/comments' && method === 'POST') {
        if (refuse(false)) return;
        const text = ((body ?? {}) as { body?: string }).body;
        if (!text) return invalid(res, { resource: 'IssueComment', code: 'missing_field', field: 'body' });
        const comment: CommentState = { id: ids++, issue: issue.number, body: text, user: who.login, created_at: timestamp() };
        repo.comments.push(comment);
        issue.comments += 1;
        return send(res, 201, commentShape(c, comment));
      }
    }
    return notFound(res);
  }

  function defineLabel(repo: RepoState, name: string, color = 'ededed', description?: string): LabelState {
    const label: LabelState = { id: ids++, name, color, description: description ?? null };
    repo.labels.set(name.toLowerCase(), label);
    return label;
  }

  /** The label (GitHub creates a missing one when a pusher uses it). */
  function labelOf(repo: RepoState, name: string): LabelState {
    return repo.labels.get(name.toLowerCase()) ?? defineLabel(repo, name);
  }

  function pullAsIssue(p: PullState): IssueState {
    return { number: p.number, title: p.title, body: p.body, labels: [], state: p.state, state_reason: null, user: p.user, comments: 0, created_at: p.created_at, closed_at: p.closed_at };
  }

  async function mergePull(repo: RepoState, pull: PullState): Promise<string | undefined> {
    const sha = await repo.refs.merge(pull.head, pull.base, `Merge pull request #${pull.number} from ${repo.full.split('/')[0]}/${pull.head}\n\n${pull.title}`);
    if (!sha) return undefined;
    Object.assign(pull, { state: 'closed', merged: true, merge_commit_sha: sha, closed_at: timestamp() });
    return sha;
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

  function state(repo: string): RepoState {
    const r = repos.get(repo.toLowerCase());
    if (!r) throw new Error(`fake GitHub has no repo ${repo}`);
    return r;
  }

  async function mergeByNumber(repo: string, number: number): Promise<void> {
    const r = state(repo);
    const pull = r.pulls.find((p) => p.number === number);
    if (!pull) throw new Error(`no pull request #${number}`);
    if (!(await mergePull(r, pull))) throw new Error(`pull request #${number} of ${repo} does not merge cleanly`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const web = (full: string): string => `https://github.example/${full}`;

  return {
    url: base,
    faults,
    requests,
    releases: (repo) => state(repo).releases.map((r) => ({ ...r, html_url: `${web(state(repo).full)}/releases/tag/${r.tag_name}` })),
    pulls: (repo) => state(repo).pulls.map((p) => ({ ...p, html_url: `${web(state(repo).full)}/pull/${p.number}` })),
    issues: (repo) => state(repo).issues.map((i) => ({ ...i, labels: [...i.labels], html_url: `${web(state(repo).full)}/issues/${i.number}` })),
    comments: (repo, issue) => state(repo).comments.filter((k) => k.issue === issue)
      .map((k) => ({ id: k.id, body: k.body, user: k.user, html_url: `${web(state(repo).full)}/issues/${issue}#issuecomment-${k.id}` })),
    labels: (repo) => [...state(repo).labels.values()].map((l) => l.name),
    async ref(repo, ref) {
      const refs = state(repo).refs;
      const obj = await refs.get(ref);
      if (obj?.type === 'tag') return (await refs.tagObject(obj.sha))?.target;
      return obj?.sha;
    },
    setRef: (repo, ref, sha) => state(repo).refs.set(ref, sha),
    mergePullRequest: mergeByNumber,
    mergePull: mergeByNumber,
    closePull(repo, number) {
      const pull = state(repo).pulls.find((p) => p.number === number);
      if (!pull) throw new Error(`no pull request #${number}`);
      Object.assign(pull, { state: 'closed', closed_at: timestamp() });
    },
    async protectBranch(repo, branch, kind) {
      const r = state(repo);
      if (!r.spec.git) throw new Error(`fake GitHub repo ${repo} has no git repository to protect`);
      await r.refs.protect(branch, kind);
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

function roleOf(spec: FakeRepoSpec, user: string): Role {
  if (spec.admins?.includes(user)) return 'admin';
  if (spec.writers?.includes(user)) return 'write';
  return 'read';
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
