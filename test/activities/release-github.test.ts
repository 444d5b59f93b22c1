// The release train's merge pull requests and approver rule against the GitHub fake (a real bare
// origin behind it): one pull request per marker even when GitHub answered 5xx after opening it,
// and a refusal naming every repository the approver does not administer.
import { ApplicationFailure } from '@temporalio/common';
import { createReleaseGithubActivities, type OpenMergePullRequestInput } from '../../activities/release-github.js';
import { createGithubCodeHost } from '../../clients/github.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { commitOnBranch, createOrigin, tempDir, type OriginRepo } from '../support/git-repos.js';

const TOKEN = 'ghp_release_bot_token_2468';
let gh: FakeGithub;
let dir: Awaited<ReturnType<typeof tempDir>>;
let origin: OriginRepo;

beforeAll(async () => {
  dir = await tempDir('stratus-release-github-');
  origin = await createOrigin(dir.path, 'atmosphere');
  gh = await startFakeGithub({
    tokens: { [TOKEN]: 'stratus-bot' },
    repos: {
      'cyverse/atmosphere': { admins: ['alice'], writers: ['stratus-bot', 'bob'], git: origin.path },
      'cyverse/troposphere': { admins: ['alice', 'bob'], writers: ['stratus-bot'] },
    },
  });
});
afterAll(async () => {
  await gh?.close();
  await dir?.cleanup();
});
afterEach(() => gh.faults.reset());

const activities = () =>
  createReleaseGithubActivities({ codeHost: createGithubCodeHost({ token: TOKEN, baseUrl: gh.url, retryBaseDelayMs: 5, rateLimitSecondMs: 5, writeSpacingMs: 0 }) });

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('openMergePullRequest', () => {
  it('opens one pull request from the throw-away branch; a retry after GitHub opened it but answered 502 finds it by its marker', async () => {
    await commitOnBranch(origin, 'stratus/merge-v31-into-master-1', { 'fix.txt': 'fix\n' }, 'fix');
    const input: OpenMergePullRequestInput = {
      repo: 'cyverse/atmosphere', head: 'stratus/merge-v31-into-master-1', base: 'master', from: 'v31', reason: 'conflict',
      title: 'trickle-down: merge v31 into master', conflicts: ['app.txt'], marker: 'release-v31/atmosphere/stratus/merge-v31-into-master-1',
    };
    gh.faults.failNext({ method: 'POST', path: /\/pulls$/, status: 502, afterProcessing: true });
    const first = await activities().openMergePullRequest(input);
    expect(first.created).toBe(false); // the 502 was answered after opening it: the retry found it
    const again = await activities().openMergePullRequest(input);
    expect(again).toEqual({ ...first, created: false });
    const pulls = gh.pulls('cyverse/atmosphere');
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ head: input.head, base: 'master', state: 'open', number: first.number });
    expect(pulls[0].body).toContain('- `app.txt`');
    expect(pulls[0].body).toContain('Resolve the conflict on this branch (`stratus/merge-v31-into-master-1`, cut from `v31`; `v31` itself stays as it is)');
  });

  it('a bad branch name is a non-retryable InvalidName naming the field', async () => {
    const f = await failure(activities().openMergePullRequest({
      repo: 'cyverse/atmosphere', head: 'bad..name', base: 'master', from: 'v31', reason: 'protected', title: 't', marker: 'release-v31/x',
    }));
    expect(f).toMatchObject({ type: 'InvalidName', nonRetryable: true });
    expect(f.message).toContain('head branch');
  });
});

describe('checkApproverRights', () => {
  it('passes for an admin of every repository', async () => {
    await expect(activities().checkApproverRights({ login: 'alice', repos: ['cyverse/atmosphere', 'cyverse/troposphere'] }))
      .resolves.toEqual({ login: 'alice', repos: ['cyverse/atmosphere', 'cyverse/troposphere'] });
  });

  it('refuses non-retryably naming exactly the repositories the login does not administer (unknown logins too)', async () => {
    const bob = await failure(activities().checkApproverRights({ login: 'bob', repos: ['cyverse/atmosphere', 'cyverse/troposphere'] }));
    expect(bob).toMatchObject({ type: 'NotAdmin', nonRetryable: true, details: [{ user: 'bob', repos: ['cyverse/atmosphere'] }] });
    expect(bob.message).toBe('bob may not approve this release: only admins of the repositories to be tagged may, and bob is not an admin of cyverse/atmosphere');
    const nobody = await failure(activities().checkApproverRights({ login: 'mallory', repos: ['cyverse/atmosphere', 'cyverse/troposphere'] }));
    expect(nobody.message).toMatch(/mallory is not an admin of cyverse\/atmosphere, cyverse\/troposphere$/);
  });

  it('a login GitHub cannot have is refused naming the field', async () => {
    const f = await failure(activities().checkApproverRights({ login: 'not_a.github@login', repos: ['cyverse/atmosphere'] }));
    expect(f).toMatchObject({ type: 'InvalidName', nonRetryable: true });
    expect(f.message).toContain('GitHub login');
  });
});
