import { ApplicationFailure } from '@temporalio/common';
import { createGithubActivities, type GithubActivities } from '../../activities/github.js';
import { createGithubCodeHost } from '../../clients/github.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';

const ADMIN = 'ghp_admin_token_abcdef';
const DEV = 'ghp_dev_token_uvwxyz';

let gh: FakeGithub;

beforeAll(async () => {
  gh = await startFakeGithub({
    tokens: { [ADMIN]: 'alice', [DEV]: 'bob' },
    repos: { 'cyverse/atmosphere': { admins: ['alice'], writers: ['bob'] }, 'cyverse/troposphere': { admins: ['alice'], writers: ['bob'] } },
  });
});
afterAll(() => gh.close());
afterEach(() => gh.faults.reset());

function activities(token = ADMIN): GithubActivities {
  return createGithubActivities({ codeHost: createGithubCodeHost({ token, baseUrl: gh.url, retryBaseDelayMs: 5, rateLimitSecondMs: 5, writeSpacingMs: 0 }) });
}

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('checkAdminRights', () => {
  it('passes for an admin of every repo', async () => {
    await expect(activities().checkAdminRights({ repos: ['cyverse/atmosphere', 'cyverse/troposphere'] }))
      .resolves.toEqual({ user: 'alice', repos: ['cyverse/atmosphere', 'cyverse/troposphere'] });
  });

  it('fails non-retryably naming the user and every repo they do not administer', async () => {
    const f = await failure(activities(DEV).checkAdminRights({ repos: ['cyverse/atmosphere', 'cyverse/troposphere'] }));
    expect(f).toMatchObject({ type: 'NotAdmin', nonRetryable: true, details: [{ user: 'bob', repos: ['cyverse/atmosphere', 'cyverse/troposphere'] }] });
    expect(f.message).toBe('GitHub user bob is not an admin of cyverse/atmosphere, cyverse/troposphere; only repository admins may tag releases');
    const one = await failure(activities(DEV).checkAdminRights({ repos: ['cyverse/atmosphere'] }));
    expect(one.message).toBe('GitHub user bob is not an admin of cyverse/atmosphere; only repository admins may tag releases');
  });

  it('fails non-retryably on a bad token without putting the token anywhere', async () => {
    const token = 'ghp_this_one_is_wrong_555';
    const f = await failure(activities(token).checkAdminRights({ repos: ['cyverse/atmosphere'] }));
    expect(f).toMatchObject({ type: 'Unauthorized', nonRetryable: true });
    expect(f.message).toContain('GitHub rejected the credentials');
    expect(JSON.stringify({ message: f.message, details: f.details, stack: f.stack })).not.toContain(token);
  });
});

describe('createGithubRelease', () => {
  it('creates the release once; a retried step gets the same one back', async () => {
    const input = { repo: 'cyverse/atmosphere', tag: 'v31-1', name: 'v31 (zesty-zapdos)', body: '# v31 (zesty-zapdos)\n' };
    const first = await activities().createGithubRelease(input);
    const second = await activities().createGithubRelease(input);
    expect(first.created).toBe(true);
    expect(second).toEqual({ ...first, created: false });
    expect(gh.releases('cyverse/atmosphere').filter((r) => r.tag_name === 'v31-1')).toHaveLength(1);
  });

  it('asks Temporal to come back after Retry-After when GitHub keeps rate limiting', async () => {
    gh.secondaryRateLimitNext({ status: 429, retryAfter: 3600 });
    const f = await failure(activities().createGithubRelease({ repo: 'cyverse/atmosphere', tag: 'v31-2', name: 'v31', body: '' }));
    expect(f).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: '3600s' });
  });

  it('a secondary limit without Retry-After is not slept in the activity: Temporal retries in 60 s', async () => {
    gh.secondaryRateLimitNext({ status: 403 });
    const f = await failure(activities().createGithubRelease({ repo: 'cyverse/atmosphere', tag: 'v31-5', name: 'v31', body: '' }));
    expect(f).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: '60s' });
  });

  it('stops non-retryably when GitHub\'s tag is on another commit than the one tagged', async () => {
    await gh.setRef('cyverse/atmosphere', 'tags/v31-6', 'b'.repeat(40));
    const f = await failure(activities().createGithubRelease({ repo: 'cyverse/atmosphere', tag: 'v31-6', name: 'v31', body: '', commit: 'a'.repeat(40) }));
    expect(f).toMatchObject({ type: 'TagMismatch', nonRetryable: true, details: [{ repo: 'cyverse/atmosphere', tag: 'v31-6', expected: 'a'.repeat(40), actual: 'b'.repeat(40) }] });
    expect(f.message).toContain('not at the tagged commit');
  });

  it('rejects an invalid tag non-retryably, naming it', async () => {
    const f = await failure(activities().createGithubRelease({ repo: 'cyverse/atmosphere', tag: 'v31 1', name: 'v31', body: '' }));
    expect(f).toMatchObject({ type: 'InvalidName', nonRetryable: true, details: [{ field: 'tag', value: 'v31 1' }] });
    expect(f.message).toContain('invalid tag "v31 1"');
  });

  it('reports an unknown repository by name', async () => {
    const f = await failure(activities().createGithubRelease({ repo: 'cyverse/gone', tag: 'v31-1', name: 'v31', body: '' }));
    expect(f).toMatchObject({ type: 'RepoNotFound', nonRetryable: true, details: [{ repo: 'cyverse/gone' }] });
  });
});

describe('merge conflict pull requests', () => {
  it('opens one pull request listing the conflicts, and sees it merged', async () => {
    const input = { repo: 'cyverse/troposphere', head: 'v31', base: 'master', conflicts: ['src/app.js', 'README.md'] };
    const pr = await activities(DEV).openMergeConflictPullRequest(input);
    await expect(activities(DEV).openMergeConflictPullRequest(input)).resolves.toEqual({ ...pr, created: false });
    const stored = gh.pulls('cyverse/troposphere');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ title: 'Merge v31 into master', head: 'v31', base: 'master' });
    expect(stored[0].body).toContain('- `src/app.js`\n- `README.md`');

    await expect(activities(DEV).pullRequestMerged({ repo: 'cyverse/troposphere', number: pr.number })).resolves.toEqual({ state: 'open', merged: false });
    await gh.mergePull('cyverse/troposphere', pr.number);
    await expect(activities(DEV).pullRequestMerged({ repo: 'cyverse/troposphere', number: pr.number })).resolves.toEqual({ state: 'merged', merged: true });
  });
});
