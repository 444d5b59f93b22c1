import { createGithubCodeHost, type CodeHost } from '../../clients/github.js';
import {
  AuthError, InvalidNameError, NotAdminError, RateLimitedError, RepoNotFoundError, ServiceUnavailableError,
} from '../../clients/github-errors.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';

const ADMIN_TOKEN = 'ghp_admin_secret_0123456789';
const DEV_TOKEN = 'ghp_dev_secret_9876543210';
const REPO = 'cyverse/atmosphere';

let gh: FakeGithub;

beforeAll(async () => {
  gh = await startFakeGithub({
    tokens: { [ADMIN_TOKEN]: 'alice', [DEV_TOKEN]: 'bob' },
    repos: { [REPO]: { admins: ['alice'], writers: ['bob'] }, 'cyverse/clank': { admins: ['alice'], omitPermissions: true } },
  });
});
afterAll(() => gh.close());
afterEach(() => gh.faults.reset());

function host(token = ADMIN_TOKEN, extra: { timeoutMs?: number; maxRateLimitWaitSeconds?: number } = {}): CodeHost {
  return createGithubCodeHost({
    token, baseUrl: gh.url, retryBaseDelayMs: 5, rateLimitSecondMs: 5, writeSpacingMs: 0, timeoutMs: extra.timeoutMs ?? 2000, ...extra,
  });
}

describe('admin rights', () => {
  it('tells admins from other users', async () => {
    await expect(host().isAdmin(REPO)).resolves.toBe(true);
    await expect(host(DEV_TOKEN).isAdmin(REPO)).resolves.toBe(false);
  });

  it('names the repo and the user when the user is not an admin', async () => {
    const err = await host(DEV_TOKEN).assertAdmin(REPO).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotAdminError);
    expect(err).toMatchObject({ repo: REPO, user: 'bob' });
    expect((err as Error).message).toBe('GitHub user bob is not an admin of cyverse/atmosphere; only repository admins may tag releases');
  });

  it('falls back to the collaborator permission when the repo answer has no permissions block', async () => {
    await expect(host().isAdmin('cyverse/clank')).resolves.toBe(true);
    expect(gh.requests.some((r) => r.path === '/repos/cyverse/clank/collaborators/alice/permission')).toBe(true);
  });

  it('reports an unknown repository by name', async () => {
    await expect(host().isAdmin('cyverse/nope')).rejects.toThrow(new RepoNotFoundError('cyverse/nope'));
  });
});

describe('bad credentials and names', () => {
  it('rejects a bad token with a clear message that does not contain the token', async () => {
    const token = 'ghp_WRONG_do_not_leak_42';
    const err = await host(token).ensureRelease(REPO, 'v31-1', 'v31', 'notes').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toContain('GitHub rejected the credentials');
    expect((err as Error).message).toContain('Bad credentials');
    expect(JSON.stringify(err)).not.toContain(token);
    expect(String((err as Error).stack)).not.toContain(token);
    expect(gh.releases(REPO)).toHaveLength(0);
  });

  it('refuses bad repo slugs and tag names before any request', async () => {
    const before = gh.requests.length;
    await expect(host().ensureRelease('cyverse/../etc', 'v1', 'x', 'y')).rejects.toThrow(InvalidNameError);
    await expect(host().ensureRelease('nobody', 'v1', 'x', 'y')).rejects.toThrow('invalid GitHub repository "nobody"');
    await expect(host().ensureRelease(REPO, '-v31', 'x', 'y')).rejects.toThrow('invalid tag "-v31": must not start with "-"');
    await expect(host().ensurePullRequest(REPO, 'v31..x', 'master', 't', 'b')).rejects.toThrow('invalid head branch "v31..x"');
    expect(gh.requests.length).toBe(before);
  });
});

describe('releases', () => {
  it('creates a release once and returns the same one on a second call', async () => {
    const first = await host().ensureRelease(REPO, 'v30-1', 'v30 (young-yak)', 'notes');
    const second = await host().ensureRelease(REPO, 'v30-1', 'v30 (young-yak)', 'notes');
    expect(first).toMatchObject({ tag: 'v30-1', name: 'v30 (young-yak)', body: 'notes', created: true });
    expect(second).toMatchObject({ id: first.id, url: first.url, created: false });
    expect(gh.releases(REPO).filter((r) => r.tag_name === 'v30-1')).toHaveLength(1);
  });

  it('waits out a secondary rate limit (429 with Retry-After) and then succeeds', async () => {
    gh.secondaryRateLimitNext({ status: 429, retryAfter: 1, path: /\/releases$/ });
    const rel = await host().ensureRelease(REPO, 'v30-2', 'v30', 'notes');
    expect(rel.created).toBe(true);
    expect(gh.faults.injected).toBeGreaterThanOrEqual(1);
    expect(gh.faults.pending()).toBe(0);
    expect(gh.releases(REPO).filter((r) => r.tag_name === 'v30-2')).toHaveLength(1);
  });

  it('also understands the 403 form of the secondary rate limit', async () => {
    gh.secondaryRateLimitNext({ status: 403, retryAfter: 2 });
    await expect(host().ensureRelease(REPO, 'v30-3', 'v30', 'notes')).resolves.toMatchObject({ created: true });
    expect(gh.faults.pending()).toBe(0);
  });

  it('gives up with RateLimitedError carrying Retry-After when the wait is too long', async () => {
    gh.secondaryRateLimitNext({ status: 429, retryAfter: 3600 });
    const err = await host().ensureRelease(REPO, 'v30-4', 'v30', 'notes').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({ retryAfterSeconds: 3600 });
    expect((err as Error).message).toBe('GitHub rate limit exceeded; retry after 3600s');
  });

  it('reads the primary rate limit (403, x-ratelimit-remaining 0) and its reset time', async () => {
    const reset = Math.floor(Date.now() / 1000) + 1800;
    gh.faults.failNext({
      status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      body: { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest' },
    });
    const err = await host().isAdmin(REPO).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterSeconds).toBeGreaterThan(1700);
    expect((err as RateLimitedError).retryAfterSeconds).toBeLessThanOrEqual(1801);
  });

  it('retries two 500s and succeeds, creating exactly one release', async () => {
    gh.faults.failNext({ count: 2, status: 500, method: 'POST' });
    await expect(host().ensureRelease(REPO, 'v30-5', 'v30', 'notes')).resolves.toMatchObject({ created: true });
    expect(gh.faults.injected).toBeGreaterThanOrEqual(2);
    expect(gh.releases(REPO).filter((r) => r.tag_name === 'v30-5')).toHaveLength(1);
  });

  it('retries after a request that hangs past the timeout', async () => {
    gh.faults.failNext({ hang: true, path: /releases\/tags/ });
    await expect(host(ADMIN_TOKEN, { timeoutMs: 300 }).ensureRelease(REPO, 'v30-6', 'v30', 'notes')).resolves.toMatchObject({ created: true });
  });

  it('turns a persistent 502 into ServiceUnavailableError after its retries', async () => {
    gh.faults.failNext({ count: 10, status: 502 });
    const err = await host().ensureRelease(REPO, 'v30-7', 'v30', 'notes').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect((err as Error).message).toContain('HTTP 502');
    expect(gh.releases(REPO).some((r) => r.tag_name === 'v30-7')).toBe(false);
  });
});

describe('pull requests', () => {
  it('reuses the open pull request for the same head and base, and reports merges', async () => {
    const first = await host().ensurePullRequest(REPO, 'v31', 'master', 'Merge v31 into master', 'conflict in a.txt');
    const second = await host().ensurePullRequest(REPO, 'v31', 'master', 'Merge v31 into master', 'conflict in a.txt');
    expect(second).toEqual({ ...first, created: false });
    expect(gh.pulls(REPO).filter((p) => p.head === 'v31')).toHaveLength(1);
    await expect(host().pullRequestState(REPO, first.number)).resolves.toBe('open');
    await gh.mergePull(REPO, first.number);
    await expect(host().pullRequestState(REPO, first.number)).resolves.toBe('merged');
  });

  it('reports a pull request closed without merging as closed, and opens a new one afterwards', async () => {
    const pr = await host().ensurePullRequest(REPO, 'v32', 'master', 'Merge v32', '');
    gh.closePull(REPO, pr.number);
    await expect(host().pullRequestState(REPO, pr.number)).resolves.toBe('closed');
    const again = await host().ensurePullRequest(REPO, 'v32', 'master', 'Merge v32', '');
    expect(again.number).not.toBe(pr.number);
    expect(again.created).toBe(true);
  });
});

describe('issues', () => {
  it('files, finds, comments on and closes an issue; pull requests are not issues', async () => {
    const h = host(DEV_TOKEN);
    await h.ensurePullRequest(REPO, 'feature', 'master', 'Feature', '');
    const issue = await h.createIssue(REPO, 'Nightly build failed', 'log…', ['stratus-atomic-host']);
    await expect(h.findOpenIssues(REPO, 'stratus-atomic-host')).resolves.toEqual([{ ...issue, created: undefined }]);
    await expect(h.findOpenIssues(REPO, 'stratus-other')).resolves.toEqual([]);
    const comment = await h.commentOnIssue(REPO, issue.number, 'failed again');
    await expect(h.issueComments(REPO, issue.number)).resolves.toEqual([comment]);
    await h.closeIssue(REPO, issue.number);
    await h.closeIssue(REPO, issue.number);
    await expect(h.findOpenIssues(REPO, 'stratus-atomic-host')).resolves.toEqual([]);
    expect(gh.issues(REPO).find((i) => i.number === issue.number)).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(gh.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });
});

describe('pull requests with an idempotency marker', () => {
  const pr = { head: 'stratus/merge-v40-into-master-1', base: 'master', title: 'Merge v40 into master', body: 'please merge', marker: 'release-v40/merge-back-1' };

  it('opens once, hides the marker in the body, and finds the same pull request again after it was merged', async () => {
    const first = await host().createPullRequest(REPO, pr);
    expect(first).toMatchObject({ state: 'open', merged: false, created: true, head: pr.head, base: 'master' });
    expect(gh.pulls(REPO).find((p) => p.number === first.number)?.body).toBe('please merge\n\n<!-- stratus:key=release-v40/merge-back-1 -->');
    await expect(host().createPullRequest(REPO, pr)).resolves.toEqual({ ...first, created: false });
    await gh.mergePullRequest(REPO, first.number);
    const merged = await host().getPullRequest(REPO, first.number);
    expect(merged).toMatchObject({ state: 'merged', merged: true });
    expect(merged.mergeCommitSha).toMatch(/^[0-9a-f]{40}$/);
    await expect(host().createPullRequest(REPO, pr)).resolves.toMatchObject({ number: first.number, state: 'merged', created: false });
    expect(gh.pulls(REPO).filter((p) => p.head === pr.head)).toHaveLength(1);
  });

  it('opens one pull request when GitHub opened it and then answered 502', async () => {
    const again = { ...pr, head: 'stratus/merge-v41-into-master-1', marker: 'release-v41/merge-back-1' };
    gh.faults.failNext({ method: 'POST', path: /\/pulls$/, status: 502, afterProcessing: true });
    await expect(host().createPullRequest(REPO, again)).resolves.toMatchObject({ state: 'open' });
    expect(gh.pulls(REPO).filter((p) => p.head === again.head)).toHaveLength(1);
    expect(gh.faults.injected).toBeGreaterThanOrEqual(1);
  });

  it('refuses a marker that would end the hidden comment, before any request', async () => {
    const before = gh.requests.length;
    await expect(host().createPullRequest(REPO, { ...pr, marker: 'x-->y' })).rejects.toThrow('invalid idempotency key "x-->y"');
    expect(gh.requests.length).toBe(before);
  });
});

describe('collaborator permission', () => {
  it('reports the role of a login, "none" for a stranger, and a missing repository by name', async () => {
    await expect(host(DEV_TOKEN).collaboratorPermission(REPO, 'alice')).resolves.toBe('admin');
    await expect(host().collaboratorPermission(REPO, 'bob')).resolves.toBe('write');
    await expect(host().collaboratorPermission(REPO, 'mallory')).resolves.toBe('none');
    await expect(host().collaboratorPermission('cyverse/nope', 'alice')).rejects.toThrow(new RepoNotFoundError('cyverse/nope'));
    await expect(host().collaboratorPermission(REPO, '../x')).rejects.toThrow('invalid GitHub login "../x"');
  });
});
