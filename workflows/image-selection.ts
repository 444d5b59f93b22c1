// Pure decisions of an image stream: which image to publish, what to show when none passed,
// where to fall back after a revocation, which builds to carry over on continue-as-new, and the
// checks and state changes behind the manual actions. No Temporal import: unit-testable and
// bundle-safe; the `image-stream` workflow calls these.
import { type BuildRecord, type OnNoPassPolicy, type StreamState, nameProblem } from './image-types.js';

/** What the stream should do at the end of a publish cycle (or after a rebuild passed). */
export type PublishDecision =
  | { kind: 'publish'; image: BuildRecord; replaces: string | null }
  | { kind: 'keep-stale'; publishedId: string; trackerUrl: string | null; warning: string; rebuildUntilPass: boolean }
  | { kind: 'nothing-published'; trackerUrl: string | null; warning: string; rebuildUntilPass: boolean };

/** What a revocation does to the download page. */
export type RevokeOutcome =
  /** The revoked image was on the page; `image` replaces it. */
  | { kind: 'fallback'; image: BuildRecord; warning: string }
  /** The revoked image was on the page and no earlier good image is left: the page shows none. */
  | { kind: 'none-left'; warning: string }
  /** The revoked image had been replaced already; the page keeps `publishedId`. */
  | { kind: 'unchanged'; publishedId: string | null; warning: string };

/** Stable codes of rejected manual requests (use them as `ApplicationFailure` types). */
export type ImageRequestErrorCode =
  | 'InvalidImageId'
  | 'UnknownImage'
  | 'MissingReason'
  | 'AlreadyFailed'
  | 'AlreadyRevoked'
  | 'NotPublished'
  | 'PublishedUseRevoke'
  | 'StreamPaused';

/** The verdict of a request validator: fine, or a message for the person who asked. */
export type RequestCheck = { ok: true } | { ok: false; code: ImageRequestErrorCode; message: string };

/** Thrown by the `apply…` functions when given a request their validator rejects. */
export class ImageRequestError extends Error {
  override readonly name = 'ImageRequestError';
  constructor(
    readonly code: ImageRequestErrorCode,
    message: string,
    readonly imageId?: string,
  ) {
    super(message);
  }
}

const time = (iso: string | undefined | null): number => (iso ? Date.parse(iso) : Number.NEGATIVE_INFINITY);
const day = (iso: string | null | undefined): string => (iso ? iso.slice(0, 10) : 'never');
const isGood = (b: BuildRecord): boolean => b.status === 'passed' || b.status === 'published';

/** Newest first: later start, then later position in the list (builds are appended in order). */
function newest(candidates: { build: BuildRecord; index: number }[]): BuildRecord | null {
  let best: { build: BuildRecord; index: number } | null = null;
  for (const c of candidates) {
    if (best === null) best = c;
    else {
      const dt = time(c.build.startedAt) - time(best.build.startedAt);
      if (dt > 0 || (dt === 0 && c.index > best.index)) best = c;
    }
  }
  return best?.build ?? null;
}

/**
 * The newest `passed` image that finished after the last publish (`lastPublishAt`, ISO, null
 * when nothing was ever published); null when there is none. Failed, revoked and already
 * published images are never picked.
 */
export function pickImageToPublish(builds: readonly BuildRecord[], lastPublishAt: string | null): BuildRecord | null {
  const since = time(lastPublishAt);
  return newest(
    builds
      .map((build, index) => ({ build, index }))
      .filter(({ build }) => build.status === 'passed' && time(build.finishedAt ?? build.startedAt) > since),
  );
}

/**
 * Decides a publish: the image to publish, or (none passed) keep the previous one marked stale,
 * or report that the stream never had an image. `now` (ISO) dates the warning.
 */
export function publishDecision(state: StreamState, now: string, policy: OnNoPassPolicy): PublishDecision {
  const image = pickImageToPublish(state.builds, state.lastPublishAt);
  if (image) return { kind: 'publish', image, replaces: state.publishedId };
  const rebuildUntilPass = policy === 'rebuild-until-pass';
  const next = rebuildUntilPass
    ? 'Rebuilding nightly until an image passes.'
    : 'Waiting for the next publish cycle.';
  const tracker = state.trackerUrl ? ` Failure report: ${state.trackerUrl}.` : '';
  const since = state.lastPublishAt ? `since ${day(state.lastPublishAt)} ` : '';
  if (state.publishedId !== null) {
    const current = state.builds.find((b) => b.id === state.publishedId);
    const built = current ? ` (built ${day(current.startedAt)})` : '';
    return {
      kind: 'keep-stale',
      publishedId: state.publishedId,
      trackerUrl: state.trackerUrl,
      rebuildUntilPass,
      warning: `No ${state.stream} image built ${since}passed its tests as of ${day(now)}; ${state.publishedId}${built} is stale.${tracker} ${next}`,
    };
  }
  return {
    kind: 'nothing-published',
    trackerUrl: state.trackerUrl,
    rebuildUntilPass,
    warning: `No ${state.stream} image has passed its tests yet (as of ${day(now)}).${tracker} ${next}`,
  };
}

/**
 * Where the page goes when `revokedId` is revoked: if it is the published image, to the newest
 * good (passed or once published) image built before it that is not revoked; else nowhere.
 */
export function fallbackAfterRevoke(state: StreamState, revokedId: string, reason = ''): RevokeOutcome {
  const why = reason.trim() ? ` (${reason.trim()})` : '';
  if (state.publishedId !== revokedId) {
    return {
      kind: 'unchanged',
      publishedId: state.publishedId,
      warning: `Image ${revokedId} was revoked${why}; it is no longer offered.`,
    };
  }
  const index = state.builds.findIndex((b) => b.id === revokedId);
  const revoked = state.builds[index];
  const revokedTime = time(revoked?.startedAt);
  const image = newest(
    state.builds
      .map((build, i) => ({ build, index: i }))
      .filter(
        ({ build, index: i }) =>
          isGood(build) &&
          build.id !== revokedId &&
          !state.revokedIds.includes(build.id) &&
          (time(build.startedAt) < revokedTime || (time(build.startedAt) === revokedTime && i < index)),
      ),
  );
  if (image) {
    return {
      kind: 'fallback',
      image,
      warning: `The previous image ${revokedId} was revoked${why}; showing the earlier good image ${image.id} (built ${day(image.startedAt)}).`,
    };
  }
  return {
    kind: 'none-left',
    warning: `The previous image ${revokedId} was revoked${why}; no earlier good image is left to offer.`,
  };
}

/**
 * The builds a continued-as-new stream must carry over: the published image, the image a
 * revocation of it would fall back to, the newest good image, builds still running, and the
 * `keepRecent` most recent builds. Order is preserved.
 */
export function buildsToKeep(state: StreamState, keepRecent: number): BuildRecord[] {
  const keep = new Set<string>();
  if (state.publishedId !== null) {
    keep.add(state.publishedId);
    const fallback = fallbackAfterRevoke(state, state.publishedId);
    if (fallback.kind === 'fallback') keep.add(fallback.image.id);
  }
  const good = newest(state.builds.map((build, index) => ({ build, index })).filter(({ build }) => isGood(build)));
  if (good) keep.add(good.id);
  const recentFrom = Math.max(0, state.builds.length - Math.max(0, Math.floor(keepRecent)));
  return state.builds.filter((b, i) => keep.has(b.id) || b.status === 'building' || i >= recentFrom);
}

// ── Manual requests ────────────────────────────────────────────────────────────────────────

const ok: RequestCheck = { ok: true };
const reject = (code: ImageRequestErrorCode, message: string): RequestCheck => ({ ok: false, code, message });

function lookUp(state: StreamState, imageId: unknown): RequestCheck | BuildRecord {
  const problem = nameProblem('imageId', imageId);
  if (problem) return reject('InvalidImageId', problem);
  const id = imageId as string;
  const build = state.builds.find((b) => b.id === id);
  if (build) return build;
  if (state.revokedIds.includes(id)) return reject('AlreadyRevoked', `imageId "${id}" is already revoked`);
  if (!id.startsWith(`${state.stream}-`)) {
    return reject('UnknownImage', `imageId "${id}" is not an image of stream "${state.stream}"`);
  }
  return reject('UnknownImage', `imageId "${id}" is unknown in stream "${state.stream}" (no such build is remembered)`);
}

function reasonProblem(reason: unknown): RequestCheck | null {
  if (typeof reason !== 'string' || reason.trim() === '') return reject('MissingReason', 'reason must not be empty');
  if (reason.length > 2000) return reject('MissingReason', 'reason must be at most 2000 characters');
  return null;
}

/** Checks `stratus image fail <imageId> --reason`: the image must exist and be neither failed, published nor revoked. */
export function validateManualFail(state: StreamState, request: { imageId: string; reason: string }): RequestCheck {
  const found = lookUp(state, request.imageId);
  if (!('id' in found)) return found;
  const id = found.id;
  switch (found.status) {
    case 'failed':
    case 'failed-manually':
      return reject('AlreadyFailed', `imageId "${id}" has already failed${found.reason ? `: ${found.reason}` : ''}`);
    case 'revoked':
      return reject('AlreadyRevoked', `imageId "${id}" is already revoked`);
    case 'published':
      return reject('PublishedUseRevoke', `imageId "${id}" was published; use revoke instead of fail`);
    default:
      return reasonProblem(request.reason) ?? ok;
  }
}

/** Checks `stratus image revoke <imageId> --reason`: the image must have been published and not be revoked yet. */
export function validateRevoke(state: StreamState, request: { imageId: string; reason: string }): RequestCheck {
  const found = lookUp(state, request.imageId);
  if (!('id' in found)) return found;
  if (found.status === 'revoked') return reject('AlreadyRevoked', `imageId "${found.id}" is already revoked`);
  if (found.status !== 'published') {
    return reject('NotPublished', `imageId "${found.id}" was never published (status ${found.status}); use fail instead of revoke`);
  }
  return reasonProblem(request.reason) ?? ok;
}

/** Checks a manual publish or build: refused while the stream is paused. */
export function validateStreamActive(state: StreamState, action: 'publish' | 'build'): RequestCheck {
  return state.paused
    ? reject('StreamPaused', `stream "${state.stream}" is paused; resume it before you ${action}`)
    : ok;
}

function orThrow(check: RequestCheck, imageId?: string): void {
  if (!check.ok) throw new ImageRequestError(check.code, check.message, imageId);
}

const replaceBuild = (state: StreamState, id: string, patch: Partial<BuildRecord>): BuildRecord[] =>
  state.builds.map((b) => (b.id === id ? { ...b, ...patch } : b));

// ── State changes (return a new state; the input is not modified) ─────────────────────────

/**
 * Adds a build or replaces the record with the same id. A manual verdict wins: a build failed by
 * hand (or revoked) while it ran keeps that status and reason when its result arrives.
 */
export function recordBuild(state: StreamState, record: BuildRecord): StreamState {
  const existing = state.builds.find((b) => b.id === record.id);
  if (!existing) return { ...state, builds: [...state.builds, record] };
  const manual = existing.status === 'failed-manually' || existing.status === 'revoked';
  const merged = manual ? { ...record, status: existing.status, reason: existing.reason } : record;
  return { ...state, builds: replaceBuild(state, record.id, merged) };
}

/** `imageId` is now on the page: clears the stale flag and any revocation notice. */
export function applyPublish(state: StreamState, imageId: string, at: string): StreamState {
  const build = state.builds.find((b) => b.id === imageId);
  if (!build || !isGood(build)) {
    throw new ImageRequestError('NotPublished', `imageId "${imageId}" cannot be published (${build ? `status ${build.status}` : 'unknown'})`, imageId);
  }
  const previous = state.publishedId !== null && state.publishedId !== imageId ? [state.publishedId] : [];
  return {
    ...state,
    builds: replaceBuild(state, imageId, { status: 'published', publishedAt: build.publishedAt ?? at }),
    publishedId: imageId,
    previousPublished: [...state.previousPublished.filter((id) => id !== imageId), ...previous],
    lastPublishAt: at,
    stale: false,
    rebuildUntilPass: false,
    lastRevocation: null,
  };
}

/** A cycle ended without a passing image (`decision` is not `publish`). */
export function applyNoPass(state: StreamState, decision: Exclude<PublishDecision, { kind: 'publish' }>): StreamState {
  return { ...state, stale: decision.kind === 'keep-stale', rebuildUntilPass: decision.rebuildUntilPass };
}

/** Marks an image failed by hand (validated with {@link validateManualFail}). */
export function applyManualFail(state: StreamState, request: { imageId: string; reason: string }, at: string): StreamState {
  orThrow(validateManualFail(state, request), request.imageId);
  return {
    ...state,
    builds: replaceBuild(state, request.imageId, { status: 'failed-manually', reason: request.reason.trim(), finishedAt: at }),
  };
}

/**
 * Revokes a published image (validated with {@link validateRevoke}) and moves the page to the
 * fallback. The caller republishes `outcome` on the site.
 */
export function applyRevoke(
  state: StreamState,
  request: { imageId: string; reason: string },
  at: string,
): { state: StreamState; outcome: RevokeOutcome } {
  orThrow(validateRevoke(state, request), request.imageId);
  const reason = request.reason.trim();
  const outcome = fallbackAfterRevoke(state, request.imageId, reason);
  let builds = replaceBuild(state, request.imageId, { status: 'revoked', reason, revokedAt: at });
  let { publishedId, lastRevocation } = state;
  let previousPublished = state.previousPublished;
  if (outcome.kind !== 'unchanged') {
    lastRevocation = { imageId: request.imageId, reason, at };
    previousPublished = [...previousPublished.filter((id) => id !== request.imageId), request.imageId];
    publishedId = null;
    if (outcome.kind === 'fallback') {
      const id = outcome.image.id;
      publishedId = id;
      previousPublished = previousPublished.filter((p) => p !== id);
      builds = builds.map((b) => (b.id === id ? { ...b, status: 'published', publishedAt: b.publishedAt ?? at } : b));
    }
  }
  return {
    outcome,
    state: {
      ...state,
      builds,
      publishedId,
      previousPublished,
      lastRevocation,
      revokedIds: [...state.revokedIds, request.imageId],
    },
  };
}
