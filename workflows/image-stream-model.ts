// Plain-JSON shapes and pure helpers of the `imageStream` and `nightlyBuild` workflows: their
// inputs, the names of their updates/queries/signals (shared with the CLI), the nightly clock,
// what the download page should show for a state, and the views the queries return. No Temporal
// import: unit-testable, bundle-safe and importable by the CLI.
import {
  type BuildRecord,
  type ImageStreamSettings,
  type PublishImageInput,
  type StreamState,
} from './image-types.js';

/** Task queue of the image pipeline workflows and activities. */
export const IMAGES_TASK_QUEUE = 'stratus-images';

/** Names of the stream's handlers (the CLI addresses them by name). */
export const IMAGE_STREAM = {
  configureSignal: 'configure',
  statusQuery: 'status',
  listQuery: 'list',
  buildUpdate: 'build',
  failUpdate: 'fail',
  revokeUpdate: 'revoke',
  publishUpdate: 'publish',
  pauseUpdate: 'pause',
  resumeUpdate: 'resume',
} as const;

/** `image-stream-<name>`. */
export const streamWorkflowId = (stream: string): string => `image-stream-${stream}`;
/** `image-build-<imageId>`: the child running one build. */
export const buildWorkflowId = (imageId: string): string => `image-build-${imageId}`;
/** The stream an image id belongs to: `<stream>-<YYYYMMDD>.<n>`; null when it does not look like one. */
export function streamOfImageId(imageId: string): string | null {
  const m = /^([a-z0-9][a-z0-9-]*)-\d{8}\.\d+$/.exec(imageId);
  return m ? m[1]! : null;
}

/** What the `configure` signal (and the start input) carries. */
export interface StreamConfiguration {
  settings: ImageStreamSettings;
  /** Post CloudEvents of state changes (the webhook URLs themselves stay on the worker). */
  events: boolean;
}

/** A build waiting for its turn (builds of a stream run one at a time). */
export interface QueuedBuild {
  imageId: string;
  trigger: 'nightly' | 'manual' | 'rebuild';
  ref?: string;
}

/** What a stream carries over on continue-as-new. */
export interface StreamCarry {
  state: StreamState;
  staleWarning: string | null;
  revokeWarning: string | null;
  queue: QueuedBuild[];
  /** Epoch ms of the next nightly build. */
  nextNightlyAt: number;
  /** Counter that keeps event ids unique across runs. */
  eventSeq: number;
  /** Builds started over the stream's whole life. */
  buildsStarted: number;
}

/** Input of the `imageStream` workflow. */
export interface ImageStreamInput extends StreamConfiguration {
  carry?: StreamCarry;
  /** Continue-as-new once a run's history has this many events (default 2 000). */
  maxHistoryEvents?: number;
}

/** Input of the `nightlyBuild` child workflow. */
export interface NightlyBuildInput {
  stream: string;
  imageId: string;
  baseRelease: string;
  /** ISO time the stream started the build. */
  startedAt: string;
  ref?: string;
  trigger: QueuedBuild['trigger'];
  build: ImageStreamSettings['build'];
  tests: ImageStreamSettings['tests'];
  /** Heartbeat timeout of the build and test commands (default 1 min): how soon a dead worker's build is retried. */
  heartbeatTimeoutMs?: number;
  /** Report to the stream's tracker (only when one is configured). */
  tracker: boolean;
  events: boolean;
}

/** Request of the `build` update. */
export interface BuildRequest {
  ref?: string;
}
/** Request of the `fail` and `revoke` updates. */
export interface ImageVerdictRequest {
  imageId: string;
  reason: string;
}

/** One build as `stratus image list` shows it. */
export interface BuildListEntry {
  id: string;
  stream: string;
  date: string;
  status: BuildRecord['status'];
  tests: { name: string; passed: boolean; advisory: boolean }[];
  artifacts: { file: string; sha256: string; size: number }[];
  reason: string | null;
  trackerUrl: string | null;
  /** The Glance copy, when the image was uploaded (`withdrawn` after a revoke). */
  glance?: { imageId: string; cloud: string | null; withdrawn: string | null } | null;
  /** Why the Glance upload or withdrawal did not happen. */
  glanceProblem?: string | null;
}

/** What the `status` query returns. */
export interface StreamStatus {
  stream: string;
  published: { id: string; date: string } | null;
  stale: boolean;
  trackerUrl: string | null;
  /** ISO end of the current publish cycle. */
  deadline: string;
  /** ISO time of the next nightly build. */
  nextNightly: string;
  paused: boolean;
  onNoPass: ImageStreamSettings['onNoPass'];
  rebuildUntilPass: boolean;
  /** The build running now, if any. */
  running: string | null;
  queued: string[];
  revoked: string[];
  warnings: string[];
  lastPublishAt: string | null;
  /** Builds remembered right now, and started over the stream's life. */
  builds: number;
  buildsStarted: number;
  /** What the download page shows for this stream (what `stratus site build` writes). */
  page: PublishImageInput;
}

const DAY = 86_400_000;

/** The first instant strictly after `now` (epoch ms) at `atMs` after midnight UTC. */
export function nextNightlyAfter(now: number, atMs: number): number {
  const midnight = Math.floor(now / DAY) * DAY;
  const today = midnight + atMs;
  return today > now ? today : today + DAY;
}

/** A fresh stream: nothing built, the first cycle ends `publishEvery` after the first nightly build. */
export function initialStreamState(settings: ImageStreamSettings, now: number): StreamState {
  return {
    stream: settings.name,
    builds: [],
    publishedId: null,
    previousPublished: [],
    revokedIds: [],
    lastPublishAt: null,
    cycleDeadline: new Date(nextNightlyAfter(now, settings.nightlyAtMs) + settings.publishEveryMs).toISOString(),
    stale: false,
    trackerUrl: null,
    lastRevocation: null,
    paused: false,
    rebuildUntilPass: false,
  };
}

/** The cycle deadline after `deadline` that lies after `now` (skips cycles missed while down). */
export function nextDeadline(deadlineIso: string, now: number, everyMs: number): string {
  let next = Date.parse(deadlineIso) + everyMs;
  while (next <= now) next += everyMs;
  return new Date(next).toISOString();
}

/** What the download page shows for the stream in `state`. */
export function pageInput(state: StreamState, warnings: { stale: string | null; revoke: string | null }): PublishImageInput {
  const published = state.publishedId === null ? undefined : state.builds.find((b) => b.id === state.publishedId);
  const notice = state.lastRevocation;
  return {
    stream: state.stream,
    image: published
      ? {
        id: published.id, startedAt: published.startedAt, baseRelease: published.baseRelease, artifacts: published.artifacts, glanceImageId: published.glanceImageId,
        ...(published.glanceCloud ? { glanceCloud: published.glanceCloud } : {}),
      }
      : null,
    stale: state.stale,
    trackerUrl: state.stale || !published ? state.trackerUrl : null,
    revoked: [...state.revokedIds],
    revokedNotice: notice ? { imageId: notice.imageId, reason: notice.reason } : null,
    warnings: [notice ? warnings.revoke : null, state.stale || !published ? warnings.stale : null].filter((w): w is string => !!w),
  };
}

/** A build as `stratus image list` shows it. */
export function listEntry(b: BuildRecord): BuildListEntry {
  return {
    id: b.id,
    stream: b.stream,
    date: b.startedAt,
    status: b.status,
    tests: b.tests.map((t) => ({ name: t.name, passed: t.passed, advisory: t.advisory })),
    artifacts: b.artifacts.map((a) => ({ file: a.name, sha256: a.sha256, size: a.size })),
    reason: b.reason ?? null,
    trackerUrl: b.trackerUrl ?? null,
    ...(b.glanceImageId ? { glance: { imageId: b.glanceImageId, cloud: b.glanceCloud ?? null, withdrawn: b.glanceWithdrawn ?? null } } : {}),
    ...(b.glanceProblem ? { glanceProblem: b.glanceProblem } : {}),
  };
}

/** A CloudEvents type of the image pipeline, e.g. `org.stratus.image.build.passed`. */
export type ImageEventKind =
  | 'build.started'
  | 'build.passed'
  | 'build.failed'
  | 'failed-manually'
  | 'published'
  | 'revoked'
  | 'stream.stale'
  | 'stream.paused'
  | 'stream.resumed';

/** An event as the workflows hand it to the `postImageEvent` activity (turned into a CloudEvent there). */
export interface ImageEvent {
  /** Unique and stable across activity retries: derived from the workflow id and the event. */
  id: string;
  kind: ImageEventKind;
  stream: string;
  /** The image the event is about, if any (the CloudEvents `subject`). */
  imageId?: string;
  /** ISO time of the state change (workflow time). */
  time: string;
  data: Record<string, unknown>;
}
