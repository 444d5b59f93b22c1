// Releases of the CodeHost adapter: the release names the tagged commit (`target_commitish`) and
// afterwards GitHub's tag is checked to point at it, since GitHub silently creates a tag it lacks
// at the default branch head. Find-then-create by tag; a hidden marker of the key in the body.
import { InvalidNameError, TagMismatchError } from './github-errors.js';
import { stripMarkers, withMarker } from './github-marker.js';
import { assertRefName, parseRepoSlug } from './github-names.js';
import { type GithubApi, isStatus, translateGithubError } from './github-octokit.js';

/** A GitHub release; `created` is false when it already existed. */
export interface Release {
  id: number;
  tag: string;
  name: string;
  body: string;
  url: string;
  created: boolean;
}

/** How to create a release: the commit the tag must point at, and the idempotency key. */
export interface ReleaseOptions {
  /** The tagged commit (40 hex); the release is created at it and GitHub's tag is checked against it. */
  commit?: string;
  /**
   * Idempotency key for a hidden body marker (default: none; a release is keyed by its tag,
   * which GitHub keeps unique, so the notes stay exactly as given).
   */
  marker?: string;
}

interface RawRelease { id: number; name?: string | null; body?: string | null; html_url: string }

const toRelease = (tag: string, data: RawRelease, created: boolean): Release =>
  ({ id: data.id, tag, name: data.name ?? '', body: stripMarkers(data.body ?? ''), url: data.html_url, created });

export async function ensureRelease(api: GithubApi, ownerRepo: string, tag: string, name: string, body: string, options: ReleaseOptions = {}): Promise<Release> {
  const { owner, repo } = parseRepoSlug(ownerRepo);
  assertRefName('tag', tag);
  const commit = options.commit;
  if (commit !== undefined && !/^[0-9a-f]{40}$/.test(commit)) throw new InvalidNameError('commit', commit, 'expected a full 40-character SHA');
  const what = `creating the release ${tag} of ${ownerRepo}`;
  const existing = await releaseByTag(api, owner, repo, ownerRepo, tag);
  let release = existing;
  if (!release) {
    try {
      const { data } = await api.octokit.rest.repos.createRelease({
        owner, repo, tag_name: tag, name, body: options.marker ? withMarker(body, options.marker) : body, ...(commit ? { target_commitish: commit } : {}),
      });
      release = toRelease(tag, data, true);
    } catch (err) {
      // Lost a race with another attempt (or GitHub created it and then answered 5xx): it is there now.
      const again = isStatus(err, 422) ? await releaseByTag(api, owner, repo, ownerRepo, tag) : undefined;
      if (!again) throw translateGithubError(err, { baseUrl: api.baseUrl, repo: ownerRepo, what, write: true });
      release = again;
    }
  }
  if (commit) {
    const actual = await tagCommit(api, owner, repo, ownerRepo, tag);
    if (actual !== commit) throw new TagMismatchError(ownerRepo, tag, commit, actual);
  }
  return release;
}

async function releaseByTag(api: GithubApi, owner: string, repo: string, ownerRepo: string, tag: string): Promise<Release | undefined> {
  try {
    const { data } = await api.octokit.rest.repos.getReleaseByTag({ owner, repo, tag });
    return toRelease(tag, data, false);
  } catch (err) {
    if (isStatus(err, 404)) {
      // Tell "no such release" from "no such repository" before creating.
      await api.call(`the repository ${ownerRepo}`, ownerRepo, () => api.octokit.rest.repos.get({ owner, repo }));
      return undefined;
    }
    throw translateGithubError(err, { baseUrl: api.baseUrl, repo: ownerRepo, what: `the release ${tag} of ${ownerRepo}` });
  }
}

/** The commit GitHub's tag points at (an annotated tag is peeled), or null without the tag. */
export async function tagCommit(api: GithubApi, owner: string, repo: string, ownerRepo: string, tag: string): Promise<string | null> {
  return api.call(`the tag ${tag} of ${ownerRepo}`, ownerRepo, async () => {
    let object: { type: string; sha: string };
    try {
      object = (await api.octokit.rest.git.getRef({ owner, repo, ref: `tags/${tag}` })).data.object;
    } catch (err) {
      if (isStatus(err, 404)) return null;
      throw err;
    }
    for (let depth = 0; object.type === 'tag' && depth < 5; depth++) {
      object = (await api.octokit.rest.git.getTag({ owner, repo, tag_sha: object.sha })).data.object;
    }
    return object.type === 'commit' ? object.sha : null;
  });
}
