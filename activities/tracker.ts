// Tracker-bug activities of the image pipeline: a failed build comments on the stream's open bug
// or files one; a passing build closes it. The build id is the idempotency key, so a retried
// activity never files or comments twice.
import { type BugTracker, type TrackerBug } from '../clients/tracker.js';
import { toJiraFailure } from './jira.js';

/** What the tracker activities need: the bug tracker of each stream that has one configured. */
export interface TrackerActivityDeps {
  /** stream name → tracker; streams without an entry have no tracker (allowed). */
  trackers: Record<string, BugTracker>;
}

/** Input of `reportBuildFailure`. */
export interface ReportBuildFailureInput {
  stream: string;
  /** e.g. "atomic-host-20250301.1"; the idempotency key. */
  buildId: string;
  /** Title of a newly filed bug. */
  title: string;
  /** Description of a new bug, or the comment on the open one. */
  body: string;
}

export interface ReportBuildFailureResult {
  action: 'filed' | 'commented' | 'already-reported' | 'no-tracker';
  bug?: TrackerBug;
}

export interface ReportBuildSuccessInput {
  stream: string;
  buildId: string;
  comment: string;
}

export interface ReportBuildSuccessResult {
  action: 'closed' | 'no-open-bug' | 'no-tracker';
  bug?: TrackerBug;
}

/** Builds the tracker activities. */
export function createTrackerActivities({ trackers }: TrackerActivityDeps) {
  const trackerOf = (stream: string): BugTracker | undefined => (Object.hasOwn(trackers, stream) ? trackers[stream] : undefined);
  return {
    /** Comments on the stream's open bug, or files one; the same build is reported once. */
    async reportBuildFailure(input: ReportBuildFailureInput): Promise<ReportBuildFailureResult> {
      const tracker = trackerOf(input.stream);
      if (!tracker) return { action: 'no-tracker' };
      return guard(async () => {
        const open = await tracker.findOpen(input.stream);
        if (open) {
          const commented = await tracker.comment(open.id, input.body, input.buildId);
          return { action: commented ? 'commented' : 'already-reported', bug: open };
        }
        // A search that lags (Jira Cloud) can miss the bug a previous attempt filed; the filing key finds it.
        const { existed, ...bug } = await tracker.file(input.stream, input.title, input.body, input.buildId);
        return { action: existed ? 'already-reported' : 'filed', bug };
      });
    },

    /** Closes the stream's open bug with a comment, if there is one. */
    async reportBuildSuccess(input: ReportBuildSuccessInput): Promise<ReportBuildSuccessResult> {
      const tracker = trackerOf(input.stream);
      if (!tracker) return { action: 'no-tracker' };
      return guard(async () => {
        const open = await tracker.findOpen(input.stream);
        if (!open) return { action: 'no-open-bug' };
        await tracker.close(open.id, input.comment, input.buildId);
        return { action: 'closed', bug: open };
      });
    },
  };
}

export type TrackerActivities = ReturnType<typeof createTrackerActivities>;

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toJiraFailure(err);
  }
}
