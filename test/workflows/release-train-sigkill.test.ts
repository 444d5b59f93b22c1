// A release train whose worker process dies with SIGKILL in the middle of tagging across repos:
// two repos are tagged at origin, the third one's push is in flight (its origin takes 5 s in a
// pre-receive hook, and the orphaned `git push` finishes after the worker is gone). A worker built
// from the same config takes over after the git step's heartbeat timeout: every tag exists exactly
// once at origin, on the right commit, and the train finishes the release and starts the next one.
import { type Worker } from '@temporalio/worker';
import { chmod, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createActivities } from '../../activities/index.js';
import { validateConfig } from '../../config/load.js';
import { buildActivityDeps } from '../../workers/activity-deps.js';
import { cancelUpdate } from '../../workflows/release-train-api.js';
import { RELEASE_TASK_QUEUE, releaseWorkflowId, trainConfigFrom, type TrainStatus } from '../../workflows/release-train-types.js';
import { git, originRef, originTag, tempDir, type OriginRepo } from '../support/git-repos.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import { startWorkerChild, type WorkerChild } from '../support/worker-child.js';
import { WEEK, createOrigins, startTrain, waitForStatus } from './release-train-support.js';

let t: TestEnv;
let dir: Awaited<ReturnType<typeof tempDir>>;
let origins: Record<string, OriginRepo>;
let child: WorkerChild | undefined;
let worker: Worker | undefined;
let running: Promise<void> | undefined;

beforeAll(async () => {
  t = await createTestEnv();
  dir = await tempDir('stratus-train-sigkill-');
  ({ origins } = await createOrigins(dir.path, [['atmosphere', 'release-branch'], ['troposphere', 'release-branch'], ['clank', 'master']]));
});
afterAll(async () => {
  await child?.kill();
  worker?.shutdown();
  await running;
  await t?.teardown();
  await dir?.cleanup();
});

const until = async (what: string, ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('a worker SIGKILLed while tagging across repos: every tag exactly once at origin, the next worker finishes the release', async () => {
  const mark = join(dir.path, 'clank-tag-push-started');
  // clank's origin takes 5 s over the first tag push: the window in which the worker dies
  const hook = join(origins.clank.path, 'hooks', 'pre-receive');
  await writeFile(hook, `#!/bin/sh\nwhile read old new ref; do\n  case "$ref" in refs/tags/*) if [ ! -e '${mark}' ]; then touch '${mark}'; sleep 5; fi ;; esac\ndone\n`);
  await chmod(hook, 0o755);

  const config = {
    release: {
      trickleDown: 'never', autoApprove: true, cacheDir: join(dir.path, 'cache'), committer: { name: 'stratus', email: 'stratus@example.org' },
      repos: [
        { name: 'atmosphere', url: origins.atmosphere.url, target: 'release-branch' },
        { name: 'troposphere', url: origins.troposphere.url, target: 'release-branch' },
        { name: 'clank', url: origins.clank.url, target: 'master' },
      ],
    },
  };
  const cfg = validateConfig(config);
  child = await startWorkerChild({ address: t.server?.address ?? '', taskQueue: RELEASE_TASK_QUEUE, config, baseDir: dir.path });
  const start = new Date(Date.now() - 6 * WEEK).toISOString();
  const h = await startTrain(t, { version: 20, start, config: trainConfigFrom(cfg.release!), gitHeartbeatTimeoutMs: 3000 });

  // the release-branch repos are tagged at origin while clank's push hangs: kill the worker now
  await until('the tag push to clank', async () => existsSync(mark));
  await until('the tags of atmosphere and troposphere', async () =>
    (await originTag(origins.atmosphere, 'v20-1')) !== null && (await originTag(origins.troposphere, 'v20-1')) !== null, 4000);
  expect(await originTag(origins.clank, 'v20-1')).toBeNull();
  await child.kill();

  const deps = buildActivityDeps({ config: cfg, baseDir: dir.path }, process.env);
  worker = await t.worker({ taskQueue: RELEASE_TASK_QUEUE, activities: createActivities(deps), stickyQueueScheduleToStartTimeout: '1s' }, 'stratus');
  running = worker.run();
  const s: TrainStatus = await waitForStatus(h, (x) => x.stage === 'patching', 'the release after the kill', 45_000);

  expect(s.tags.map((x) => x.tag)).toEqual(['v20-1']);
  // the dead worker's attempt timed out on its heartbeat and the new worker ran the step again
  const retried = (await h.fetchHistory()).events!.map((e) => e.activityTaskStartedEventAttributes).filter((a) => a && a.attempt! > 1);
  expect(retried.map((a) => a!.lastFailure?.message)).toContain('activity Heartbeat timeout');
  for (const repo of ['atmosphere', 'troposphere', 'clank'] as const) {
    const origin = origins[repo];
    expect(await git(origin.path, ['tag', '--list', 'v20-*'])).toBe('v20-1');
    const tag = await originTag(origin, 'v20-1');
    expect(tag).toMatchObject({ type: 'tag', message: `v20 (${s.codename}) release 1.` });
    // on the head of the release target: v20 (branch repos) or master (clank); neither moved since
    expect(tag!.commit).toBe(await originRef(origin, repo === 'clank' ? 'refs/heads/master' : 'refs/heads/v20'));
  }
  await waitForStatus(t.env.client.workflow.getHandle(releaseWorkflowId(21)), (x) => x.stage === 'cycle', 'train 21', 30_000);
  await t.env.client.workflow.getHandle(releaseWorkflowId(21)).executeUpdate(cancelUpdate);
  await h.executeUpdate(cancelUpdate);
}, 90_000);
