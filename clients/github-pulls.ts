// Pull requests and collaborator permissions of the CodeHost adapter. Pull requests are created
// find-then-create: a hidden marker of the caller's key in the body lets a retried create (after
// a timeout or a 5xx that GitHub had already acted on) find the first attempt's pull request.
import { InvalidNameError } from './github-errors.js';
import { hasMarker, withMarker } from './github-marker.js';
import { assertRefName, parseRepoSlug } from './github-names.js';
import { type GithubApi, isStatus, translateGithubError } from './github-octokit.js';

/** What to open: `head` merged into `base`; `marker` is the idempotency key (e.g. workflow id + step). */
export interface NewPullRequest {
  head: string;
  base: string;
  title: string;
  body: string;
  marker: string;
}

export type PullRequestState = 'open' | 'merged' | 'closed';

/** A pull request as stratus sees it; `created` is false when an earlier attempt's (or an open one) was reused. */
export interface PullRequestInfo {
  number: number;
  url: string;
  state: PullRequestState;
  merged: boolean;
  head: string;
  base: string;
  /** The merge commit once merged. */
  mergeCommitSha: string | null;
  created: boolean;
}

/** A user's role on a repository, finest first as GitHub reports it (`role_name`). */
export type CollaboratorRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

interface RawPull {
  number: number;
  html_url: string;
  state: string;
  merged?: boolean | null;
  merged_at?: string | null;
  merge_commit_sha?: string | null;
  body?: string | null;
  head: { ref: string };
  base: { ref: string };
}

function toInfo(p: RawPull, created: boolean): PullRequestInfo {
  const merged = p.merged === true || Boolean(p.merged_at);
  return {
    number: p.number, url: p.html_url, merged, state: merged ? 'merged' : p.state === 'open' ? 'open' : 'closed',
    head: p.head.ref, base: p.base.ref, mergeCommitSha: merged ? p.merge_commit_sha ?? null : null, created,
  };
}

export function assertPositive(field: string, n: number): void {
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidNameError(field, String(n), 'expected a positive integer');
}

/**
 * Returns the pull request carrying `pr.marker` (any state: a merged one is not opened again),
 * else the open one from `head` into `base`, else opens one with the marker in its body.
 */
export async function createPullRequest(api: GithubApi, ownerRepo: string, pr: NewPullRequest): Promise<PullRequestInfo> {
  const { owner, repo } = parseRepoSlug(ownerRepo);
  assertRefName('head branch', pr.head);
  assertRefName('base branch', pr.base);
  const body = withMarker(pr.body, pr.marker);
  const what = `the pull request ${pr.head} → ${pr.base} in ${ownerRepo}`;
  const find = (): Promise<PullRequestInfo | undefined> => api.call(what, ownerRepo, async () => {
    const list = await api.octokit.paginate(api.octokit.rest.pulls.list, { owner, repo, head: `${owner}:${pr.head}`, base: pr.base, state: 'all', per_page: 100 });
    const mine = list.find((p) => hasMarker(p.body, pr.marker)) ?? list.find((p) => p.state === 'open');
    return mine && toInfo(mine as RawPull, false);
  });
  const found = await find();
  if (found) return found;
  try {
    const { data } = await api.octokit.rest.pulls.create({ owner, repo, head: pr.head, base: pr.base, title: pr.title, body });
    return toInfo(data as RawPull, true);
  } catch (err) {
    // A retry after GitHub had opened it answers 422 "A pull request already exists".
    const again = isStatus(err, 422) ? await find() : undefined;
    if (again) return again;
    throw translateGithubError(err, { baseUrl: api.baseUrl, repo: ownerRepo, what });
  }
}

export async function getPullRequest(api: GithubApi, ownerRepo: string, number: number): Promise<PullRequestInfo> {
  const { owner, repo } = parseRepoSlug(ownerRepo);
  assertPositive('pull request number', number);
  return api.call(`pull request #${number} of ${ownerRepo}`, ownerRepo, async () =>
    toInfo((await api.octokit.rest.pulls.get({ owner, repo, pull_number: number })).data as RawPull, false));
}

const ROLES: CollaboratorRole[] = ['admin', 'maintain', 'write', 'triage', 'read', 'none'];

/** The role of `login` on the repository ("none" for a login GitHub does not know). */
export async function collaboratorPermission(api: GithubApi, ownerRepo: string, login: string): Promise<CollaboratorRole> {
  const { owner, repo } = parseRepoSlug(ownerRepo);
  if (typeof login !== 'string' || !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/.test(login)) {
    throw new InvalidNameError('GitHub login', String(login), 'letters, digits and "-" (at most 39), starting with a letter or digit');
  }
  const what = `the permission of ${login} on ${ownerRepo}`;
  try {
    const { data } = await api.octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: login });
    const role = (data.role_name ?? data.permission) as CollaboratorRole;
    return ROLES.includes(role) ? role : (data.permission as CollaboratorRole);
  } catch (err) {
    if (!isStatus(err, 404)) throw translateGithubError(err, { baseUrl: api.baseUrl, repo: ownerRepo, what });
    // 404 is either the repository (report it) or a login that is no GitHub user.
    await api.call(`the repository ${ownerRepo}`, ownerRepo, () => api.octokit.rest.repos.get({ owner, repo }));
    return 'none';
  }
}
