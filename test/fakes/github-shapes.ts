// Response bodies of the GitHub fake, shaped from GitHub's own documented example responses
// (@octokit/openapi components/examples) with the fake's state laid over them, so every field a
// client may read is there with the right type. test/fakes/github-schema.test.ts validates them.
import { createRequire } from 'node:module';

type Json = Record<string, unknown>;
let examples: Record<string, { value: unknown }> | undefined;

function example(name: string): Json {
  if (!examples) {
    const require = createRequire(import.meta.url);
    const spec = require('@octokit/openapi/generated/api.github.com.json') as { components: { examples: Record<string, { value: unknown }> } };
    examples = spec.components.examples;
  }
  const ex = examples[name];
  if (!ex) throw new Error(`no example ${name} in @octokit/openapi`);
  return structuredClone(ex.value) as Json;
}

const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface ShapeContext {
  /** API root of the fake, e.g. http://127.0.0.1:4711 */
  api: string;
  /** "owner/name" */
  full: string;
}

const web = (full: string): string => `https://github.example/${full}`;

export function userShape(login: string, id = 1, type: 'User' | 'Bot' = 'User'): Json {
  return { ...example('simple-user'), login, id, type, html_url: `https://github.example/${login}`, url: `https://api.github.example/users/${login}` };
}

export function repositoryShape(c: ShapeContext, id: number, permissions: Json | undefined): Json {
  const [owner, name] = c.full.split('/');
  const repo: Json = { ...example('full-repository'), has_discussions: false, id, name, full_name: c.full, owner: userShape(owner), private: false, default_branch: 'master', html_url: web(c.full), url: `${c.api}/repos/${c.full}` };
  if (permissions) repo.permissions = permissions;
  else delete repo.permissions;
  return repo;
}

export interface ReleaseState { id: number; tag_name: string; name: string | null; body: string | null; draft: boolean; prerelease: boolean; target_commitish: string; author: string; created_at: string }

export function releaseShape(c: ShapeContext, r: ReleaseState): Json {
  return {
    ...example('release'), id: r.id, tag_name: r.tag_name, name: r.name, body: r.body, draft: r.draft, prerelease: r.prerelease,
    target_commitish: r.target_commitish, created_at: r.created_at, published_at: r.draft ? null : r.created_at, assets: [],
    author: userShape(r.author), url: `${c.api}/repos/${c.full}/releases/${r.id}`, html_url: `${web(c.full)}/releases/tag/${r.tag_name}`,
    tarball_url: `${c.api}/repos/${c.full}/tarball/${r.tag_name}`, zipball_url: `${c.api}/repos/${c.full}/zipball/${r.tag_name}`,
  };
}

export interface PullState { number: number; title: string; body: string | null; head: string; base: string; headSha: string; baseSha: string; state: 'open' | 'closed'; merged: boolean; merge_commit_sha: string | null; user: string; created_at: string; closed_at: string | null }

export function pullShape(c: ShapeContext, p: PullState, full = true): Json {
  const [owner] = c.full.split('/');
  const base = example(full ? 'pull-request' : 'pull-request-simple');
  const side = (ref: string, sha: string, template: unknown): Json => ({ ...(template as Json), ref, sha, label: `${owner}:${ref}`, user: userShape(owner), repo: repositoryShape(c, 1, undefined) });
  const shape: Json = {
    ...base, number: p.number, title: p.title, body: p.body, state: p.state, locked: false, draft: false,
    html_url: `${web(c.full)}/pull/${p.number}`, url: `${c.api}/repos/${c.full}/pulls/${p.number}`,
    user: userShape(p.user), created_at: p.created_at, updated_at: p.closed_at ?? p.created_at, closed_at: p.closed_at,
    merged_at: p.merged ? p.closed_at : null, merge_commit_sha: p.merge_commit_sha, assignee: null, assignees: [], labels: [],
    milestone: null, requested_reviewers: [], requested_teams: [], auto_merge: null,
    head: side(p.head, p.headSha, base.head), base: side(p.base, p.baseSha, base.base),
  };
  if (full) Object.assign(shape, { merged: p.merged, merged_by: p.merged ? userShape(p.user) : null, mergeable: p.state === 'open' ? true : null, mergeable_state: p.state === 'open' ? 'clean' : 'unknown' });
  return shape;
}

export interface LabelState { id: number; name: string; color: string; description: string | null }

export function labelShape(c: ShapeContext, l: LabelState): Json {
  return { ...example('label'), id: l.id, name: l.name, color: l.color, description: l.description, default: false, url: `${c.api}/repos/${c.full}/labels/${encodeURIComponent(l.name)}` };
}

export interface IssueState { number: number; title: string; body: string | null; labels: string[]; state: 'open' | 'closed'; state_reason: string | null; user: string; comments: number; created_at: string; closed_at: string | null }

export function issueShape(c: ShapeContext, i: IssueState, labels: (name: string) => LabelState): Json {
  const issue = {
    ...example('issue'), id: i.number, number: i.number, title: i.title, body: i.body, state: i.state, state_reason: i.state_reason, locked: false,
    labels: i.labels.map((name) => labelShape(c, labels(name))), user: userShape(i.user), assignee: null, assignees: [], milestone: null,
    comments: i.comments, created_at: i.created_at, updated_at: i.closed_at ?? i.created_at, closed_at: i.closed_at,
    html_url: `${web(c.full)}/issues/${i.number}`, url: `${c.api}/repos/${c.full}/issues/${i.number}`, repository_url: `${c.api}/repos/${c.full}`,
    closed_by: null, pull_request: undefined,
  };
  delete issue.pull_request;
  delete (issue as Json).repository;
  return issue;
}

export interface CommentState { id: number; issue: number; body: string; user: string; created_at: string }

export function commentShape(c: ShapeContext, k: CommentState): Json {
  return {
    ...example('issue-comment'), id: k.id, body: k.body, user: userShape(k.user), created_at: k.created_at, updated_at: k.created_at,
    html_url: `${web(c.full)}/issues/${k.issue}#issuecomment-${k.id}`, url: `${c.api}/repos/${c.full}/issues/comments/${k.id}`, issue_url: `${c.api}/repos/${c.full}/issues/${k.issue}`,
  };
}

export function refShape(c: ShapeContext, ref: string, object: { type: 'commit' | 'tag'; sha: string }): Json {
  const kind = object.type === 'tag' ? 'tags' : 'commits';
  return { ...example('git-ref'), ref, url: `${c.api}/repos/${c.full}/git/${ref}`, object: { ...object, url: `${c.api}/repos/${c.full}/git/${kind}/${object.sha}` } };
}

export function tagObjectShape(c: ShapeContext, t: { sha: string; tag: string; message: string; target: string; targetType: string }): Json {
  return {
    ...example('git-tag'), sha: t.sha, tag: t.tag, message: t.message, url: `${c.api}/repos/${c.full}/git/tags/${t.sha}`,
    object: { type: t.targetType, sha: t.target, url: `${c.api}/repos/${c.full}/git/commits/${t.target}` },
  };
}

export function appShape(app: { id: number; slug: string }): Json {
  return { ...example('integration'), id: app.id, slug: app.slug, name: app.slug, owner: userShape('stratus-org') };
}

export function installationShape(api: string, app: { id: number; slug: string }, inst: { id: number; account: string }): Json {
  return {
    ...example('installation'), id: inst.id, app_id: app.id, app_slug: app.slug, account: userShape(inst.account),
    access_tokens_url: `${api}/app/installations/${inst.id}/access_tokens`, repository_selection: 'selected',
    permissions: { contents: 'write', issues: 'write', pull_requests: 'write', metadata: 'read' },
  };
}

export function installationTokenShape(token: string, expiresAt: string): Json {
  const shape = { ...example('installation-token'), token, expires_at: expiresAt, permissions: { contents: 'write', issues: 'write', pull_requests: 'write', metadata: 'read' } };
  delete (shape as Json).repositories;
  return shape;
}

export const timestamp = now;
