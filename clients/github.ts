// The CodeHost port (what stratus needs from GitHub) and its @octokit/rest adapter.
import { InvalidNameError, NotAdminError } from './github-errors.js';
import { assertLabel, assertRefName, parseRepoSlug } from './github-names.js';
import { createOctokit, githubApi, translateGithubError, type GithubApi, type GithubConnectionOptions, type RestClient } from './github-octokit.js';
import {
  collaboratorPermission, createPullRequest, getPullRequest, type CollaboratorRole, type NewPullRequest, type PullRequestInfo,
} from './github-pulls.js';

export type { GithubConnectionOptions } from './github-octokit.js';
import { commentOnIssue, createIssue, ensureLabel, findOpenIssueByMarker, toIssue, type Issue, type IssueComment } from './github-issues.js';
import { ensureRelease, type Release, type ReleaseOptions } from './github-releases.js';

export type { CollaboratorRole, NewPullRequest, PullRequestInfo } from './github-pulls.js';
export type { Release, ReleaseOptions } from './github-releases.js';
export type { Issue, IssueComment } from './github-issues.js';

/** A pull request; `created` is false when an open one for the same head and base was reused. */
export interface PullRequest {
  number: number;
  url: string;
  created: boolean;
}

export type PullRequestState = 'open' | 'merged' | 'closed';

/**
 * What stratus needs from a code host. Repositories are "owner/name"; every create is
 * idempotent (check first, reuse what exists). Errors are the typed errors of github-errors.ts.
 */
export interface CodeHost {
  /** Login of the token's user (`<slug>[bot]` for a GitHub App, read from GET /app, not GET /user). */
  currentUser(): Promise<string>;
  /**
   * Whether the token's user administers the repository. For a GitHub App: whether its
   * installation covers the repository (the approver's permission is checked separately).
   */
  isAdmin(ownerRepo: string): Promise<boolean>;
  /** Throws NotAdminError { repo, user } unless the token's user administers the repository. */
  assertAdmin(ownerRepo: string): Promise<void>;
  /**
   * Returns the release for `tag`, creating it if there is none (an existing one is returned as
   * is). With `options.commit` the release is created at that commit and GitHub's tag is checked
   * to point at it afterwards (TagMismatchError otherwise).
   */
  ensureRelease(ownerRepo: string, tag: string, name: string, body: string, options?: ReleaseOptions): Promise<Release>;
  /** Returns the open pull request from `head` into `base`, opening one if there is none. */
  ensurePullRequest(ownerRepo: string, head: string, base: string, title: string, body: string): Promise<PullRequest>;
  pullRequestState(ownerRepo: string, number: number): Promise<PullRequestState>;
  /**
   * Opens a pull request from `head` into `base`, idempotently: the pull request carrying the
   * marker of `pr.marker` (in any state, so a merged one is not reopened), else the open one for
   * the same head and base, is returned with `created: false`.
   */
  createPullRequest(ownerRepo: string, pr: NewPullRequest): Promise<PullRequestInfo>;
  /** A pull request with its state (`merged` once merged) and merge commit. */
  getPullRequest(ownerRepo: string, number: number): Promise<PullRequestInfo>;
  /** The role of `login` on the repository (`admin` … `read`, `none` for a non-collaborator or unknown login). */
  collaboratorPermission(ownerRepo: string, login: string): Promise<CollaboratorRole>;
  /** Open issues carrying `label`, newest first (pull requests are left out). */
  findOpenIssues(ownerRepo: string, label: string): Promise<Issue[]>;
  getIssue(ownerRepo: string, number: number): Promise<Issue>;
  /**
   * Files an issue. With `key`, idempotent: the open issue carrying the key's hidden marker is
   * returned (`created: false`) instead of filing another. Labels GitHub dropped (no push access)
   * are in `droppedLabels`.
   */
  createIssue(ownerRepo: string, title: string, body: string, labels: string[], key?: string): Promise<Issue>;
  /** Creates the label unless it exists (a label is created once; a lost race counts as existing). Returns whether it created it. */
  ensureLabel(ownerRepo: string, name: string, color?: string): Promise<boolean>;
  /** The newest open issue carrying the hidden marker of `key` (scans the newest 1,000 open issues). */
  findOpenIssueByMarker(ownerRepo: string, key: string): Promise<Issue | undefined>;
  issueComments(ownerRepo: string, number: number): Promise<IssueComment[]>;
  /** Comments; with `key` once only (a comment carrying the key's marker is returned instead). */
  commentOnIssue(ownerRepo: string, number: number, body: string, key?: string): Promise<IssueComment>;
  /** Closes the issue as completed (no-op when it is already closed). */
  closeIssue(ownerRepo: string, number: number): Promise<void>;
}

export function createGithubCodeHost(options: GithubConnectionOptions): CodeHost {
  return new OctokitCodeHost(createOctokit(options), (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, ''), Boolean(options.app));
}

class OctokitCodeHost implements CodeHost {
  private login?: Promise<string>;
  private readonly api: GithubApi;

  constructor(private readonly octokit: RestClient, private readonly baseUrl: string, private readonly asApp: boolean) {
    this.api = githubApi(octokit, baseUrl);
  }

  createPullRequest(ownerRepo: string, pr: NewPullRequest): Promise<PullRequestInfo> {
    return createPullRequest(this.api, ownerRepo, pr);
  }

  getPullRequest(ownerRepo: string, number: number): Promise<PullRequestInfo> {
    return getPullRequest(this.api, ownerRepo, number);
  }

  collaboratorPermission(ownerRepo: string, login: string): Promise<CollaboratorRole> {
    return collaboratorPermission(this.api, ownerRepo, login);
  }

  private async call<T>(what: string, repo: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw translateGithubError(err, { baseUrl: this.baseUrl, repo, what });
    }
  }

  currentUser(): Promise<string> {
    // An installation token gets 403 on GET /user; the App's bot login comes from GET /app (JWT).
    this.login ??= this.asApp
      ? this.call('GET /app', undefined, async () => `${(await this.octokit.rest.apps.getAuthenticated()).data?.slug ?? 'app'}[bot]`)
      : this.call('GET /user', undefined, async () => (await this.octokit.rest.users.getAuthenticated()).data.login);
    void this.login.catch(() => (this.login = undefined));
    return this.login;
  }

  async isAdmin(ownerRepo: string): Promise<boolean> {
    const { owner, repo } = parseRepoSlug(ownerRepo);
    if (this.asApp) {
      // An App is never a repository admin (its repo permissions read all false): the check is
      // that the installation covers the repository; who may tag is the approver's permission.
      await this.call(`the repository ${ownerRepo}`, ownerRepo, () => this.octokit.rest.repos.get({ owner, repo }));
      return true;
    }
    const user = await this.currentUser();
    return this.call(`the permission check on ${ownerRepo}`, ownerRepo, async () => {
      const { data } = await this.octokit.rest.repos.get({ owner, repo });
      if (data.permissions) return data.permissions.admin;
      // App installation tokens get no `permissions` block: ask for the collaborator level.
      const level = await this.octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: user });
      return level.data.permission === 'admin';
    });
  }

  async assertAdmin(ownerRepo: string): Promise<void> {
    if (!(await this.isAdmin(ownerRepo))) throw new NotAdminError(ownerRepo, await this.currentUser());
  }

  ensureRelease(ownerRepo: string, tag: string, name: string, body: string, options?: ReleaseOptions): Promise<Release> {
    return ensureRelease(this.api, ownerRepo, tag, name, body, options);
  }

  async ensurePullRequest(ownerRepo: string, head: string, base: string, title: string, body: string): Promise<PullRequest> {
    const { owner, repo } = parseRepoSlug(ownerRepo);
    assertRefName('head branch', head);
    assertRefName('base branch', base);
    const what = `the pull request ${head} → ${base} in ${ownerRepo}`;
    const findOpen = (): Promise<PullRequest | undefined> => this.call(what, ownerRepo, async () => {
      const { data } = await this.octokit.rest.pulls.list({ owner, repo, head: `${owner}:${head}`, base, state: 'open' });
      return data[0] && { number: data[0].number, url: data[0].html_url, created: false };
    });
    const open = await findOpen();
    if (open) return open;
    try {
      const { data } = await this.octokit.rest.pulls.create({ owner, repo, head, base, title, body });
      return { number: data.number, url: data.html_url, created: true };
    } catch (err) {
      const again = isStatus(err, 422) ? await findOpen() : undefined;
      if (again) return again;
      throw translateGithubError(err, { baseUrl: this.baseUrl, repo: ownerRepo, what });
    }
  }

  async pullRequestState(ownerRepo: string, number: number): Promise<PullRequestState> {
    const { owner, repo } = parseRepoSlug(ownerRepo);
    assertNumber('pull request number', number);
    return this.call(`pull request #${number} of ${ownerRepo}`, ownerRepo, async () => {
      const { data } = await this.octokit.rest.pulls.get({ owner, repo, pull_number: number });
      if (data.merged) return 'merged';
      return data.state === 'open' ? 'open' : 'closed';
    });
  }

  async findOpenIssues(ownerRepo: string, label: string): Promise<Issue[]> {
    const { owner, repo } = parseRepoSlug(ownerRepo);
    assertLabel('label', label);
    return this.call(`issues labelled ${label} in ${ownerRepo}`, ownerRepo, async () => {
      const data = await this.octokit.paginate(this.octokit.rest.issues.listForRepo, { owner, repo, labels: label, state: 'open', per_page: 100 });
      return data.filter((i) => !i.pull_request).map(toIssue);
    });
  }

  async getIssue(ownerRepo: string, number: number): Promise<Issue> {
    const { owner, repo } = parseRepoSlug(ownerRepo);
    assertNumber('issue number', number);
    return this.call(`issue #${number} of ${ownerRepo}`, ownerRepo, async () =>
      toIssue((await this.octokit.rest.issues.get({ owner, repo, issue_number: number })).data));
  }

  createIssue(ownerRepo: string, title: string, body: string, labels: string[], key?: string): Promise<Issue> {
    return createIssue(this.api, ownerRepo, title, body, labels, key);
  }

  ensureLabel(ownerRepo: string, name: string, color?: string): Promise<boolean> {
    return ensureLabel(this.api, ownerRepo, name, color);
  }

  findOpenIssueByMarker(ownerRepo: string, key: string): Promise<Issue | undefined> {
    return findOpenIssueByMarker(this.api, ownerRepo, key);
  }

  async issueComments(ownerRepo: string, number: number): Promise<IssueComment[]> {
    const { owner, repo } = parseRepoSlug(ownerRepo);
    assertNumber('issue number', number);
    return this.call(`comments of issue #${number} in ${ownerRepo}`, ownerRepo, async () => {
      const data = await this.octokit.paginate(this.octokit.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 100 });
      return data.map((c) => ({ id: c.id, body: c.body ?? '', url: c.html_url }));
    });
  }

  commentOnIssue(ownerRepo: string, number: number, body: string, key?: string): Promise<IssueComment> {
    return commentOnIssue(this.api, ownerRepo, number, body, key);
  }

  async closeIssue(ownerRepo: string, number: number): Promise<void> {
    const issue = await this.getIssue(ownerRepo, number);
    if (issue.state === 'closed') return;
    const { owner, repo } = parseRepoSlug(ownerRepo);
    await this.call(`closing issue #${number} in ${ownerRepo}`, ownerRepo, () =>
      this.octokit.rest.issues.update({ owner, repo, issue_number: number, state: 'closed', state_reason: 'completed' }));
  }
}

function isStatus(err: unknown, status: number): boolean {
  return (err as { status?: unknown } | null)?.status === status;
}

function assertNumber(field: string, n: number): void {
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidNameError(field, String(n), 'expected a positive integer');
}
