// Benchmark of the image pipeline: choosing the image to publish among 1,000 recorded builds,
// history events of one nightly build with 5 tests, and the stream workflow's history over a
// simulated year of nightly builds (real build scripts, embedded server).
import { bundleWorkflowCode } from '@temporalio/worker';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestEnv } from '../test/support/temporal.js';
import { DAY, HOUR, imageFixture } from '../test/workflows/image-stream-fixture.js';
import { publishDecision } from '../workflows/image-selection.js';
import { IMAGES_TASK_QUEUE, initialStreamState, streamWorkflowId, type StreamStatus } from '../workflows/image-stream-model.js';
import { type BuildRecord } from '../workflows/image-types.js';

function chooseAmong1000(fx: Awaited<ReturnType<typeof imageFixture>>): Record<string, string | number> {
  const t0 = Date.parse('2025-01-01T02:00:00Z');
  const builds: BuildRecord[] = Array.from({ length: 1000 }, (_, i) => ({
    id: `bench-${new Date(t0 + i * DAY).toISOString().slice(0, 10).replaceAll('-', '')}.1`, stream: 'bench',
    startedAt: new Date(t0 + i * DAY).toISOString(), finishedAt: new Date(t0 + i * DAY + HOUR).toISOString(), baseRelease: 'fedora-42',
    status: i % 3 === 0 ? 'failed' : i % 50 === 0 ? 'revoked' : 'passed', artifacts: [], tests: [],
  }));
  const state = { ...initialStreamState(fx.settings('bench'), t0), builds, lastPublishAt: new Date(t0 + 985 * DAY).toISOString() };
  const now = new Date(t0 + 1000 * DAY).toISOString();
  const runs = 2000;
  for (let i = 0; i < 200; i++) publishDecision(state, now, 'skip');
  const start = performance.now();
  for (let i = 0; i < runs; i++) publishDecision(state, now, 'skip');
  return { 'choose the image among 1,000 builds (µs per decision)': Number((((performance.now() - start) / runs) * 1000).toFixed(1)) };
}

export async function benchImages(opts: { nights?: number } = {}): Promise<Record<string, string | number>> {
  const nights = opts.nights ?? 365;
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-images-'));
  const bundleFile = join(dir, 'workflows.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  await writeFile(bundleFile, code);
  process.env.STRATUS_WORKFLOW_BUNDLE = bundleFile;
  const t = await createTestEnv();
  const fx = await imageFixture();
  const worker = await t.worker({ taskQueue: IMAGES_TASK_QUEUE, activities: fx.activities }, 'stratus');
  const running = worker.run();
  const result: Record<string, string | number> = chooseAmong1000(fx);
  try {
    // one build with 5 tests, as the stream starts it (a child), but started directly to read its history
    for (let i = 0; i < 5; i++) {
      await writeFile(join(fx.project, `t${i}.sh`), '#!/bin/sh\ntest -f "$STRATUS_IMAGE_DIR/disk.qcow2"\n');
      await chmod(join(fx.project, `t${i}.sh`), 0o755);
    }
    const settings = fx.settings('bench', { tests: Array.from({ length: 5 }, (_, i) => ({ name: `t${i}`, command: [`./t${i}.sh`], advisory: i === 4, timeoutMs: 60_000 })) });
    const build = await t.env.client.workflow.start('nightlyBuild', {
      workflowId: 'image-build-bench-20250101.1', taskQueue: IMAGES_TASK_QUEUE,
      args: [{ stream: 'bench', imageId: 'bench-20250101.1', baseRelease: 'fedora-42', startedAt: new Date().toISOString(), trigger: 'manual', build: settings.build, tests: settings.tests, tracker: false, events: true }],
    });
    await build.result();
    result['history events of one nightly build with 5 tests, events on'] = (await build.fetchHistory()).events?.length ?? NaN;

    // a simulated year with the event-count threshold switched off: how large does history get?
    const h = await t.env.client.workflow.start('imageStream', {
      workflowId: streamWorkflowId('year'), taskQueue: IMAGES_TASK_QUEUE,
      args: [{ settings: fx.settings('year', { tests: [] }), events: false, maxHistoryEvents: 1_000_000 }],
    });
    const first = Date.parse((await h.query<StreamStatus>('status')).nextNightly);
    const started = performance.now();
    await t.env.sleep(first + (nights - 1) * DAY + HOUR - (await t.env.currentTimeMs()));
    const seconds = (performance.now() - started) / 1000;
    const status = await h.query<StreamStatus>('status');
    // follow the chain of runs (the stream still continues-as-new when the server suggests it)
    const sizes: number[] = [];
    let runId: string | undefined = h.firstExecutionRunId;
    while (runId) {
      const events: Array<{ workflowExecutionContinuedAsNewEventAttributes?: { newExecutionRunId?: string | null } | null }> =
        (await t.env.client.workflow.getHandle(streamWorkflowId('year'), runId).fetchHistory()).events ?? [];
      sizes.push(events.length);
      runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    result[`stream history over ${status.buildsStarted} nightly builds: runs`] = sizes.length;
    result['stream history: largest run (events)'] = Math.max(...sizes);
    result['stream history: all runs together (events)'] = total;
    result['stream history events per nightly build'] = Number((total / status.buildsStarted).toFixed(1));
    result['simulated year: wall time (s)'] = Number(seconds.toFixed(1));
    result['simulated year: nightly builds per second'] = Number((status.buildsStarted / seconds).toFixed(1));
    await h.terminate('bench done');
  } finally {
    worker.shutdown();
    await running;
    await t.teardown();
    await fx.close();
  }
  return result;
}
