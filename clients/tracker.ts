// The BugTracker port for the image pipeline's "this stream is failing" bug, with two adapters:
// JIRA (clients/jira-bug-tracker.ts) and GitHub issues (via the CodeHost adapter). The stream key is carried as a
// label, so the open bug of a stream can always be found again.
import { type CodeHost } from './github.js';
import { InvalidNameError } from './github-errors.js';
import { assertMarkerKey, hasMarker, withMarker } from './github-marker.js';
import { assertLabel, parseRepoSlug } from './github-names.js';

/** A tracker bug: `id` is the JIRA key (ATMO-12) or the GitHub issue number ("12"). */
export interface TrackerBug {
  id: string;
  url: string;
  /** Something the operator should fix, said once (e.g. labels GitHub dropped). */
  warning?: string;
}

/**
 * A bug tracker holding at most one open bug per stream. `key` arguments are idempotency keys
 * (e.g. the build id): a bug or comment carrying a key is written at most once, so a retried
 * activity never files or comments twice.
 */
export interface BugTracker {
  readonly kind: 'jira' | 'github';
  /** The newest open bug labelled with the stream key, if any. */
  findOpen(streamKey: string): Promise<TrackerBug | undefined>;
  /** Files a bug; with `key`, a bug already filed under that key is returned instead, with `existed: true`. */
  file(streamKey: string, title: string, body: string, key?: string): Promise<TrackerBug & { existed?: boolean }>;
  /** Adds a comment; skipped when `key` already appears on the bug. Returns whether it commented. */
  comment(id: string, body: string, key?: string): Promise<boolean>;
  /** Comments (deduplicated by `key`) and closes; a closed bug is left alone. Returns whether it closed. */
  close(id: string, comment: string, key?: string): Promise<boolean>;
  /** Whether `key` appears in the bug's description or comments. */
  mentions(id: string, key: string): Promise<boolean>;
}

export interface TrackerOptions {
  /** Prefix of the label carrying the stream key (default "stratus-"). */
  labelPrefix?: string;
}

const labelOf = (prefix: string, streamKey: string): string => {
  assertLabel('stream key', streamKey);
  return `${prefix}${streamKey}`;
};

// ---- JIRA: clients/jira-bug-tracker.ts ------------------------------------------------------

export { createJiraBugTracker, type JiraTrackerOptions } from './jira-bug-tracker.js';

// ---- GitHub issues --------------------------------------------------------------------------

export interface GithubTrackerOptions extends TrackerOptions {
  codeHost: CodeHost;
  /** "owner/name" holding the tracker issues. */
  repo: string;
  /** Receives the one warning about labels GitHub dropped (default: none printed; it is also on the bug). */
  log?: { warn(message: string): void };
}

export function createGithubBugTracker(options: GithubTrackerOptions): BugTracker {
  parseRepoSlug(options.repo);
  const { codeHost, repo } = options;
  const prefix = options.labelPrefix ?? 'stratus-';
  // The stream's marker finds its open bug even when GitHub dropped the label.
  const streamKey = (stream: string): string => `stream/${labelOf(prefix, stream)}`;
  const num = (id: string): number => {
    if (!/^[1-9]\d{0,9}$/.test(id)) throw new InvalidNameError('GitHub issue number', id, 'expected a positive integer');
    return Number(id);
  };
  const bug = (issue: { number: number; url: string }): TrackerBug => ({ id: String(issue.number), url: issue.url });
  let warnedLabels = false;

  const tracker: BugTracker = {
    kind: 'github',
    async findOpen(stream) {
      const open = await codeHost.findOpenIssues(repo, labelOf(prefix, stream));
      if (open[0]) return bug(open[0]);
      const marked = await codeHost.findOpenIssueByMarker(repo, streamKey(stream));
      return marked && bug(marked);
    },
    async file(stream, title, body, key) {
      const text = key ? withMarker(body, assertMarkerKey(key)) : body;
      // One open bug per stream: the stream marker is the idempotency key of the create.
      const issue = await codeHost.createIssue(repo, title.slice(0, 250), text, [labelOf(prefix, stream)], streamKey(stream));
      const filed = bug(issue);
      if (issue.droppedLabels?.length && !warnedLabels) {
        warnedLabels = true;
        filed.warning = `GitHub dropped the label ${issue.droppedLabels.join(', ')} of issue #${issue.number} in ${repo} (the token lacks push or triage access); stratus finds the stream's bug by its hidden marker instead`;
        options.log?.warn(filed.warning);
      }
      return filed;
    },
    async mentions(id, key) {
      const issue = await codeHost.getIssue(repo, num(id));
      const marked = (text: string): boolean => hasMarker(text, key) || text.includes(`<!-- stratus-ref: ${key} -->`);
      if (marked(issue.body)) return true;
      return (await codeHost.issueComments(repo, num(id))).some((c) => marked(c.body));
    },
    async comment(id, body, key) {
      if (key && (await tracker.mentions(id, assertMarkerKey(key)))) return false;
      await codeHost.commentOnIssue(repo, num(id), body, key);
      return true;
    },
    async close(id, comment, key) {
      const issue = await codeHost.getIssue(repo, num(id));
      if (issue.state === 'closed') return false;
      await tracker.comment(id, comment, key);
      await codeHost.closeIssue(repo, num(id));
      return true;
    },
  };
  return tracker;
}
