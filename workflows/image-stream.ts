// `imageStream`: the entity workflow of one image stream (`image-stream-<name>`). It owns all of
// the stream's state, runs the nightly cadence and the publish cycle on durable timers, starts
// each build as a `nightlyBuild` child (one at a time), and takes manual decisions as updates with
// validators. Changes that alter the download page are serialized and committed only after the
// page was written, so the page and the state never disagree for long.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ImageActivities } from '../activities/images.js';
import type { ImageGlanceActivities } from '../activities/image-glance.js';
import type { WebhookActivities } from '../activities/webhooks.js';
import { nightlyBuild } from './nightly-build.js';
import { type BuildRecord, type ImageStreamSettings, type StreamState, imageIdFor } from './image-types.js';
import {
  type ImageRequestErrorCode, type RequestCheck, applyManualFail, applyNoPass, applyPublish, applyRevoke, buildsToKeep,
  pickImageToPublish, publishDecision, recordBuild, validateManualFail, validateRevoke, validateStreamActive,
} from './image-selection.js';
import {
  type BuildListEntry, type BuildRequest, type ImageEventKind, type ImageStreamInput, type ImageVerdictRequest, type QueuedBuild,
  type StreamConfiguration, type StreamStatus, IMAGE_STREAM as N, buildWorkflowId, initialStreamState, listEntry, nextDeadline,
  nextNightlyAfter, pageInput,
} from './image-stream-model.js';

export const configureSignal = defineSignal<[StreamConfiguration]>(N.configureSignal);
export const statusQuery = defineQuery<StreamStatus>(N.statusQuery);
export const listQuery = defineQuery<BuildListEntry[]>(N.listQuery);
export const buildUpdate = defineUpdate<{ imageId: string; queuedBehind: number }, [BuildRequest]>(N.buildUpdate);
export const failUpdate = defineUpdate<BuildListEntry, [ImageVerdictRequest]>(N.failUpdate);
export const revokeUpdate = defineUpdate<{ imageId: string; published: string | null; warning: string }, [ImageVerdictRequest]>(N.revokeUpdate);
export const publishUpdate = defineUpdate<{ published: string }, []>(N.publishUpdate);
export const pauseUpdate = defineUpdate<{ paused: boolean; changed: boolean }, []>(N.pauseUpdate);
export const resumeUpdate = defineUpdate<{ paused: boolean; changed: boolean }, []>(N.resumeUpdate);

/** Publishing copies the image and rewrites the page; its start-to-close timeout is how soon a dead worker's publish is retried. */
const publishActivities = (settings: ImageStreamSettings) => proxyActivities<ImageActivities>({
  startToCloseTimeout: settings.activityTimeouts?.publishMs ?? '30 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});
/** Glance upload of the image being published (and deactivation of a revoked one). */
const glanceActivities = (settings: ImageStreamSettings) => proxyActivities<ImageGlanceActivities>({
  startToCloseTimeout: settings.activityTimeouts?.publishMs ?? '30 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5 },
});
const { postImageEvent } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});

const REF_RE = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;
const reject = (code: ImageRequestErrorCode | 'InvalidRef' | 'NothingToPublish', message: string) =>
  ApplicationFailure.create({ type: code, message, nonRetryable: true });
const orReject = (check: RequestCheck): void => {
  if (!check.ok) throw reject(check.code, check.message);
};
const message = (e: unknown): string => (e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e));
/** Update handlers may throw only ApplicationFailures (anything else would fail the workflow task). */
const asFailure = (e: unknown): ApplicationFailure =>
  e instanceof ApplicationFailure ? e : reject(((e as { code?: ImageRequestErrorCode }).code ?? 'UnknownImage'), message(e));

interface PageChange<T> {
  state: StreamState;
  result: T;
  /** New warnings; undefined keeps the current one. */
  stale?: string | null;
  revoke?: string | null;
}

export async function imageStream(input: ImageStreamInput): Promise<void> {
  let { settings, events } = input;
  const carry = input.carry;
  let s: StreamState = carry?.state ?? initialStreamState(settings, Date.now());
  let staleWarning = carry?.staleWarning ?? null;
  let revokeWarning = carry?.revokeWarning ?? null;
  const queue: QueuedBuild[] = [...(carry?.queue ?? [])];
  let nextNightlyAt = carry?.nextNightlyAt ?? nextNightlyAfter(Date.now(), settings.nightlyAtMs);
  let eventSeq = carry?.eventSeq ?? 0;
  let buildsStarted = carry?.buildsStarted ?? 0;
  let running: string | null = null;
  let pending = 0; // page writes and events still in flight
  let wake = false;
  let tail: Promise<unknown> = Promise.resolve();
  const iso = (t = Date.now()): string => new Date(t).toISOString();
  const maxEvents = input.maxHistoryEvents ?? 2000;
  const wantsNewRun = (): boolean => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= maxEvents;

  const track = <T>(p: Promise<T>): Promise<T> => {
    pending++;
    return p.finally(() => pending--);
  };
  const emit = (kind: ImageEventKind, imageId: string | undefined, data: Record<string, unknown>): void => {
    if (!events) return;
    const id = `${workflowInfo().workflowId}/${++eventSeq}/${kind}`;
    void track(postImageEvent({ id, kind, stream: s.stream, ...(imageId ? { imageId } : {}), time: iso(), data }).catch(() => undefined));
  };
  /** Serialized: plans the change, writes the page for it, then commits it (re-applied to the state as it is then). */
  const changePage = <T>(change: (st: StreamState) => PageChange<T>): Promise<T> => {
    const run = tail.then(async () => {
      const planned = change(s);
      await publishActivities(settings).publishImage(pageInput(planned.state, { stale: planned.stale === undefined ? staleWarning : planned.stale, revoke: planned.revoke === undefined ? revokeWarning : planned.revoke }));
      const done = change(s);
      s = done.state;
      if (done.stale !== undefined) staleWarning = done.stale;
      if (done.revoke !== undefined) revokeWarning = done.revoke;
      return done.result;
    });
    tail = run.catch(() => undefined);
    return track(run);
  };
  const setBuild = (imageId: string, change: Partial<BuildRecord>): void => {
    s = { ...s, builds: s.builds.map((b) => (b.id === imageId ? { ...b, ...change } : b)) };
  };
  /**
   * Uploads an image to Glance before it goes on the page, so the page can name its Glance id.
   * A failed upload does not stop the publish: the image is published without a Glance copy and
   * the build record says why.
   */
  const ensureInGlance = async (imageId: string): Promise<void> => {
    if (!settings.glance || !patched('glance-upload')) return;
    const build = s.builds.find((b) => b.id === imageId);
    if (!build || build.glanceImageId || build.status === 'revoked') return;
    try {
      const r = await glanceActivities(settings).uploadStreamImage({
        stream: s.stream, imageId, baseRelease: build.baseRelease, artifacts: build.artifacts, visibility: settings.glance.visibility,
      });
      setBuild(imageId, { glanceImageId: r.glanceImageId, ...(r.cloud ? { glanceCloud: r.cloud } : {}), glanceProblem: undefined });
    } catch (error) {
      setBuild(imageId, { glanceProblem: `not uploaded to Glance: ${message(error)}` });
    }
  };
  /** After a revoke: deactivate the revoked image's Glance copy (unless configured to keep it). */
  const withdrawFromGlance = async (imageId: string): Promise<void> => {
    const build = s.builds.find((b) => b.id === imageId);
    if (!build?.glanceImageId || !settings.glance || !patched('glance-withdraw')) return;
    if (settings.glance.onRevoke === 'keep') {
      setBuild(imageId, { glanceWithdrawn: 'kept' });
      return;
    }
    try {
      const r = await glanceActivities(settings).withdrawStreamImage({ glanceImageId: build.glanceImageId });
      setBuild(imageId, { glanceWithdrawn: r.outcome, ...(r.message ? { glanceProblem: r.message } : {}) });
    } catch (error) {
      setBuild(imageId, { glanceProblem: `the Glance copy ${build.glanceImageId} could not be deactivated: ${message(error)}` });
    }
  };
  const publishNow = async (imageId: string): Promise<{ published: string }> => {
    await ensureInGlance(imageId);
    return changePage((st) => ({ state: applyPublish(st, imageId, iso()), result: { published: imageId }, stale: null, revoke: null })).then((r) => {
      emit('published', imageId, { previous: s.previousPublished.at(-1) ?? null });
      return r;
    });
  };

  function enqueue(trigger: QueuedBuild['trigger'], ref?: string): string {
    const ids = [...s.builds.map((b) => b.id), ...s.revokedIds];
    const imageId = imageIdFor(s.stream, iso(), ids);
    s = recordBuild(s, { id: imageId, stream: s.stream, startedAt: iso(), baseRelease: settings.baseRelease, status: 'building', artifacts: [], tests: [] });
    queue.push({ imageId, trigger, ...(ref ? { ref } : {}) });
    return imageId;
  }

  async function runBuild(item: QueuedBuild): Promise<void> {
    const queued = s.builds.find((b) => b.id === item.imageId)!;
    let record: BuildRecord;
    try {
      record = await executeChild(nightlyBuild, {
        workflowId: buildWorkflowId(item.imageId),
        args: [{
          stream: s.stream, imageId: item.imageId, baseRelease: queued.baseRelease, startedAt: queued.startedAt, trigger: item.trigger,
          build: settings.build, tests: settings.tests, tracker: settings.tracker !== null, events, ...(item.ref ? { ref: item.ref } : {}),
          ...(settings.activityTimeouts?.heartbeatMs ? { heartbeatTimeoutMs: settings.activityTimeouts.heartbeatMs } : {}),
        }],
      });
    } catch (error) {
      record = { ...queued, status: 'failed', finishedAt: iso(), reason: `the build workflow failed: ${message(error)}` };
    }
    s = recordBuild(s, record);
    if (record.status === 'failed' && record.trackerUrl) s = { ...s, trackerUrl: record.trackerUrl };
    if (record.status === 'passed' && settings.tracker) s = { ...s, trackerUrl: null };
    const now = s.builds.find((b) => b.id === record.id);
    if (now?.status === 'passed' && s.rebuildUntilPass && !s.paused) await publishNow(now.id).catch(() => undefined);
  }

  async function endCycle(t: number): Promise<void> {
    const deadline = s.cycleDeadline;
    const advance = (st: StreamState): StreamState => ({ ...st, cycleDeadline: nextDeadline(deadline, t, settings.publishEveryMs) });
    if (s.paused) {
      s = advance(s);
      return;
    }
    const d = publishDecision(s, iso(t), settings.onNoPass);
    try {
      if (d.kind === 'publish') {
        await ensureInGlance(d.image.id);
        await changePage((st) => ({ state: advance(applyPublish(st, d.image.id, iso(t))), result: null, stale: null, revoke: null }));
        emit('published', d.image.id, { previous: d.replaces });
      } else {
        await changePage((st) => ({ state: advance(applyNoPass(st, d)), result: null, stale: d.warning }));
        emit('stream.stale', d.kind === 'keep-stale' ? d.publishedId : undefined, { warning: d.warning, trackerUrl: d.trackerUrl });
      }
    } catch (error) {
      // the page could not be written: keep the state, try again next cycle; an image that
      // cannot be published is failed so it is not picked again
      s = advance(s);
      if (d.kind === 'publish') {
        s = { ...s, builds: s.builds.map((b) => (b.id === d.image.id ? { ...b, status: 'failed', reason: `could not be published: ${message(error)}` } : b)) };
      }
    }
  }

  setHandler(configureSignal, (next) => {
    if (next.settings.name !== s.stream) return;
    if (next.settings.nightlyAtMs !== settings.nightlyAtMs) nextNightlyAt = nextNightlyAfter(Date.now(), next.settings.nightlyAtMs);
    settings = next.settings;
    events = next.events;
    wake = true;
  });
  setHandler(statusQuery, (): StreamStatus => {
    const page = pageInput(s, { stale: staleWarning, revoke: revokeWarning });
    return {
      stream: s.stream, published: page.image ? { id: page.image.id, date: page.image.startedAt } : null, stale: s.stale,
      trackerUrl: s.trackerUrl, deadline: s.cycleDeadline, nextNightly: iso(nextNightlyAt), paused: s.paused, onNoPass: settings.onNoPass,
      rebuildUntilPass: s.rebuildUntilPass, running, queued: queue.map((q) => q.imageId), revoked: [...s.revokedIds],
      warnings: page.warnings ?? [], lastPublishAt: s.lastPublishAt, builds: s.builds.length, buildsStarted, page,
    };
  });
  setHandler(listQuery, () => s.builds.map(listEntry));
  setHandler(buildUpdate, (request) => {
    const imageId = enqueue('manual', request.ref);
    wake = true;
    return { imageId, queuedBehind: queue.length - 1 + (running ? 1 : 0) };
  }, {
    validator: (request) => {
      orReject(validateStreamActive(s, 'build'));
      const ref = (request as BuildRequest | undefined)?.ref;
      if (ref !== undefined && (typeof ref !== 'string' || !REF_RE.test(ref) || ref.includes('..'))) {
        throw reject('InvalidRef', `ref ${JSON.stringify(ref)} is not a valid ref (letters, digits, ".", "_", "/" and "-", no "..")`);
      }
    },
  });
  setHandler(failUpdate, (request) => {
    try {
      s = applyManualFail(s, request, iso());
    } catch (e) {
      throw asFailure(e);
    }
    emit('failed-manually', request.imageId, { reason: request.reason.trim() });
    return listEntry(s.builds.find((b) => b.id === request.imageId)!);
  }, { validator: (request) => orReject(validateManualFail(s, request)) });
  setHandler(revokeUpdate, async (request) => {
    try {
      // the image that takes over gets its Glance copy before the page names it
      const fallback = applyRevoke(s, request, iso()).state.publishedId;
      if (fallback && fallback !== request.imageId) await ensureInGlance(fallback);
      const result = await changePage((st) => {
        const { state, outcome } = applyRevoke(st, request, iso());
        return { state, result: { imageId: request.imageId, published: state.publishedId, warning: outcome.warning }, ...(outcome.kind === 'unchanged' ? {} : { revoke: outcome.warning }) };
      });
      emit('revoked', request.imageId, { reason: request.reason.trim(), published: result.published, warning: result.warning });
      await withdrawFromGlance(request.imageId);
      return result;
    } catch (e) {
      throw asFailure(e);
    }
  }, { validator: (request) => orReject(validateRevoke(s, request)) });
  setHandler(publishUpdate, async () => {
    const image = pickImageToPublish(s.builds, s.lastPublishAt);
    if (!image) throw reject('NothingToPublish', `no image of stream "${s.stream}" passed since the last publish; nothing to publish`);
    return publishNow(image.id).catch((e: unknown) => Promise.reject(asFailure(e)));
  }, {
    validator: () => {
      orReject(validateStreamActive(s, 'publish'));
      if (!pickImageToPublish(s.builds, s.lastPublishAt)) {
        const since = s.lastPublishAt ? ` (${s.lastPublishAt.slice(0, 10)})` : '';
        throw reject('NothingToPublish', `no image of stream "${s.stream}" passed since the last publish${since}; nothing to publish`);
      }
    },
  });
  const setPaused = (paused: boolean) => () => {
    const changed = s.paused !== paused;
    s = { ...s, paused };
    if (changed) emit(paused ? 'stream.paused' : 'stream.resumed', undefined, {});
    return { paused, changed };
  };
  setHandler(pauseUpdate, setPaused(true));
  setHandler(resumeUpdate, setPaused(false));

  for (;;) {
    if (running === null && queue.length > 0) {
      const item = queue.shift()!;
      running = item.imageId;
      buildsStarted++;
      void runBuild(item).finally(() => (running = null));
    }
    if (running === null && wantsNewRun()) {
      await condition(() => pending === 0 && allHandlersFinished());
      await continueAsNew<typeof imageStream>({
        settings, events, ...(input.maxHistoryEvents ? { maxHistoryEvents: input.maxHistoryEvents } : {}),
        carry: { state: { ...s, builds: buildsToKeep(s, settings.keepBuilds) }, staleWarning, revokeWarning, queue, nextNightlyAt, eventSeq, buildsStarted },
      });
    }
    const wait = Math.min(nextNightlyAt, Date.parse(s.cycleDeadline)) - Date.now();
    if (wait > 0) await condition(() => wake || (running === null && (queue.length > 0 || wantsNewRun())), wait);
    wake = false;
    const t = Date.now();
    if (t >= Date.parse(s.cycleDeadline)) await endCycle(t);
    if (t >= nextNightlyAt) {
      if (!s.paused) enqueue('nightly');
      nextNightlyAt = nextNightlyAfter(t, settings.nightlyAtMs);
    }
  }
}
