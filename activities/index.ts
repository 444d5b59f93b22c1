// The activities every worker registers. Each outside system contributes one factory
// (createGitActivities(deps), createJiraActivities(deps) …); this file spreads them.
import { createImageActivities, type ImageActivityDeps } from './images.js';
import { createImageGlanceActivities, type ImageGlanceDeps } from './image-glance.js';
import { createOpenStackActivities, type OpenStackActivityDeps } from './openstack.js';
import { createAllocationActivities, type AllocationActivityDeps } from './allocations.js';
import { createNotifyActivities, type NotifyActivityDeps } from './notify.js';
import { createAnsibleActivities, type AnsibleActivityDeps } from './ansible.js';
import { createTrackerActivities } from './tracker.js';
import { createWebhookActivities } from './webhooks.js';
import { createReleaseActivities, type ReleaseActivityDeps } from './release.js';
import { type BugTracker } from '../clients/tracker.js';
import { type WebhookPoster } from '../clients/webhooks.js';

/**
 * The adapters activities are built from. Filled in by workers/ from the config; each
 * activity factory adds the ports it needs (e.g. `vcs: Vcs`, `codeHost: CodeHost`).
 */
export interface ActivityDeps {
  /** Release train: git (absent without `release:`), GitHub and JIRA ports, notes dir; missing parts fail their steps clearly. */
  release?: ReleaseActivityDeps;
  /** Image pipeline: command runner, site writer, work dir (absent when `images:` is not configured). */
  images?: ImageActivityDeps;
  /** Glance uploads of published images (present when a stream has `glance.enabled` and `openstack:` is configured). */
  imageGlance?: ImageGlanceDeps;
  /** stream name → its failure tracker (streams without one are left out). */
  trackers?: Record<string, BugTracker>;
  /** Where image pipeline events go (null: nowhere). */
  webhooks?: WebhookPoster | null;
  /** OpenStack cloud (absent when `openstack:` is not configured). */
  openstack?: OpenStackActivityDeps;
  /** Lifecycle allocations loader (absent without `lifecycle:`). */
  allocations?: AllocationActivityDeps;
  /** Lifecycle notices by SMTP (absent without `lifecycle.notify`). */
  notify?: NotifyActivityDeps;
  /** ansible-playbook runner for deployInstance (absent without `lifecycle.deploy`). */
  ansible?: AnsibleActivityDeps;
}

/** All activities, keyed by name; workflows proxy `ReturnType<typeof createActivities>`. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createReleaseActivities(deps.release ?? {}),
    ...(deps.images ? createImageActivities(deps.images) : {}),
    ...(deps.imageGlance ? createImageGlanceActivities(deps.imageGlance) : {}),
    ...createTrackerActivities({ trackers: deps.trackers ?? {} }),
    ...createWebhookActivities({ poster: deps.webhooks ?? null }),
    ...(deps.openstack ? createOpenStackActivities(deps.openstack) : {}),
    ...(deps.allocations ? createAllocationActivities(deps.allocations) : {}),
    ...(deps.notify ? createNotifyActivities(deps.notify) : {}),
    ...(deps.ansible ? createAnsibleActivities(deps.ansible) : {}),
  };
}

/** The activity functions workflows call through `proxyActivities<Activities>()`. */
export type Activities = ReturnType<typeof createActivities>;
