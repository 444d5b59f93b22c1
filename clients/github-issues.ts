// Idempotent issue and comment creation of the CodeHost adapter. Issues and comments have no
// natural key on GitHub, so a blind HTTP retry of the POST after a 5xx that GitHub had already
// acted on files a second one: these POSTs are sent without the retry plugin, and each attempt
// first looks for the hidden marker of the caller's key. Labels GitHub dropped are reported.
import { hasMarker, withMarker } from './github-marker.js';
import { assertLabel, parseRepoSlug } from './github-names.js';
import { type GithubApi, isStatus, translateGithubError } from './github-octokit.js';
import { ServiceUnavailableError } from './github-errors.js';

/** An issue (never a pull request). */
export interface Issue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  url: string;
  /** Labels asked for that GitHub dropped (the token lacks push/triage access); only on create. */
  droppedLabels?: string[];
  /** False when an earlier attempt's issue (found by its marker) was returned; only on create. */
  created?: boolean;
}

export interface IssueComment {
  id: number;
  body: string;
  url: string;
}

interface RawIssue { number: number; title: string; body?: string | null; state: string; html_url: string; labels: Array<string | { name?: string }>; pull_request?: unknown }

export function toIssue(i: RawIssue): Issue {
  return {
    number: i.number, title: i.title, body: i.body ?? '', state: i.state === 'closed' ? 'closed' : 'open', url: i.html_url,
    labels: i.labels.map((l) => (typeof l === 'string' ? l : l.name ?? '')),
  };
}

const NO_RETRY = { request: { retries: 0 } };
/** How many marked open issues/comments pages are scanned (100 each). */
const SCAN_PAGES = 10;

/** Attempts a non-idempotent POST: look for the marker, create once, on a failure look again. */
async function createOnce<T>(find: () => Promise<T | undefined>, create: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const found = await find();
    if (found) return found;
    try {
      return await create();
    } catch (err) {
      const status = (err as { status?: number }).status;
      const retryable = status === undefined || status >= 500;
      if (!retryable || attempt >= attempts) throw err;
    }
  }
}

/** The newest open issue whose body carries the marker of `key` (pull requests left out). */
export async function findOpenIssueByMarker(api: GithubApi, ownerRepo: string, key: string): Promise<Issue | undefined> {
  const { owner, repo } = parseRepoSlug(ownerRepo);
  return api.call(`the open issue marked ${key} in ${ownerRepo}`, ownerRepo, async () => {
    let pageNo = 0;
    for await (const page of api.octokit.paginate.iterator(api.octokit.rest.issues.listForRepo, { owner, repo, state: 'open', per_page: 100 })) {
      const hit = page.data.find((i) => !i.pull_request && hasMarker(i.body, key));
      if (hit) return toIssue(hit as RawIssue);
      if (++pageNo >= SCAN_PAGES) break;
    }
    return undefined;
  });
}

/** Files an issue once per `key`: an open issue carrying its marker is returned instead. */
export async function createIssue(api: GithubApi, ownerRepo: string, title: string, body: string, labels: string[], key?: string): Promise<Issue> {
  const { owner, repo } = parseRepoSlug(ownerRepo);
  labels.forEach((l) => assertLabel('label', l));
  const what = `a new issue in ${ownerRepo}`;
  const text = key ? withMarker(body, key) : body;
  try {
    const issue = await createOnce(
      async () => {
        if (!key) return undefined;
        const found = await findOpenIssueByMarker(api, ownerRepo, key);
        return found && { ...found, created: false };
      },
      async () => ({ ...toIssue((await api.octokit.rest.issues.create({ owner, repo, title, body: text, labels, ...NO_RETRY })).data as RawIssue), created: true }),
      key ? 3 : 1,
    );
    const dropped = labels.filter((l) => !issue.labels.includes(l));
    if (dropped.length === 0) return issue;
    // GitHub drops labels silently without push access; adding them afterwards may still work (triage).
    try {
      const { data } = await api.octokit.rest.issues.addLabels({ owner, repo, issue_number: issue.number, labels: dropped });
      const now = data.map((l) => l.name);
      const still = dropped.filter((l) => !now.includes(l));
      return { ...issue, labels: now, ...(still.length ? { droppedLabels: still } : {}) };
    } catch (err) {
      if (isStatus(err, 403) || isStatus(err, 404)) return { ...issue, droppedLabels: dropped };
      throw err;
    }
  } catch (err) {
    throw translateGithubError(err, { baseUrl: api.baseUrl, repo: ownerRepo, what, write: true });
  }
}

/** Comments once per `key`: a comment carrying its marker is returned instead. */
export async function commentOnIssue(api: GithubApi, ownerRepo: string, number: number, body: string, key?: string): Promise<IssueComment> {
  const { owner, repo } = parseRepoSlug(ownerRepo);
  const what = `a comment on issue #${number} in ${ownerRepo}`;
  const text = key ? withMarker(body, key) : body;
  const toComment = (c: { id: number; body?: string; html_url: string }): IssueComment => ({ id: c.id, body: c.body ?? '', url: c.html_url });
  try {
    return await createOnce(
      async () => {
        if (!key) return undefined;
        const all = await api.octokit.paginate(api.octokit.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 100 });
        const hit = all.find((c) => hasMarker(c.body, key));
        return hit && toComment(hit);
      },
      async () => toComment((await api.octokit.rest.issues.createComment({ owner, repo, issue_number: number, body: text, ...NO_RETRY })).data),
      key ? 3 : 1,
    );
  } catch (err) {
    if (err instanceof ServiceUnavailableError) throw err;
    throw translateGithubError(err, { baseUrl: api.baseUrl, repo: ownerRepo, what, write: true });
  }
}

/** Makes sure the label exists (find, then create; "already exists" from a lost race is success). Returns whether it created it. */
export async function ensureLabel(api: GithubApi, ownerRepo: string, name: string, color = 'ededed'): Promise<boolean> {
  const { owner, repo } = parseRepoSlug(ownerRepo);
  assertLabel('label', name);
  const what = `the label ${name} in ${ownerRepo}`;
  try {
    await api.octokit.rest.issues.getLabel({ owner, repo, name });
    return false;
  } catch (err) {
    if (!isStatus(err, 404)) throw translateGithubError(err, { baseUrl: api.baseUrl, repo: ownerRepo, what });
  }
  try {
    await api.octokit.rest.issues.createLabel({ owner, repo, name, color });
    return true;
  } catch (err) {
    const data = (err as { response?: { data?: { errors?: Array<{ code?: string }> } } }).response?.data;
    if (isStatus(err, 422) && data?.errors?.some((e) => e.code === 'already_exists')) return false;
    throw translateGithubError(err, { baseUrl: api.baseUrl, repo: ownerRepo, what, write: true });
  }
}
