// The fake's protected branches and pull-request merges on a real bare origin: what the release
// train meets on an organisation's GitHub (pushes to master refused, merges only through PRs).
import { createGithubCodeHost } from '../../clients/github.js';
import { startFakeGithub, type FakeGithub } from './github.js';
import { commitOnBranch, createOrigin, git, originRef, tempDir, type OriginRepo } from '../support/git-repos.js';

const REPO = 'cyverse/atmosphere';
let gh: FakeGithub;
let dir: { path: string; cleanup: () => Promise<void> };
let origin: OriginRepo;

beforeAll(async () => {
  dir = await tempDir();
  origin = await createOrigin(dir.path, 'atmosphere');
  gh = await startFakeGithub({ tokens: { ghp_alice: 'alice' }, repos: { [REPO]: { admins: ['alice'], git: origin.path } } });
});
afterAll(async () => {
  await gh.close();
  await dir.cleanup();
});

async function pushError(branch: string): Promise<string> {
  return commitOnBranch(origin, branch, { [`${branch}-${Date.now()}.txt`]: 'x\n' }, 'direct push').then(() => 'accepted', (e: unknown) => String(e));
}

it('refuses pushes to a protected master with GitHub\'s GH006 message, and a ruleset with GH013', async () => {
  await gh.protectBranch(REPO, 'master', 'branch-protection');
  const before = await originRef(origin, 'master');
  expect(await pushError('master')).toContain('remote: error: GH006: Protected branch update failed for refs/heads/master.');
  await expect(originRef(origin, 'master')).resolves.toBe(before);
  expect(await pushError('v31')).toBe('accepted');
  await gh.protectBranch(REPO, 'master', 'ruleset');
  expect(await pushError('master')).toContain('remote: error: GH013: Repository rule violations found for refs/heads/master.');
  await gh.protectBranch(REPO, 'master', null);
  expect(await pushError('master')).toBe('accepted');
});

it('merges a pull request for real in the bare repo, protected master or not', async () => {
  await gh.protectBranch(REPO, 'master', 'branch-protection');
  const head = await commitOnBranch(origin, 'stratus/merge-v31-into-master-1', { 'fix.txt': 'fix\n' }, 'fix', 'v31');
  const host = createGithubCodeHost({ token: 'ghp_alice', baseUrl: gh.url, retryBaseDelayMs: 5, writeSpacingMs: 0 });
  const pr = await host.createPullRequest(REPO, { head: 'stratus/merge-v31-into-master-1', base: 'master', title: 'Merge v31', body: '', marker: 'release-v31/merge-1' });
  await expect(host.getPullRequest(REPO, pr.number)).resolves.toMatchObject({ state: 'open' });
  await gh.mergePullRequest(REPO, pr.number);
  const merged = await host.getPullRequest(REPO, pr.number);
  expect(merged).toMatchObject({ state: 'merged', merged: true });
  await expect(originRef(origin, 'master')).resolves.toBe(merged.mergeCommitSha);
  const parents = (await git(origin.path, ['rev-list', '--parents', '-n', '1', merged.mergeCommitSha!])).split(' ').slice(1);
  expect(parents).toContain(head);
  await expect(git(origin.path, ['show', `${merged.mergeCommitSha}:fix.txt`])).resolves.toBe('fix');
});
