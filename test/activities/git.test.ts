import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { join } from 'node:path';
import { createGitActivities, type TagReleaseResult } from '../../activities/git.js';
import { createGitVcs } from '../../clients/git.js';
import { commitOnBranch, createOrigin, originRef, originTag, tempDir, type OriginRepo } from '../support/git-repos.js';
import { protectOriginBranch } from '../workflows/release-train-support.js';

let root: { path: string; cleanup: () => Promise<void> };
let repos: Record<'atmosphere' | 'troposphere' | 'clank', OriginRepo>;
let activities: ReturnType<typeof createGitActivities>;

const TEMPLATE = 'v{version} ({codename}) release {n}.';

beforeAll(async () => {
  root = await tempDir();
  repos = {
    atmosphere: await createOrigin(root.path, 'atmosphere', { 'app.txt': 'one\ntwo\n' }),
    troposphere: await createOrigin(root.path, 'troposphere'),
    clank: await createOrigin(root.path, 'clank'),
  };
  const vcs = createGitVcs({
    cacheDir: join(root.path, 'cache'),
    committer: { name: 'stratus', email: 'stratus@example.org' },
    repos: [
      ...Object.values(repos).map((r) => ({ name: r.name, url: r.url })),
      { name: 'gone', url: join(root.path, 'gone.git') },
    ],
  });
  activities = createGitActivities({ vcs });
});

afterAll(async () => {
  await root.cleanup();
});

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
  throw new Error('expected a failure');
}

describe('cutReleaseBranch', () => {
  it('branches v<N> from master in every repo, and a second run finds them', async () => {
    const masters = await Promise.all([originRef(repos.atmosphere, 'master'), originRef(repos.troposphere, 'master')]);
    const first = await activities.cutReleaseBranch({ version: 31, repos: ['atmosphere', 'troposphere'] });
    expect(first).toEqual({
      branch: 'v31',
      repos: [
        { repo: 'atmosphere', status: 'created', sha: masters[0] },
        { repo: 'troposphere', status: 'created', sha: masters[1] },
      ],
    });
    expect(JSON.parse(JSON.stringify(first))).toEqual(first);
    expect(await originRef(repos.atmosphere, 'refs/heads/v31')).toBe(masters[0]);
    const second = await activities.cutReleaseBranch({ version: '31', repos: ['atmosphere', 'troposphere'] });
    expect(second.repos.map((r) => r.status)).toEqual(['exists', 'exists']);
  });

  it('a branch that exists elsewhere is a non-retryable BranchConflict; the other repos are still done', async () => {
    const elsewhere = await commitOnBranch(repos.troposphere, 'v32', { 'x.txt': 'x\n' }, 'someone else made v32');
    const f = await failure(activities.cutReleaseBranch({ version: 32, repos: ['atmosphere', 'troposphere'] }));
    expect(f.type).toBe('BranchConflict');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toMatch(/^branch v32 already exists in repo troposphere at [0-9a-f]{40}, not at [0-9a-f]{40}; refusing to move it$/);
    expect(f.details?.[0]).toMatchObject({
      repo: 'troposphere',
      branch: 'v32',
      existingSha: elsewhere,
      done: [{ repo: 'atmosphere', status: 'created' }],
      failures: [{ repo: 'troposphere', type: 'BranchConflict' }],
    });
    expect(await originRef(repos.atmosphere, 'refs/heads/v32')).not.toBeNull();
  });

  it('an invalid version is a non-retryable InvalidName naming the field', async () => {
    for (const version of ['abc', -1]) {
      const f = await failure(activities.cutReleaseBranch({ version, repos: ['atmosphere'] }));
      expect(f.type).toBe('InvalidName');
      expect(f.nonRetryable).toBe(true);
      expect(f.message).toBe(`version must be a positive whole number (e.g. 31), got "${version}"`);
      expect(f.details).toEqual([{ field: 'version', value: String(version) }]);
    }
  });

  it('an unreachable repo is a non-retryable RepoUnreachable naming the repo', async () => {
    const f = await failure(activities.cutReleaseBranch({ version: 31, repos: ['gone'] }));
    expect(f.type).toBe('RepoUnreachable');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toMatch(/^repo gone is unreachable at .*gone\.git: /);
  });
});

describe('tagRelease', () => {
  it('tags each repo on its release target in parallel, with the rendered message; re-running is a no-op', async () => {
    const input = {
      version: 31,
      n: 1,
      codename: 'zesty-zenaida',
      message: TEMPLATE,
      repos: [
        { repo: 'atmosphere', ref: 'v31' },
        { repo: 'troposphere', ref: 'v31' },
        { repo: 'clank', ref: 'master' },
      ],
    };
    const result = await activities.tagRelease(input);
    expect(result.tag).toBe('v31-1');
    expect(result.message).toBe('v31 (zesty-zenaida) release 1.');
    expect(result.repos.map((r) => [r.repo, r.status])).toEqual([
      ['atmosphere', 'created'],
      ['troposphere', 'created'],
      ['clank', 'created'],
    ]);
    expect(await originTag(repos.clank, 'v31-1')).toEqual({ type: 'tag', commit: await originRef(repos.clank, 'master'), message: 'v31 (zesty-zenaida) release 1.' });
    expect(await originTag(repos.atmosphere, 'v31-1')).toMatchObject({ commit: await originRef(repos.atmosphere, 'v31') });

    const again = await activities.tagRelease(input);
    expect(again.repos.map((r) => r.status)).toEqual(['exists', 'exists', 'exists']);
    expect(again.repos.map((r) => r.sha)).toEqual(result.repos.map((r) => r.sha));
  });

  it('a patch tag on a moved release branch conflicts with the SHAs, as a non-retryable TagConflict', async () => {
    const tagged = await originRef(repos.atmosphere, 'refs/tags/v31-1');
    const fix = await commitOnBranch(repos.atmosphere, 'v31', { 'app.txt': 'one\ntwo fixed\n' }, 'fix');
    const f = await failure(
      activities.tagRelease({ version: 31, n: 1, codename: 'zesty-zenaida', message: TEMPLATE, repos: [{ repo: 'atmosphere', ref: 'v31' }] }),
    );
    expect(f.type).toBe('TagConflict');
    expect(f.nonRetryable).toBe(true);
    expect(f.details).toEqual([{ repo: 'atmosphere', tag: 'v31-1', existingSha: tagged, wantedSha: fix }]);
    expect(f.message).toBe(`tag v31-1 already exists in repo atmosphere on commit ${tagged}, not on ${fix}; refusing to move it`);
  });

  it('heartbeats each finished repo and, on retry, skips the repos a previous attempt finished', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const input = { version: 31, n: 2, codename: 'zesty-zenaida', message: TEMPLATE, repos: [{ repo: 'atmosphere', ref: 'v31' }, { repo: 'clank', ref: 'master' }] };
    await env.run(activities.tagRelease, input);
    expect(beats).toHaveLength(2);
    expect(beats[1]).toMatchObject({ key: 'tag v31-2', done: expect.arrayContaining([expect.objectContaining({ repo: 'atmosphere' }), expect.objectContaining({ repo: 'clank' })]) });

    // A retried attempt of v31-3 whose previous attempt finished clank: clank is not touched again.
    const recorded = { repo: 'clank', status: 'created' as const, sha: 'f'.repeat(40) };
    const retry = new MockActivityEnvironment({ heartbeatDetails: { key: 'tag v31-3', done: [recorded] } });
    const result = (await retry.run(activities.tagRelease, { ...input, n: 3 })) as TagReleaseResult;
    expect(result.repos).toEqual([expect.objectContaining({ repo: 'atmosphere', status: 'created' }), recorded]);
    expect(await originTag(repos.clank, 'v31-3')).toBeNull();
    expect(await originTag(repos.atmosphere, 'v31-3')).toMatchObject({ message: 'v31 (zesty-zenaida) release 3.' });
  });

  it('bad templates and patch numbers are non-retryable InvalidName failures naming the field', async () => {
    const base = { version: 31, codename: 'x', repos: [{ repo: 'clank', ref: 'master' }] };
    const unknown = await failure(activities.tagRelease({ ...base, n: 4, message: 'v{version} {date}' }));
    expect(unknown.type).toBe('InvalidName');
    expect(unknown.message).toBe('message has unknown placeholder(s) {date} (known: {version}, {codename}, {n}), got "v{version} {date}"');
    const zero = await failure(activities.tagRelease({ ...base, n: 0, message: TEMPLATE }));
    expect(zero.message).toBe('n must be a positive whole number (1 for the release, 2+ for patches), got "0"');
    const noCodename = await failure(activities.tagRelease({ ...base, codename: undefined, n: 4, message: TEMPLATE }));
    expect(noCodename.message).toContain('codename is required because message uses {codename}');
  });
});

describe('mergeBranch', () => {
  it('trickles the release branch down into master, and reports a conflict without failing', async () => {
    await activities.cutReleaseBranch({ version: 40, repos: ['atmosphere'] });
    await commitOnBranch(repos.atmosphere, 'v40', { 'release.txt': 'r\n' }, 'release fix');
    const ok = await activities.mergeBranch({ repo: 'atmosphere', from: 'v40', into: 'master' });
    expect(ok).toMatchObject({ repo: 'atmosphere', from: 'v40', into: 'master', status: 'fast-forward' });
    expect(await activities.mergeBranch({ repo: 'atmosphere', from: 'v40', into: 'master' })).toMatchObject({ status: 'up-to-date' });

    await commitOnBranch(repos.atmosphere, 'v40', { 'app.txt': 'one\nTWO on v40\n' }, 'v40 edit');
    await commitOnBranch(repos.atmosphere, 'master', { 'app.txt': 'one\nTWO on master\n' }, 'master edit');
    const before = await originRef(repos.atmosphere, 'master');
    const conflict = await activities.mergeBranch({ repo: 'atmosphere', from: 'v40', into: 'master' });
    expect(conflict).toMatchObject({ repo: 'atmosphere', from: 'v40', into: 'master', status: 'conflict', files: ['app.txt'], sha: before });
    expect(await originRef(repos.atmosphere, 'master')).toBe(before);
  });

  it('a protected master: a non-retryable ProtectedBranch failure by default, status protected with onProtected: report; nothing pushed', async () => {
    await activities.cutReleaseBranch({ version: 46, repos: ['troposphere'] });
    const fix = await commitOnBranch(repos.troposphere, 'v46', { 'fix.txt': 'f\n' }, 'fix on v46');
    await protectOriginBranch(repos.troposphere);
    const before = await originRef(repos.troposphere, 'master');
    const f = await failure(activities.mergeBranch({ repo: 'troposphere', from: 'v46', into: 'master' }));
    expect(f.type).toBe('ProtectedBranch');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toMatch(/^push of refs\/heads\/master to repo troposphere was refused: the branch is protected \(.*GH006: Protected branch update failed/);
    const reported = await activities.mergeBranch({ repo: 'troposphere', from: 'v46', into: 'master', onProtected: 'report' });
    expect(reported).toMatchObject({ status: 'protected', sha: before, fromSha: fix, reason: expect.stringContaining('GH006') });
    expect(await originRef(repos.troposphere, 'master')).toBe(before);

    // the throw-away branch of the pull request: cut at v46's head, idempotent, v46 untouched
    const cut = { repo: 'troposphere', branch: 'stratus/merge-v46-into-master-1', sha: fix };
    expect(await activities.cutMergeBranch(cut)).toEqual({ repo: 'troposphere', status: 'created', sha: fix });
    expect(await activities.cutMergeBranch(cut)).toEqual({ repo: 'troposphere', status: 'exists', sha: fix });
    expect(await originRef(repos.troposphere, 'refs/heads/stratus/merge-v46-into-master-1')).toBe(fix);
    expect(await originRef(repos.troposphere, 'refs/heads/v46')).toBe(fix);
    const bad = await failure(activities.cutMergeBranch({ ...cut, branch: 'stratus/bad..name' }));
    expect(bad).toMatchObject({ type: 'InvalidName', message: expect.stringContaining('branch') });
  });

  it('a missing branch is a non-retryable RefNotFound', async () => {
    const f = await failure(activities.mergeBranch({ repo: 'clank', from: 'v77', into: 'master' }));
    expect(f.type).toBe('RefNotFound');
    expect(f.message).toBe('ref v77 does not exist in repo clank');
  });
});
