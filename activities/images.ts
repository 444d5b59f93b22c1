// Activities of the image pipeline: run a build, run the test battery against its output,
// publish an image (or the stream's current state) on the download site, regenerate the page.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { collectArtifacts, UnsafeArtifactError } from '../clients/artifacts.js';
import { type CommandResult, type CommandRunner, CommandStartError, InvalidCommandError } from '../clients/command-runner.js';
import { InvalidSiteNameError, SiteConflictError, type SiteWriter } from '../clients/site.js';
import { renderDownloadPage as renderPage } from '../dashboard/download-page.js';
import {
  type ArtifactRecord,
  type FeedImage,
  type ImageBuildResult,
  type ImageTestsResult,
  type PublishImageInput,
  type PublishImageResult,
  type RunImageBuildInput,
  type RunImageTestsInput,
  type StreamFeed,
  type TestResult,
  nameProblem,
} from '../workflows/image-types.js';

export type {
  ImageBuildResult,
  ImageTestSpec,
  ImageTestsResult,
  PublishImageInput,
  PublishImageResult,
  RunImageBuildInput,
  RunImageTestsInput,
} from '../workflows/image-types.js';

/** What the image activities need. */
export interface ImageActivityDeps {
  runner: CommandRunner;
  site: SiteWriter;
  /** Build outputs live in `<workDir>/<stream>/<buildId>/output`. */
  workDir: string;
  /** Where build and test commands run (relative programs like `./build.sh` resolve here); default `workDir`. */
  commandCwd?: string;
  /** Public base URL of the site (e.g. `https://images.example.org`), for absolute URLs in feeds. */
  siteBaseUrl?: string;
  /** Title of the download page. */
  pageTitle?: string;
  /** How often a running command heartbeats (default 5 s; keep it below the heartbeat timeout). */
  heartbeatIntervalMs?: number;
}

const REF_RE = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;

function invalid(message: string, type = 'InvalidImageRequest'): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type);
}

function checkName(field: 'stream' | 'buildId' | 'imageId', value: unknown): void {
  const problem = nameProblem(field, value);
  if (problem) throw invalid(problem, 'InvalidImageName');
}

/** The activity context, or undefined when called as a plain function (unit tests, scripts). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function failureReason(what: string, result: CommandResult, timeoutMs: number): string {
  if (result.timedOut) return `${what} timed out after ${formatMs(timeoutMs)}`;
  if (result.signal) return `${what} was killed by ${result.signal}`;
  return `${what} exited with code ${result.exitCode}`;
}

/** Creates the image activities over the given adapters. */
export function createImageActivities(deps: ImageActivityDeps) {
  const cwd = deps.commandCwd ?? deps.workDir;
  const heartbeatMs = deps.heartbeatIntervalMs ?? 5000;
  const outputDir = (stream: string, buildId: string): string => join(deps.workDir, stream, buildId, 'output');
  let indexQueue: Promise<unknown> = Promise.resolve();

  /** Runs a command under the activity's heartbeat and cancellation, if there is an activity. */
  async function run(command: string[], env: Record<string, string>, timeoutMs: number, progress: () => unknown): Promise<CommandResult> {
    const ctx = activityContext();
    try {
      const result = await deps.runner.run({
        command,
        cwd,
        env,
        timeoutMs,
        signal: ctx?.cancellationSignal,
        progressIntervalMs: heartbeatMs,
        onProgress: ctx ? (p) => ctx.heartbeat({ ...(progress() as object), elapsedMs: p.elapsedMs }) : undefined,
      });
      if (result.aborted && ctx?.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
      return result;
    } catch (error) {
      if (error instanceof InvalidCommandError) throw invalid(error.message, 'InvalidCommand');
      throw error;
    }
  }

  /** Regenerates index.html from every feed on disk; serialized within this worker process. */
  function regenerateIndex(): Promise<string[]> {
    const next = indexQueue.then(async () => {
      const feeds = await deps.site.readFeeds();
      await deps.site.writeIndex(renderPage({ feeds, title: deps.pageTitle }));
      return feeds.map((f) => f.stream);
    });
    indexQueue = next.catch(() => undefined);
    return next;
  }

  function feedImage(stream: string, image: NonNullable<PublishImageInput['image']>): FeedImage {
    return {
      id: image.id,
      date: image.startedAt,
      baseRelease: image.baseRelease,
      status: 'published',
      glanceImageId: image.glanceImageId ?? null,
      ...(image.glanceImageId ? { glanceCloud: image.glanceCloud ?? null } : {}),
      files: image.artifacts.map((a) => {
        const path = `${stream}/${image.id}/${a.name}`;
        const encoded = path.split('/').map(encodeURIComponent).join('/');
        const url = deps.siteBaseUrl ? new URL(encoded, deps.siteBaseUrl.replace(/\/*$/, '/')).href : null;
        return { file: a.name, path, url, sha256: a.sha256, size: a.size, kind: a.kind };
      }),
    };
  }

  return {
    /** Runs the stream's build command into a fresh output dir and collects what it wrote. */
    async runImageBuild(input: RunImageBuildInput): Promise<ImageBuildResult> {
      checkName('stream', input.stream);
      checkName('buildId', input.buildId);
      if (!(input.timeoutMs > 0)) throw invalid(`timeoutMs must be positive for build ${input.buildId}`);
      if (input.ref !== undefined && (!REF_RE.test(input.ref) || input.ref.includes('..'))) {
        throw invalid(`ref ${JSON.stringify(input.ref)} is not a valid ref (letters, digits, ".", "_", "/" and "-", no "..")`);
      }
      const dir = outputDir(input.stream, input.buildId);
      await rm(dir, { recursive: true, force: true }); // a retried attempt starts clean
      await mkdir(dir, { recursive: true });
      const env: Record<string, string> = {
        ...input.env,
        STRATUS_OUTPUT_DIR: dir,
        STRATUS_BUILD_ID: input.buildId,
        STRATUS_STREAM: input.stream,
        STRATUS_BASE_RELEASE: input.baseRelease,
        ...(input.ref !== undefined ? { STRATUS_REF: input.ref } : {}),
      };
      const failed = (reason: string, r?: CommandResult): ImageBuildResult => ({
        ok: false,
        reason,
        exitCode: r?.exitCode ?? null,
        signal: r?.signal ?? null,
        timedOut: r?.timedOut ?? false,
        durationMs: r?.durationMs ?? 0,
        outputTail: r?.outputTail ?? '',
        artifacts: [],
      });
      let result: CommandResult;
      try {
        result = await run(input.command, env, input.timeoutMs, () => ({ buildId: input.buildId }));
      } catch (error) {
        if (error instanceof CommandStartError) return failed(`build command could not start: ${error.message}`);
        throw error;
      }
      if (!result.ok) return failed(failureReason('build command', result, input.timeoutMs), result);
      let artifacts: ArtifactRecord[];
      try {
        artifacts = (await collectArtifacts(dir, { signal: activityContext()?.cancellationSignal })).map(({ name, sha256, size, kind }) => ({ name, sha256, size, kind }));
      } catch (error) {
        if (error instanceof UnsafeArtifactError) return failed(error.message, result);
        throw error;
      }
      if (artifacts.length === 0) return failed('the build command wrote no artifact into its output dir', result);
      return { ...failed('', result), ok: true, reason: null, artifacts };
    },

    /** Runs each test against the build's output dir; resumes after a retry from the heartbeat. */
    async runImageTests(input: RunImageTestsInput): Promise<ImageTestsResult> {
      checkName('stream', input.stream);
      checkName('buildId', input.buildId);
      const names = new Set<string>();
      for (const [i, t] of input.tests.entries()) {
        if (typeof t.name !== 'string' || t.name.trim() === '') throw invalid(`tests[${i}].name must not be empty`);
        if (names.has(t.name)) throw invalid(`tests[${i}].name "${t.name}" is used twice`);
        names.add(t.name);
      }
      const dir = outputDir(input.stream, input.buildId);
      if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) {
        throw invalid(`the output dir of build ${input.buildId} is missing (${dir}); rebuild the image`, 'ImageDirMissing');
      }
      const ctx = activityContext();
      const previous = (ctx?.info.heartbeatDetails as { results?: TestResult[] } | undefined)?.results;
      const results: TestResult[] = Array.isArray(previous) ? previous.filter((r) => names.has(r.name)) : [];
      for (const test of input.tests) {
        if (results.some((r) => r.name === test.name)) continue;
        const env = {
          STRATUS_IMAGE_DIR: dir,
          STRATUS_BUILD_ID: input.buildId,
          STRATUS_STREAM: input.stream,
          STRATUS_BASE_RELEASE: input.baseRelease,
          STRATUS_TEST_NAME: test.name,
        };
        const advisory = test.advisory ?? false;
        let outcome: TestResult;
        try {
          const r = await run(test.command, env, test.timeoutMs, () => ({ results, current: test.name }));
          outcome = { name: test.name, advisory, passed: r.ok, durationMs: r.durationMs, outputTail: r.outputTail };
          if (!r.ok) outcome.reason = failureReason(`test ${test.name}`, r, test.timeoutMs);
        } catch (error) {
          if (!(error instanceof CommandStartError)) throw error;
          outcome = { name: test.name, advisory, passed: false, durationMs: 0, outputTail: '', reason: `test ${test.name} could not start: ${error.message}` };
        }
        results.push(outcome);
        ctx?.heartbeat({ results });
      }
      const ordered = input.tests.map((t) => results.find((r) => r.name === t.name)!);
      const blockingFailures = ordered.filter((r) => !r.passed && !r.advisory).map((r) => r.name);
      const advisoryFailures = ordered.filter((r) => !r.passed && r.advisory).map((r) => r.name);
      return { passed: blockingFailures.length === 0, results: ordered, blockingFailures, advisoryFailures };
    },

    /**
     * Puts a stream's state on the site: copies the image's files (idempotent), removes revoked
     * image dirs, writes the feed and regenerates index.html. Same input, same site.
     */
    async publishImage(input: PublishImageInput): Promise<PublishImageResult> {
      checkName('stream', input.stream);
      const revoked = [...new Set(input.revoked ?? [])];
      revoked.forEach((id) => checkName('imageId', id));
      let installed = false;
      if (input.image) {
        const image = input.image;
        checkName('imageId', image.id);
        if (revoked.includes(image.id)) throw invalid(`imageId "${image.id}" is revoked and cannot be published`, 'ImageRevoked');
        if (image.artifacts.length === 0) throw invalid(`imageId "${image.id}" has no artifacts to publish`, 'ArtifactMissing');
        const source = outputDir(input.stream, image.id);
        try {
          const files = image.artifacts.map((a) => ({ name: a.name, sourcePath: join(source, a.name), sha256: a.sha256, size: a.size }));
          installed = (await deps.site.installImage({ stream: input.stream, imageId: image.id, files })).created;
        } catch (error) {
          if (error instanceof SiteConflictError) throw ApplicationFailure.nonRetryable(error.message, 'SiteConflict', { stream: error.stream, imageId: error.imageId, file: error.file });
          if (error instanceof InvalidSiteNameError) throw invalid(error.message, 'InvalidImageName');
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
            throw invalid(`an artifact of imageId "${image.id}" is missing from its build output (${source}) and the site; rebuild the image`, 'ArtifactMissing');
          }
          throw error;
        }
      }
      const removed: string[] = [];
      for (const id of revoked) if (await deps.site.removeImage(input.stream, id)) removed.push(id);
      const warnings = (input.warnings ?? []).filter((w) => w.trim() !== '');
      const feed: StreamFeed = {
        stream: input.stream,
        published: input.image ? feedImage(input.stream, input.image) : null,
        stale: input.stale ?? false,
        revoked,
        warning: warnings.length ? warnings.join(' ') : null,
        warnings,
        trackerUrl: input.trackerUrl ?? null,
        revokedNotice: input.revokedNotice ?? null,
      };
      await deps.site.writeFeed(feed);
      await regenerateIndex();
      return { feed, installed, removed };
    },

    /** Regenerates index.html from the feeds on the site (`stratus site build`). */
    async renderDownloadPage(): Promise<{ streams: string[] }> {
      return { streams: await regenerateIndex() };
    },
  };
}

/** The activities `createImageActivities` returns (for `proxyActivities<ImageActivities>`). */
export type ImageActivities = ReturnType<typeof createImageActivities>;
