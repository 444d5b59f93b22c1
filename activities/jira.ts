// JIRA activities of the release train: the fixVersion and sprints at the start, release and
// carry-over at the end, and the release notes from the issues resolved in the version.
import { ApplicationFailure } from '@temporalio/common';
import { type JiraVersion, type ReleaseTracker, type ResolvedIssue, type Sprint, type SprintSpec } from '../clients/jira.js';
import {
  JiraConfigError, JiraNotFoundError, JiraPermissionError, JiraRejectedError, JiraTransitionError, SprintConflictError,
  VersionAlreadyReleasedError, VersionNotFoundError,
} from '../clients/jira-errors.js';
import { renderReleaseNotes } from '../workflows/release-notes.js';
import { toServiceFailure } from './github.js';

/** What the JIRA activities need. */
export interface JiraActivityDeps {
  releaseTracker: ReleaseTracker;
}

export interface EnsureJiraVersionInput {
  project: string;
  /** e.g. "v31" */
  version: string;
}

export interface EnsureSprintsInput {
  board: number;
  sprints: SprintSpec[];
}

export interface EnsureSprintsResult {
  sprints: Sprint[];
}

/** Input of `releaseJiraVersion`; `date` comes from the workflow (deterministic), YYYY-MM-DD. */
export interface ReleaseJiraVersionInput {
  project: string;
  version: string;
  date: string;
  /** Move the issues of `version` not in a Done-category status to this version (created if missing). */
  moveUnresolvedTo?: string;
}

export interface ReleaseJiraVersionResult {
  version: JiraVersion;
  /** Keys of the issues moved to `moveUnresolvedTo` by this call. */
  moved: string[];
}

export interface MoveUnresolvedIssuesInput {
  project: string;
  from: string;
  to: string;
}

export interface CollectReleaseNotesInput {
  project: string;
  version: string;
  codename?: string;
  /** JIRA base URL for links in the notes. */
  jiraUrl?: string;
}

export interface CollectReleaseNotesResult {
  issues: ResolvedIssue[];
  markdown: string;
}

/** Builds the JIRA activities over a {@link ReleaseTracker}. */
export function createJiraActivities({ releaseTracker }: JiraActivityDeps) {
  return {
    /** Creates the fixVersion or reuses it; a released version fails non-retryably (`VersionAlreadyReleased`). */
    async ensureJiraVersion(input: EnsureJiraVersionInput): Promise<JiraVersion> {
      return guard(() => releaseTracker.ensureVersion(input.project, input.version));
    },

    /** Creates the train's sprints that are missing on the board; same name with other dates → `SprintConflict`. */
    async ensureSprints(input: EnsureSprintsInput): Promise<EnsureSprintsResult> {
      return guard(async () => ({ sprints: await releaseTracker.ensureSprints(input.board, input.sprints) }));
    },

    /** Marks the version released, moving the issues not done on (if asked) in the same request. Safe to re-run. */
    async releaseJiraVersion(input: ReleaseJiraVersionInput): Promise<ReleaseJiraVersionResult> {
      return guard(async () => {
        const { moved, ...version } = await releaseTracker.releaseVersion(input.project, input.version, input.date, input.moveUnresolvedTo);
        return { version, moved };
      });
    },

    async moveUnresolvedIssues(input: MoveUnresolvedIssuesInput): Promise<{ moved: string[] }> {
      return guard(async () => ({ moved: await releaseTracker.moveUnresolvedIssues(input.project, input.from, input.to) }));
    },

    /** The issues resolved in the version and the Markdown notes rendered from them. */
    async collectReleaseNotes(input: CollectReleaseNotesInput): Promise<CollectReleaseNotesResult> {
      return guard(async () => {
        const issues = await releaseTracker.resolvedIssues(input.project, input.version);
        return { issues, markdown: renderReleaseNotes({ version: input.version, codename: input.codename, issues, jiraUrl: input.jiraUrl }) };
      });
    },
  };
}

export type JiraActivities = ReturnType<typeof createJiraActivities>;

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toJiraFailure(err);
  }
}

/** JIRA's typed errors → ApplicationFailure; everything else as in {@link toServiceFailure}. */
export function toJiraFailure(err: unknown): ApplicationFailure {
  if (err instanceof VersionAlreadyReleasedError) {
    return ApplicationFailure.nonRetryable(err.message, 'VersionAlreadyReleased', { project: err.project, version: err.version, releaseDate: err.releaseDate });
  }
  if (err instanceof VersionNotFoundError) return ApplicationFailure.nonRetryable(err.message, 'VersionNotFound', { project: err.project, version: err.version });
  if (err instanceof SprintConflictError) {
    return ApplicationFailure.nonRetryable(err.message, 'SprintConflict', { board: err.board, sprint: err.sprint, existing: err.existing, wanted: err.wanted });
  }
  if (err instanceof JiraConfigError) return ApplicationFailure.nonRetryable(err.message, 'JiraConfig');
  if (err instanceof JiraPermissionError) return ApplicationFailure.nonRetryable(err.message, 'Forbidden', { service: 'JIRA', what: err.what });
  if (err instanceof JiraNotFoundError) return ApplicationFailure.nonRetryable(err.message, 'NotFound', { service: 'JIRA', what: err.what });
  if (err instanceof JiraRejectedError) {
    return ApplicationFailure.nonRetryable(err.message, 'RequestRejected', { service: 'JIRA', status: err.status, fields: err.fields });
  }
  if (err instanceof JiraTransitionError) return ApplicationFailure.nonRetryable(err.message, 'JiraTransition', { issue: err.issue });
  return toServiceFailure(err);
}
