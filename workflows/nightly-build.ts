// `nightlyBuild`: one image build, started by its stream as a child workflow. Runs the build
// command, then the test battery, reports to the stream's tracker (file/comment on failure, close
// on a pass) and returns the BuildRecord. A build that fails in any way is a result, never an
// exception, so the stream is never stuck. Events go out beside the steps (same workflow tasks).
import { ActivityFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ImageActivities } from '../activities/images.js';
import type { TrackerActivities } from '../activities/tracker.js';
import type { WebhookActivities } from '../activities/webhooks.js';
import { type BuildRecord, type ImageBuildResult, type ImageTestsResult } from './image-types.js';
import { type ImageEventKind, type NightlyBuildInput } from './image-stream-model.js';

const MINUTE = 60_000;

const { postImageEvent } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});
const { reportBuildFailure, reportBuildSuccess } = proxyActivities<TrackerActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8 },
});

/** Long command activities: heartbeat, a start-to-close backstop above the command's own timeout, few retries. */
function commandActivities(timeoutMs: number, heartbeatTimeoutMs = MINUTE) {
  return proxyActivities<ImageActivities>({
    startToCloseTimeout: timeoutMs + 5 * MINUTE,
    heartbeatTimeout: heartbeatTimeoutMs,
    retry: { initialInterval: '10 seconds', maximumAttempts: 3 },
  });
}

/** Why an activity that gave up failed, in words. */
function why(error: unknown): string {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

export async function nightlyBuild(input: NightlyBuildInput): Promise<BuildRecord> {
  const { stream, imageId } = input;
  const emit = async (kind: ImageEventKind, data: Record<string, unknown>): Promise<void> => {
    if (!input.events) return;
    try {
      await postImageEvent({ id: `${workflowInfo().workflowId}/${kind}`, kind, stream, imageId, time: new Date().toISOString(), data });
    } catch {
      // events are best effort: an unreachable webhook never fails a build
    }
  };

  const record: BuildRecord = {
    id: imageId,
    stream,
    startedAt: input.startedAt,
    baseRelease: input.baseRelease,
    status: 'building',
    artifacts: [],
    tests: [],
  };

  const { runImageBuild } = commandActivities(input.build.timeoutMs, input.heartbeatTimeoutMs);
  const [, built] = await Promise.all([
    emit('build.started', { trigger: input.trigger, baseRelease: input.baseRelease, ...(input.ref ? { ref: input.ref } : {}) }),
    runImageBuild({
      stream,
      buildId: imageId,
      baseRelease: input.baseRelease,
      command: input.build.command,
      timeoutMs: input.build.timeoutMs,
      env: input.build.env,
      ...(input.ref ? { ref: input.ref } : {}),
    }).catch((error: unknown) => `build could not run: ${why(error)}`),
  ]);
  const build: ImageBuildResult | null = typeof built === 'string' ? null : built;
  let failure: string | null = typeof built === 'string' ? built : built.ok ? null : (built.reason ?? 'build failed');
  if (build?.ok) {
    record.artifacts = build.artifacts;
    const testsTimeout = input.tests.reduce((sum, t) => sum + t.timeoutMs, 0);
    const { runImageTests } = commandActivities(testsTimeout, input.heartbeatTimeoutMs);
    let tests: ImageTestsResult | null = null;
    try {
      tests = input.tests.length === 0
        ? { passed: true, results: [], blockingFailures: [], advisoryFailures: [] }
        : await runImageTests({ stream, buildId: imageId, baseRelease: input.baseRelease, tests: input.tests });
    } catch (error) {
      failure = `tests could not run: ${why(error)}`;
    }
    if (tests) {
      record.tests = tests.results;
      if (!tests.passed) failure = `blocking tests failed: ${tests.blockingFailures.join(', ')}`;
    }
  }

  record.finishedAt = new Date().toISOString();
  record.status = failure === null ? 'passed' : 'failed';
  if (failure !== null) record.reason = failure;

  const summary = { status: record.status, ...(failure ? { reason: failure } : {}), artifacts: record.artifacts.map((a) => ({ file: a.name, sha256: a.sha256, size: a.size })), tests: record.tests.map((t) => ({ name: t.name, passed: t.passed, advisory: t.advisory })) };
  const report = async (): Promise<void> => {
    if (!input.tracker) return;
    try {
      if (failure !== null) {
        const tail = build?.outputTail ? `\n\nLast output:\n${build.outputTail.slice(-2000)}` : '';
        const result = await reportBuildFailure({
          stream,
          buildId: imageId,
          title: `${stream}: image builds are failing`,
          body: `Image ${imageId} (base ${input.baseRelease}) failed: ${failure}${tail}`,
        });
        if (result.bug) record.trackerUrl = result.bug.url;
      } else {
        await reportBuildSuccess({ stream, buildId: imageId, comment: `Image ${imageId} passed its blocking tests; closing.` });
      }
    } catch {
      // a tracker outage must not turn a build's verdict around; the stream shows no link then
    }
  };
  await Promise.all([report(), emit(failure === null ? 'build.passed' : 'build.failed', summary)]);
  return record;
}
