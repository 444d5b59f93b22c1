// Shared set-up of the release train end-to-end tests: real bare origins in a temp dir, the
// real git adapter with its mirror cache, optional GitHub/JIRA fakes, a worker on the
// time-skipping embedded server, and helpers to read the train's status.
import { type WorkflowHandle } from '@temporalio/client';
import { type Worker } from '@temporalio/worker';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createReleaseActivities, type ReleaseActivities, type ReleaseActivityDeps } from '../../activities/release.js';
import { createGitVcs } from '../../clients/git.js';
import { statusQuery } from '../../workflows/release-train-api.js';
import { RELEASE_TASK_QUEUE, releaseWorkflowId, type ReleaseTrainInput, type TrainConfig, type TrainStatus } from '../../workflows/release-train-types.js';
import { createOrigin, type OriginRepo } from '../support/git-repos.js';
import { type TestEnv } from '../support/temporal.js';

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;

/** Two release-branch repos and one released from master, each with a first commit. */
export async function createOrigins(root: string, names: Array<[string, 'release-branch' | 'master']> = [['atmosphere', 'release-branch'], ['troposphere', 'release-branch'], ['clank', 'master']]) {
  const origins: Record<string, OriginRepo> = {};
  for (const [name] of names) origins[name] = await createOrigin(root, name, { 'README.md': `# ${name}\n`, 'CHANGELOG.md': 'start\n' });
  return { origins, repos: names.map(([name, target]) => ({ name, target })) };
}

/** A git-only train config over `repos`. */
export function trainConfig(repos: TrainConfig['repos'], extra: Partial<TrainConfig> = {}): TrainConfig {
  return {
    masterBranch: 'master',
    sprints: [
      { name: 'Sprint 1', length: '2w', focus: 'bugs' },
      { name: 'Sprint 2', length: '2w', focus: 'features' },
      { name: 'Release', length: '1w', focus: 'release' },
    ],
    trickleDown: 'weekdays',
    trickleDownAt: '00:00',
    tagMessage: 'v{version} ({codename}) release {n}.',
    autoApprove: false,
    repos,
    github: false,
    ...extra,
  };
}

/** The release activities over the real git adapter (mirror cache under `root`), plus optional ports. */
export function releaseActivities(root: string, origins: Record<string, OriginRepo>, extra: Omit<ReleaseActivityDeps, 'vcs'> = {}): ReleaseActivities {
  const vcs = createGitVcs({
    cacheDir: join(root, 'cache'),
    repos: Object.values(origins).map((o) => ({ name: o.name, url: o.url })),
    committer: { name: 'stratus', email: 'stratus@example.org' },
  });
  return createReleaseActivities({ vcs, releaseNotesDir: join(root, 'notes'), ...extra });
}

/** A running worker on the release task queue; `stop()` shuts it down and waits. */
export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

export async function runWorker(t: TestEnv, activities: object): Promise<RunningWorker> {
  const worker = await t.worker({ taskQueue: RELEASE_TASK_QUEUE, activities, stickyQueueScheduleToStartTimeout: '1s', shutdownGraceTime: '1s' }, 'stratus');
  const running = worker.run();
  return {
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

export async function startTrain(t: TestEnv, input: ReleaseTrainInput): Promise<WorkflowHandle> {
  return t.env.client.workflow.start('releaseTrain', { taskQueue: RELEASE_TASK_QUEUE, workflowId: releaseWorkflowId(input.version), args: [input] });
}

export function status(handle: WorkflowHandle): Promise<TrainStatus> {
  return handle.query(statusQuery);
}

/** Polls `status` until `predicate` holds (generous upper bound; queries do not move time). */
export async function waitForStatus(handle: WorkflowHandle, predicate: (s: TrainStatus) => boolean, what: string, timeoutMs = 30_000): Promise<TrainStatus> {
  const until = Date.now() + timeoutMs;
  let last: TrainStatus | undefined;
  for (;;) {
    try {
      last = await Promise.race([status(handle), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('query timed out (no worker?)')), 5000).unref())]);
      if (predicate(last)) return last;
    } catch (error) {
      if (Date.now() > until) throw error;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(last, null, 1)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Rejection of a promise (for update validators and failures crossing the native bridge). */
export async function failureOf(p: Promise<unknown>): Promise<Error & { cause?: Error & { type?: string } }> {
  try {
    await p;
  } catch (error) {
    return error as Error & { cause?: Error };
  }
  throw new Error('expected a failure');
}

/** Quiet waits: no operator or conflict waits (the train is not stuck). */
export const notStuck = (s: TrainStatus) => !s.waiting.some((w) => w.kind === 'operator' || w.kind === 'merge-conflict' || w.kind === 'pull-request');

/**
 * Protects `branch` of a bare origin as GitHub does: a pre-receive hook refuses pushes to it with
 * GitHub's GH006 message (for tests without the GitHub fake, whose protectBranch does the same).
 */
export async function protectOriginBranch(origin: OriginRepo, branch = 'master'): Promise<void> {
  const hook = [
    '#!/bin/sh',
    'while read old new ref; do',
    `  if [ "$ref" = "refs/heads/${branch}" ]; then`,
    `    echo "error: GH006: Protected branch update failed for refs/heads/${branch}." >&2`,
    '    echo "error: Changes must be made through a pull request." >&2',
    '    exit 1',
    '  fi',
    'done',
    '',
  ].join('\n');
  await writeFile(join(origin.path, 'hooks', 'pre-receive'), hook, { mode: 0o755 });
}
