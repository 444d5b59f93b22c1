// Plain-JSON types of the image pipeline (builds, streams, the published feed) and the naming
// rules for streams, builds and image ids. No Temporal import: shared by workflows, activities,
// the site writer and the download page.

/** Where a build is in its life. `published` means "was published at some point". */
export type BuildStatus = 'building' | 'passed' | 'failed' | 'failed-manually' | 'published' | 'revoked';

/** What kind of file a build produced, guessed from its name. */
export type ArtifactKind = 'qcow2' | 'raw.xz' | 'vagrant-box' | 'iso' | 'other';

/** One file a build wrote into its output dir. */
export interface ArtifactRecord {
  /** Path relative to the output dir, `/`-separated (usually just a file name). */
  name: string;
  /** Lowercase hex SHA-256 of the content. */
  sha256: string;
  /** Size in bytes. */
  size: number;
  kind: ArtifactKind;
}

/** The outcome of one test of the battery against one image. */
export interface TestResult {
  name: string;
  /** Advisory tests may fail without failing the image. */
  advisory: boolean;
  passed: boolean;
  durationMs: number;
  /** The last few KB of the test's combined stdout/stderr. */
  outputTail: string;
  /** Why it failed (exit code, signal, timeout), absent when it passed. */
  reason?: string;
}

/** Everything the stream remembers about one build (one candidate image). */
export interface BuildRecord {
  /** Image id `<stream>-<YYYYMMDD>.<n>`, see {@link imageIdFor}. */
  id: string;
  stream: string;
  /** ISO-8601 UTC. */
  startedAt: string;
  finishedAt?: string;
  baseRelease: string;
  status: BuildStatus;
  artifacts: ArtifactRecord[];
  tests: TestResult[];
  /** Tracker issue that records this build's failure (or the stream's open failure issue). */
  trackerUrl?: string;
  /** Why it failed or was revoked, in words for a person. */
  reason?: string;
  /** Set when the image was uploaded to OpenStack Glance. */
  glanceImageId?: string;
  /** The cloud/region label of that Glance (e.g. `RegionOne`). */
  glanceCloud?: string;
  /** Why the image has no (or no longer an active) Glance copy, in words for a person. */
  glanceProblem?: string;
  /** What became of the Glance copy when the image was revoked. */
  glanceWithdrawn?: 'deactivated' | 'already' | 'gone' | 'not-permitted' | 'kept';
  /** ISO time of the (first) publish of this image. */
  publishedAt?: string;
  /** ISO time of the revocation. */
  revokedAt?: string;
}

/** What to do when no image passed by the end of a publish cycle. */
export type OnNoPassPolicy = 'skip' | 'rebuild-until-pass';

/** The notice shown after the published image was revoked. */
export interface RevocationNotice {
  imageId: string;
  reason: string;
  /** ISO time of the revocation. */
  at: string;
}

/** The whole state of one image stream (the `image-stream-<name>` entity). Plain JSON. */
export interface StreamState {
  stream: string;
  /** Builds still remembered, oldest first (trimmed with `buildsToKeep` on continue-as-new). */
  builds: BuildRecord[];
  /** The image currently on the download page, or null when none is. */
  publishedId: string | null;
  /** Ids published before the current one, oldest first. */
  previousPublished: string[];
  /** Every id ever revoked (kept even after the build record is trimmed). */
  revokedIds: string[];
  /** ISO time of the last publish (or of the last cycle end, see `publishDecision`). */
  lastPublishAt: string | null;
  /** ISO time when the current publish cycle ends. */
  cycleDeadline: string;
  /** True when a cycle ended without a new passing image. */
  stale: boolean;
  /** The open tracker issue about failing builds, if any. */
  trackerUrl: string | null;
  /** Set after a revocation until the next regular publish. */
  lastRevocation: RevocationNotice | null;
  paused: boolean;
  /** True while `rebuild-until-pass` waits for the first passing image. */
  rebuildUntilPass: boolean;
}

/** One file of the published image, as the feed and the page show it. */
export interface FeedFile {
  /** Name inside the image dir. */
  file: string;
  /** Path relative to the site root, `/`-separated, e.g. `atomic-host/atomic-host-20250101.1/disk.qcow2`. */
  path: string;
  /** Absolute URL when the site has a public base URL, else null. */
  url: string | null;
  sha256: string;
  size: number;
  kind: ArtifactKind;
}

/** The published image in a feed. */
export interface FeedImage {
  id: string;
  /** ISO time the image was built. */
  date: string;
  baseRelease: string;
  status: 'published';
  glanceImageId: string | null;
  /** The cloud/region of `glanceImageId`, when known. */
  glanceCloud?: string | null;
  files: FeedFile[];
}

/** `<site>/<stream>.json` (and `<site>/<stream>/feed.json`): what a machine reads. */
export interface StreamFeed {
  stream: string;
  published: FeedImage | null;
  /** No newer image passed in the last cycle; `published` is the old one. */
  stale: boolean;
  /** Every revoked image id of the stream. */
  revoked: string[];
  /** All warnings joined in one sentence each, or null. */
  warning: string | null;
  warnings: string[];
  /** Tracker issue explaining why the stream is stale. */
  trackerUrl: string | null;
  /** Set right after the image that was published got revoked. */
  revokedNotice: { imageId: string; reason: string } | null;
}

/** Where a stream files and closes its failure issue. */
export type ImageTrackerSettings =
  | { kind: 'jira'; project: string; label?: string }
  | { kind: 'github'; repo: string; label?: string };

/** The configuration an `image-stream` workflow runs with (from `config/images.ts`), durations in ms. */
export interface ImageStreamSettings {
  name: string;
  baseRelease: string;
  /** Milliseconds after midnight UTC of the nightly build. */
  nightlyAtMs: number;
  publishEveryMs: number;
  onNoPass: OnNoPassPolicy;
  build: { command: string[]; timeoutMs: number; env: Record<string, string> };
  tests: { name: string; command: string[]; advisory: boolean; timeoutMs: number }[];
  /** Recent builds carried over on continue-as-new. */
  keepBuilds: number;
  tracker: ImageTrackerSettings | null;
  /** Upload published images to Glance when set. */
  glance: {
    visibility: 'private' | 'shared' | 'community' | 'public';
    /** On revoke: deactivate the Glance copy (default) or keep it launchable. */
    onRevoke?: 'deactivate' | 'keep';
  } | null;
  /** Activity timeouts (ms); defaults: heartbeat 1 min for build/test commands, 30 min to publish. */
  activityTimeouts?: { heartbeatMs?: number; publishMs?: number };
}

// ── Activity inputs and outputs (activities/images.ts) ─────────────────────────────────────

/** Input of `runImageBuild`. */
export interface RunImageBuildInput {
  stream: string;
  /** The image id, `[a-z0-9][a-z0-9._-]*`. */
  buildId: string;
  baseRelease: string;
  /** Program and arguments (no shell). */
  command: string[];
  timeoutMs: number;
  /** Optional source ref for the build, passed as `STRATUS_REF`. */
  ref?: string;
  /** Extra environment from the stream config; the `STRATUS_*` variables always win. */
  env?: Record<string, string>;
}

/** How a build went. A failed build is a result (with `reason`), not an exception. */
export interface ImageBuildResult {
  ok: boolean;
  /** Why the build failed, in words for a person; null when ok. */
  reason: string | null;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  outputTail: string;
  artifacts: ArtifactRecord[];
}

/** One test of the battery. */
export interface ImageTestSpec {
  name: string;
  command: string[];
  /** An advisory test may fail without failing the image. */
  advisory?: boolean;
  timeoutMs: number;
}

/** Input of `runImageTests`. */
export interface RunImageTestsInput {
  stream: string;
  buildId: string;
  baseRelease: string;
  tests: ImageTestSpec[];
}

/** The battery's verdict: `passed` unless a blocking (non-advisory) test failed. */
export interface ImageTestsResult {
  passed: boolean;
  results: TestResult[];
  blockingFailures: string[];
  advisoryFailures: string[];
}

/** Input of `publishImage`: what the stream's section of the site must show. */
export interface PublishImageInput {
  stream: string;
  /** The image to offer (usually the build record), or null when the stream has none to offer. */
  image: Pick<BuildRecord, 'id' | 'startedAt' | 'baseRelease' | 'artifacts' | 'glanceImageId' | 'glanceCloud'> | null;
  stale?: boolean;
  trackerUrl?: string | null;
  /** Every revoked image id of the stream; their dirs are removed from the site. */
  revoked?: string[];
  revokedNotice?: { imageId: string; reason: string } | null;
  warnings?: string[];
}

/** What `publishImage` wrote. */
export interface PublishImageResult {
  feed: StreamFeed;
  /** False when the image dir was already on the site (a retry or a republish). */
  installed: boolean;
  /** Revoked image dirs removed by this call. */
  removed: string[];
}

/** Stream names: lowercase letters, digits and `-`, starting with a letter or digit. */
export const STREAM_NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Build (image) ids: `[a-z0-9][a-z0-9._-]*`, at most 128 characters. */
export const BUILD_ID_RE = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** Why a stream name or build id may not be used; null when it is fine. */
export function nameProblem(field: 'stream' | 'buildId' | 'imageId', value: unknown): string | null {
  const re = field === 'stream' ? STREAM_NAME_RE : BUILD_ID_RE;
  if (typeof value !== 'string') return `${field} must be a string`;
  if (re.test(value)) return null;
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return field === 'stream'
    ? `${field} ${shown} is not a valid stream name (lowercase letters, digits and "-", starting with a letter or digit, at most 63 characters)`
    : `${field} ${shown} is not a valid image id (lowercase letters, digits, ".", "_" and "-", starting with a letter or digit, at most 128 characters)`;
}

/**
 * The id of the next image of `stream` built at `atIso`: `<stream>-<YYYYMMDD>.<n>`, where n is one
 * more than the highest n already used that day among `existingIds`.
 */
export function imageIdFor(stream: string, atIso: string, existingIds: readonly string[]): string {
  const day = atIso.slice(0, 10).replaceAll('-', '');
  const prefix = `${stream}-${day}.`;
  let highest = 0;
  for (const id of existingIds) {
    if (!id.startsWith(prefix)) continue;
    const n = Number(id.slice(prefix.length));
    if (Number.isInteger(n) && n > highest) highest = n;
  }
  return `${prefix}${highest + 1}`;
}
