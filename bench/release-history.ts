// Benchmark: workflow history events of one full release-train cycle (git-only, 2 release-branch
// repos + 1 master repo, 5 weeks of weekday trickle-downs, approval, v<N>-1, merge-back, the next
// train started, two patches) on the time-skipping embedded server, and the wall time it takes.
// Run: node --import tsx bench/release-history.ts
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleWorkflows } from '../workers/workflow-bundle.js';
import { approveUpdate, cancelUpdate, tagUpdate } from '../workflows/release-train-api.js';
import { tempDir } from '../test/support/git-repos.js';
import { createTestEnv } from '../test/support/temporal.js';
import { DAY, WEEK, createOrigins, releaseActivities, runWorker, startTrain, trainConfig, waitForStatus } from '../test/workflows/release-train-support.js';

export async function benchReleaseHistory(): Promise<Record<string, number | string>> {
  const dir = await tempDir('stratus-bench-history-');
  try {
    const bundle = await bundleWorkflows();
    const file = join(dir.path, 'bundle.js');
    await writeFile(file, bundle.code);
    process.env.STRATUS_WORKFLOW_BUNDLE = file;
    const t = await createTestEnv();
    const { origins, repos } = await createOrigins(dir.path);
    const worker = await runWorker(t, releaseActivities(dir.path, origins));
    try {
      const began = performance.now();
      const handle = await startTrain(t, { version: 31, config: trainConfig(repos) });
      await waitForStatus(handle, (s) => s.stage === 'cycle', 'the cycle', 60_000);
      await t.env.sleep(5 * WEEK + DAY);
      const waiting = await waitForStatus(handle, (s) => s.waiting.some((w) => w.kind === 'approval'), 'the gate', 120_000);
      await handle.executeUpdate(approveUpdate, { args: [{}] });
      await waitForStatus(handle, (s) => s.stage === 'patching', 'the release', 60_000);
      await handle.executeUpdate(tagUpdate, { args: [{}] });
      await handle.executeUpdate(tagUpdate, { args: [{}] });
      const wall = Math.round(performance.now() - began);
      const events = (await handle.fetchHistory()).events?.length ?? 0;
      for (const id of ['release-v32', 'release-v31']) await t.env.client.workflow.getHandle(id).executeUpdate(cancelUpdate).catch(() => undefined);
      return {
        'history events per full cycle (5 weeks, 3 repos, 2 patches)': events,
        'trickle-down merges in the cycle': waiting.trickleDowns,
        'history events per trickle-down slot (approx.)': Math.round(events / Math.max(1, waiting.trickleDowns)),
        'full cycle wall time, time-skipping (ms)': wall,
      };
    } finally {
      await worker.stop();
      await t.teardown();
    }
  } finally {
    await dir.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await benchReleaseHistory());
  process.exit(0);
}
