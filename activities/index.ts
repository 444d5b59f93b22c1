// The activities every worker registers. Each outside system contributes one factory
// (createGitActivities(deps), createJiraActivities(deps) …); this file spreads them.
import { createImageActivities, type ImageActivityDeps } from './images.js';
import { createTrackerActivities } from './tracker.js';
import { createWebhookActivities } from './webhooks.js';
import { type BugTracker } from '../clients/tracker.js';
import { type WebhookPoster } from '../clients/webhooks.js';

/**
 * The adapters activities are built from. Filled in by workers/ from the config; each
 * activity factory adds the ports it needs (e.g. `vcs: Vcs`, `codeHost: CodeHost`).
 */
export interface ActivityDeps {
  /** Image pipeline: command runner, site writer, work dir (absent when `images:` is not configured). */
  images?: ImageActivityDeps;
  /** stream name → its failure tracker (streams without one are left out). */
  trackers?: Record<string, BugTracker>;
  /** Where image pipeline events go (null: nowhere). */
  webhooks?: WebhookPoster | null;
}

/** All activities, keyed by name; workflows proxy `ReturnType<typeof createActivities>`. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...(deps.images ? createImageActivities(deps.images) : {}),
    ...createTrackerActivities({ trackers: deps.trackers ?? {} }),
    ...createWebhookActivities({ poster: deps.webhooks ?? null }),
  };
}

/** The activity functions workflows call through `proxyActivities<Activities>()`. */
export type Activities = ReturnType<typeof createActivities>;
