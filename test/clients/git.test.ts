import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { access, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BranchConflictError,
  InvalidNameError,
  ProtectedBranchError,
  PushRejectedError,
  RefNotFoundError,
  RepoUnreachableError,
  TagConflictError,
  UnknownRepoError,
  createGitVcs,
  type Vcs,
} from '../../clients/git.js';
import { commitFiles, commitOnBranch, createOrigin, git, originRef, originRefs, originTag, tempDir, type OriginRepo } from '../support/git-repos.js';

let root: { path: string; cleanup: () => Promise<void> };
let cacheDir: string;
let atmosphere: OriginRepo;
let clank: OriginRepo;
let vcs: Vcs;

beforeAll(async () => {
  root = await tempDir();
  cacheDir = join(root.path, 'cache');
  atmosphere = await createOrigin(root.path, 'atmosphere', { 'app.txt': 'line one\nline two\n', 'README.md': 'atmosphere\n' });
  clank = await createOrigin(root.path, 'clank');
  vcs = createGitVcs({
    cacheDir,
    committer: { name: 'Release Bot', email: 'release@example.org' },
    repos: [
      { name: 'atmosphere', url: atmosphere.path }, // a plain path
      { name: 'clank', url: clank.url }, // a file:// URL
      { name: 'ghost', url: join(root.path, 'does-not-exist.git') },
      { name: 'private', url: 'https://release-bot:s3cr3t-t0ken@127.0.0.1:1/cyverse/private.git' },
    ],
  });
});

afterAll(async () => {
  await root.cleanup();
});

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('mirror cache', () => {
  it('clones a mirror once and fetches afterwards, seeing new commits and pruned tags', async () => {
    expect(await vcs.headOf('clank', 'master')).toBe(await originRef(clank, 'refs/heads/master'));
    const mirror = join(cacheDir, 'clank.git');
    await writeFile(join(mirror, 'stratus-marker'), 'a re-clone would remove me');

    const newHead = await commitOnBranch(clank, 'master', { 'b.txt': 'b\n' }, 'second commit');
    await git(clank.path, ['tag', 'stale', newHead]);
    expect(await vcs.headOf('clank', 'master')).toBe(newHead);
    expect(await vcs.listTags('clank')).toContain('stale');

    await git(clank.path, ['tag', '-d', 'stale']);
    expect(await vcs.listTags('clank')).not.toContain('stale');
    await expect(access(join(mirror, 'stratus-marker'))).resolves.toBeUndefined();
    expect((await readdir(cacheDir)).filter((f) => f.startsWith('.clone-'))).toEqual([]);
  });

  it('a missing branch is a RefNotFoundError naming repo and branch', async () => {
    const error = await caught(vcs.headOf('clank', 'v99'));
    expect(error).toBeInstanceOf(RefNotFoundError);
    expect(error.message).toBe('ref v99 does not exist in repo clank');
  });

  it('a repo URL that does not resolve names the repo and the URL', async () => {
    const error = await caught(vcs.headOf('ghost', 'master'));
    expect(error).toBeInstanceOf(RepoUnreachableError);
    expect(error.message).toMatch(/^repo ghost is unreachable at .*does-not-exist\.git: .*does not exist/);
    expect(await readdir(cacheDir)).not.toContain('ghost.git');
  });

  it('credentials in a URL never appear in the error', async () => {
    const error = await caught(vcs.headOf('private', 'master'));
    expect(error).toBeInstanceOf(RepoUnreachableError);
    expect(error.message).toContain('repo private is unreachable at https://***@127.0.0.1:1/cyverse/private.git');
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain('s3cr3t');
    expect((error as RepoUnreachableError).url).toBe('https://***@127.0.0.1:1/cyverse/private.git');
  });

  it('unknown repos and bad names are refused before git runs', async () => {
    expect(await caught(vcs.headOf('nope', 'master'))).toBeInstanceOf(UnknownRepoError);
    expect((await caught(vcs.headOf('nope', 'master'))).message).toBe('repo "nope" is not configured (known: atmosphere, clank, ghost, private)');
    const bad = await caught(vcs.ensureBranch('clank', '--upload-pack=touch /tmp/pwned', 'master'));
    expect(bad).toBeInstanceOf(InvalidNameError);
    expect(bad.message).toBe('branch is not a valid git ref name: it must not start with "-", got "--upload-pack=touch /tmp/pwned"');
    expect((await caught(vcs.ensureAnnotatedTag('clank', 'v1..2', 'master', 'x'))).message).toContain('tag is not a valid git ref name: it must not contain ".."');
    expect(() => createGitVcs({ cacheDir, committer: { name: 'a', email: 'a@b' }, repos: [{ name: '../escape', url: '/x' }] })).toThrow(
      'repo must be letters, digits',
    );
  });
});

describe('ensureBranch', () => {
  it('creates the branch on the origin, then reports it exists', async () => {
    const master = await originRef(atmosphere, 'refs/heads/master');
    expect(await vcs.ensureBranch('atmosphere', 'v31', 'master')).toEqual({ status: 'created', branch: 'v31', sha: master });
    expect(await originRef(atmosphere, 'refs/heads/v31')).toBe(master);
    expect(await vcs.ensureBranch('atmosphere', 'v31', 'master')).toEqual({ status: 'exists', branch: 'v31', sha: master });
  });

  it('a branch that exists elsewhere is a BranchConflictError with both SHAs, and is left alone', async () => {
    const moved = await commitOnBranch(atmosphere, 'v30', { 'README.md': 'v30 only\n' }, 'work on v30');
    const master = (await originRef(atmosphere, 'refs/heads/master'))!;
    const error = await caught(vcs.ensureBranch('atmosphere', 'v30', 'master'));
    expect(error).toBeInstanceOf(BranchConflictError);
    expect(error).toMatchObject({ repo: 'atmosphere', branch: 'v30', existingSha: moved, wantedSha: master });
    expect(error.message).toBe(`branch v30 already exists in repo atmosphere at ${moved}, not at ${master}; refusing to move it`);
    expect(await originRef(atmosphere, 'refs/heads/v30')).toBe(moved);
  });

  it('a from-ref that does not exist is named', async () => {
    expect((await caught(vcs.ensureBranch('atmosphere', 'v40', 'no-such-branch'))).message).toBe('ref no-such-branch does not exist in repo atmosphere');
  });
});

describe('ensureAnnotatedTag', () => {
  it('creates and pushes an annotated tag, and running it twice gives the same result', async () => {
    const head = await originRef(clank, 'refs/heads/master');
    const message = 'v31 (zesty-zenaida) release 1.';
    expect(await vcs.ensureAnnotatedTag('clank', 'v31-1', 'master', message)).toEqual({ status: 'created', tag: 'v31-1', sha: head });
    expect(await originTag(clank, 'v31-1')).toEqual({ type: 'tag', commit: head, message });
    const tagObject = await originRef(clank, 'refs/tags/v31-1^{tag}');

    expect(await vcs.ensureAnnotatedTag('clank', 'v31-1', 'master', message)).toEqual({ status: 'exists', tag: 'v31-1', sha: head });
    expect(await originRef(clank, 'refs/tags/v31-1^{tag}')).toBe(tagObject);
    const tagger = await git(clank.path, ['for-each-ref', '--format=%(taggername) %(taggeremail)', 'refs/tags/v31-1']);
    expect(tagger).toBe('Release Bot <release@example.org>');
  });

  it('a tag on another commit is a TagConflictError with the SHAs; the origin tag is untouched', async () => {
    const before = (await originRef(clank, 'refs/heads/master'))!;
    const after = await commitOnBranch(clank, 'master', { 'fix.txt': 'fix\n' }, 'a fix');
    const error = await caught(vcs.ensureAnnotatedTag('clank', 'v31-1', 'master', 'v31 (zesty-zenaida) release 1.'));
    expect(error).toBeInstanceOf(TagConflictError);
    expect(error).toMatchObject({ repo: 'clank', tag: 'v31-1', existingSha: before, wantedSha: after });
    expect(error.message).toBe(`tag v31-1 already exists in repo clank on commit ${before}, not on ${after}; refusing to move it`);
    expect(await originRef(clank, 'refs/tags/v31-1')).toBe(before);
  });

  it('same target but another message, or a lightweight tag, is also a conflict', async () => {
    const head = (await originRef(clank, 'refs/heads/master'))!;
    await vcs.ensureAnnotatedTag('clank', 'v31-2', head, 'v31 (zesty-zenaida) release 2.');
    const error = await caught(vcs.ensureAnnotatedTag('clank', 'v31-2', head, 'v31 release 2.'));
    expect(error).toBeInstanceOf(TagConflictError);
    expect(error.message).toBe(`tag v31-2 already exists in repo clank on ${head} but with another message: "v31 (zesty-zenaida) release 2."`);

    await git(clank.path, ['tag', 'v31-3', head]);
    expect((await caught(vcs.ensureAnnotatedTag('clank', 'v31-3', head, 'm'))).message).toBe(`tag v31-3 already exists in repo clank on ${head} but is not annotated`);
  });

  it('concurrent calls for the same tag serialize: one creates, one finds it', async () => {
    const results = await Promise.all([
      vcs.ensureAnnotatedTag('clank', 'v32-1', 'master', 'v32 release 1.'),
      vcs.ensureAnnotatedTag('clank', 'v32-1', 'master', 'v32 release 1.'),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['created', 'exists']);
  });

  it('a push the origin declines is a PushRejectedError; the mirror drops its local tag and a later run succeeds', async () => {
    const hook = join(clank.path, 'hooks', 'pre-receive');
    await writeFile(hook, '#!/bin/sh\necho "tags are frozen today" >&2\nexit 1\n', { mode: 0o755 });
    const error = await caught(vcs.ensureAnnotatedTag('clank', 'v34-1', 'master', 'v34 release 1.'));
    expect(error).toBeInstanceOf(PushRejectedError);
    expect(error.message).toMatch(/^push of refs\/tags\/v34-1 to repo clank was rejected: .*tags are frozen today/);
    expect(await originRef(clank, 'refs/tags/v34-1')).toBeNull();
    expect(await vcs.listTags('clank')).not.toContain('v34-1');

    await rm(hook);
    expect((await vcs.ensureAnnotatedTag('clank', 'v34-1', 'master', 'v34 release 1.')).status).toBe('created');
  });

  it('an empty message is refused', async () => {
    expect((await caught(vcs.ensureAnnotatedTag('clank', 'v33-1', 'master', '  \n'))).message).toBe('message must be a non-empty tag message, got "  \\n"');
  });
});

describe('merge', () => {
  it('fast-forwards when into is behind, then is up to date', async () => {
    await vcs.ensureBranch('atmosphere', 'v41', 'master');
    const fix = await commitOnBranch(atmosphere, 'v41', { 'notes.txt': 'fix on v41\n' }, 'fix on v41');
    expect(await vcs.merge('atmosphere', 'v41', 'master', "Merge branch 'v41'")).toEqual({ status: 'fast-forward', sha: fix, fromSha: fix });
    expect(await originRef(atmosphere, 'refs/heads/master')).toBe(fix);
    expect(await vcs.merge('atmosphere', 'v41', 'master', "Merge branch 'v41'")).toEqual({ status: 'up-to-date', sha: fix, fromSha: fix });
  });

  it('makes a merge commit when both sides moved, and pushes it', async () => {
    await vcs.ensureBranch('atmosphere', 'v42', 'master');
    const fix = await commitOnBranch(atmosphere, 'v42', { 'v42.txt': 'release fix\n' }, 'release fix');
    const feature = await commitOnBranch(atmosphere, 'master', { 'feature.txt': 'feature\n' }, 'feature');
    const result = await vcs.merge('atmosphere', 'v42', 'master', "Merge branch 'v42' into master");
    expect(result.status).toBe('merged');
    expect(await originRef(atmosphere, 'refs/heads/master')).toBe(result.sha);
    const parents = await git(atmosphere.path, ['log', '-1', '--format=%P %s', result.sha]);
    expect(parents).toBe(`${feature} ${fix} Merge branch 'v42' into master`);
    expect(await vcs.merge('atmosphere', 'v42', 'master', 'again')).toEqual({ status: 'up-to-date', sha: result.sha, fromSha: fix });
  });

  it('a real conflict is aborted and reported; the origin is unchanged and no worktree is left', async () => {
    await vcs.ensureBranch('atmosphere', 'v43', 'master');
    await commitOnBranch(atmosphere, 'v43', { 'app.txt': 'line one\nline two fixed on v43\n' }, 'fix app on v43');
    await commitOnBranch(atmosphere, 'master', { 'app.txt': 'line one\nline two changed on master\n', 'other.txt': 'x\n' }, 'change app on master');
    const before = await originRefs(atmosphere);

    const result = await vcs.merge('atmosphere', 'v43', 'master', "Merge branch 'v43' into master");
    expect(result).toEqual({ status: 'conflict', files: ['app.txt'], sha: before['refs/heads/master'], fromSha: before['refs/heads/v43'] });
    expect(await originRefs(atmosphere)).toEqual(before);
    const worktrees = await git(join(cacheDir, 'atmosphere.git'), ['worktree', 'list', '--porcelain']);
    expect(worktrees.split('\n').filter((l) => l.startsWith('worktree '))).toHaveLength(1);
    expect((await readdir(cacheDir)).filter((f) => f.startsWith('.merge-'))).toEqual([]);

    // Resolving the conflict on the release branch lets the next merge through.
    await git(atmosphere.work, ['fetch', '-q', 'origin']);
    await git(atmosphere.work, ['checkout', '-q', '-B', 'v43', 'origin/v43']);
    await git(atmosphere.work, ['merge', '-q', '-s', 'ours', '-m', 'resolve', 'origin/master']);
    await commitFiles(atmosphere.work, { 'app.txt': 'line one\nline two resolved\n' }, 'resolved');
    await git(atmosphere.work, ['push', '-q', 'origin', 'HEAD:refs/heads/v43']);
    expect((await vcs.merge('atmosphere', 'v43', 'master', 'after resolve')).status).toBe('fast-forward');
  });

  it('push: false only finds out: mergeable (fast-forward or merge commit), and the origin is unchanged', async () => {
    await vcs.ensureBranch('atmosphere', 'v44', 'master');
    const fix = await commitOnBranch(atmosphere, 'v44', { 'v44.txt': 'fix\n' }, 'fix on v44');
    let before = await originRefs(atmosphere);
    expect(await vcs.merge('atmosphere', 'v44', 'master', 'm', { push: false })).toEqual({ status: 'mergeable', sha: before['refs/heads/master'], fromSha: fix });
    await commitOnBranch(atmosphere, 'master', { 'other44.txt': 'x\n' }, 'master moves');
    before = await originRefs(atmosphere);
    expect(await vcs.merge('atmosphere', 'v44', 'master', 'm', { push: false })).toMatchObject({ status: 'mergeable', sha: before['refs/heads/master'] });
    expect(await originRefs(atmosphere)).toEqual(before);
    expect((await readdir(cacheDir)).filter((f) => f.startsWith('.merge-'))).toEqual([]);
  });

  it.each([
    ['GH006', 'error: GH006: Protected branch update failed for refs/heads/master.\nerror: Changes must be made through a pull request.'],
    ['GH013', 'error: GH013: Repository rule violations found for refs/heads/master.\n- Changes must be made through a pull request.'],
  ])('a push refused as a protected branch (%s) is reported as protected, and nothing changes; tags are refused with ProtectedBranchError', async (code, said) => {
    const repo = await createOrigin(root.path, `guarded-${code}`);
    await writeFile(join(repo.path, 'hooks', 'pre-receive'), `#!/bin/sh\nwhile read old new ref; do\n  case "$ref" in refs/heads/master|refs/tags/*) printf '%s\\n' "${said.replace(/\n/g, '" "')}" >&2; exit 1;; esac\ndone\n`, { mode: 0o755 });
    const guarded = createGitVcs({ cacheDir, committer: { name: 'Release Bot', email: 'release@example.org' }, repos: [{ name: repo.name, url: repo.url }] });
    await guarded.ensureBranch(repo.name, 'v45', 'master');
    const fix = await commitOnBranch(repo, 'v45', { 'fix.txt': 'fix\n' }, 'fix on v45');
    const before = await originRefs(repo);
    const result = await guarded.merge(repo.name, 'v45', 'master', 'm');
    expect(result).toMatchObject({ status: 'protected', sha: before['refs/heads/master'], fromSha: fix, reason: expect.stringContaining(code) });
    expect(await originRefs(repo)).toEqual(before);
    expect(await guarded.headOf(repo.name, 'master')).toBe(before['refs/heads/master']); // the mirror was not moved either
    const refused = await caught(guarded.ensureAnnotatedTag(repo.name, 'v45-1', 'v45', 'v45 release 1.'));
    expect(refused).toBeInstanceOf(ProtectedBranchError);
    expect(refused.message).toMatch(new RegExp(`^push of refs/tags/v45-1 to repo ${repo.name} was refused: the branch is protected \\(.*${code}`));
  });

  it('merging a branch that does not exist names it', async () => {
    expect((await caught(vcs.merge('atmosphere', 'v99', 'master', 'm'))).message).toBe('ref v99 does not exist in repo atmosphere');
  });
});
