import { createGithubCodeHost, type CodeHost } from '../../clients/github.js';
import { NotPermittedError, RateLimitedError, RequestRejectedError, TagMismatchError } from '../../clients/github-errors.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { commitFiles, createOrigin, git, originRef, tempDir, type OriginRepo } from '../support/git-repos.js';

const TOKEN = 'ghp_admin_releases_0123';
const NO_SCOPE = 'ghp_classic_without_repo_scope';
const REPO = 'cyverse/atmosphere';
const GIT_REPO = 'cyverse/troposphere';

let gh: FakeGithub;
let dir: { path: string; cleanup: () => Promise<void> };
let origin: OriginRepo;

beforeAll(async () => {
  dir = await tempDir();
  origin = await createOrigin(dir.path, 'troposphere');
  gh = await startFakeGithub({
    tokens: { [TOKEN]: 'alice', [NO_SCOPE]: { login: 'alice', scopes: ['read:org'] } },
    repos: { [REPO]: { admins: ['alice'] }, [GIT_REPO]: { admins: ['alice'], git: origin.path } },
  });
});
afterAll(async () => {
  await gh.close();
  await dir.cleanup();
});
afterEach(() => gh.faults.reset());

function host(token = TOKEN, extra: { remainingMs?: () => number } = {}): CodeHost {
  return createGithubCodeHost({ token, baseUrl: gh.url, retryBaseDelayMs: 5, rateLimitSecondMs: 5, writeSpacingMs: 0, timeoutMs: 2000, ...extra });
}

const sha = (c: string): string => c.repeat(40);

describe('releases of the right commit', () => {
  it('creates a missing tag at the tagged commit, not at the default branch head', async () => {
    await host().ensureRelease(REPO, 'v50-1', 'v50', 'notes', { commit: sha('a') });
    await expect(gh.ref(REPO, 'tags/v50-1')).resolves.toBe(sha('a'));
    expect(gh.releases(REPO).find((r) => r.tag_name === 'v50-1')).toMatchObject({ target_commitish: sha('a') });
  });

  it('models GitHub: without target_commitish the tag is made at the default branch head', async () => {
    await host().ensureRelease(REPO, 'v50-2', 'v50', 'notes');
    await expect(gh.ref(REPO, 'tags/v50-2')).resolves.toBe(await gh.ref(REPO, 'heads/master'));
  });

  it('stops, naming both commits, when GitHub already has the tag elsewhere', async () => {
    await gh.setRef(REPO, 'tags/v50-3', sha('b'));
    const err = await host().ensureRelease(REPO, 'v50-3', 'v50', 'notes', { commit: sha('c') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TagMismatchError);
    expect((err as Error).message).toBe(`GitHub's tag v50-3 in ${REPO} points at ${sha('b')}, not at the tagged commit ${sha('c')}; the release would ship the wrong commit (is origin a mirror that lags GitHub?)`);
  });

  it('peels an annotated tag pushed to a git-backed repository and accepts it', async () => {
    const commit = await commitFiles(origin.work, { 'a.txt': 'a\n' }, 'a change');
    await git(origin.work, ['tag', '-a', '-m', 'v51-1 (tag message)', 'v51-1', commit]);
    await git(origin.work, ['push', '-q', 'origin', 'refs/tags/v51-1']);
    await expect(host().ensureRelease(GIT_REPO, 'v51-1', 'v51', 'notes', { commit })).resolves.toMatchObject({ created: true });
    await expect(host().ensureRelease(GIT_REPO, 'v51-1', 'v51', 'notes', { commit })).resolves.toMatchObject({ created: false });
    const other = await originRef(origin, 'master');
    const err = await host().ensureRelease(GIT_REPO, 'v51-1', 'v51', 'notes', { commit: sha('d') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TagMismatchError', actual: commit });
    expect(other).not.toBeNull();
  });

  it('creates one release when GitHub created it and then answered 502', async () => {
    gh.faults.failNext({ method: 'POST', path: /\/releases$/, status: 502, afterProcessing: true });
    await expect(host().ensureRelease(REPO, 'v50-4', 'v50', 'notes', { commit: sha('e') })).resolves.toMatchObject({ tag: 'v50-4' });
    expect(gh.releases(REPO).filter((r) => r.tag_name === 'v50-4')).toHaveLength(1);
    expect(gh.faults.injected).toBeGreaterThanOrEqual(1);
  });

  it('refuses a commit that is not a full SHA before any request', async () => {
    await expect(host().ensureRelease(REPO, 'v50-5', 'v50', '', { commit: 'master' })).rejects.toThrow('invalid commit "master": expected a full 40-character SHA');
  });
});

describe('errors that say what happened', () => {
  it('calls a 404 on creating a release of a readable repo "not permitted", naming the scopes', async () => {
    const err = await host(NO_SCOPE).ensureRelease(REPO, 'v52-1', 'v52', 'notes', { commit: sha('a') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotPermittedError);
    expect((err as Error).message).toBe(`GitHub did not permit creating the release v52-1 of ${REPO} (HTTP 404 although ${REPO} is readable): not permitted (token lacks contents:write / repo scope?) (the token's scopes: read:org; this needs one of: repo)`);
  });

  it('puts the 422 errors[] details into the message', async () => {
    const err = await host().ensureRelease(GIT_REPO, 'v52-2', 'v52', 'notes', { commit: sha('f') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestRejectedError);
    expect((err as Error).message).toContain('Validation Failed: Release.target_commitish invalid');
  });

  it('does not sleep a secondary rate limit without Retry-After in-process: fails with 60 s for the retry', async () => {
    gh.secondaryRateLimitNext({ status: 403 });
    const before = gh.faults.injected;
    const err = await host().ensureRelease(REPO, 'v52-3', 'v52', 'notes').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({ retryAfterSeconds: 60 });
    expect(gh.faults.injected - before).toBe(1);
  });

  it('does not wait out a Retry-After that does not fit in the activity time left', async () => {
    gh.secondaryRateLimitNext({ status: 429, retryAfter: 30 });
    const err = await host(TOKEN, { remainingMs: () => 100 }).ensureRelease(REPO, 'v52-4', 'v52', 'notes').catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RateLimitedError', retryAfterSeconds: 30 });
  });
});
