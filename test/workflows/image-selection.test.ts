import fc from 'fast-check';
import {
  applyManualFail,
  applyNoPass,
  applyPublish,
  applyRevoke,
  buildsToKeep,
  fallbackAfterRevoke,
  ImageRequestError,
  pickImageToPublish,
  publishDecision,
  recordBuild,
  validateManualFail,
  validateRevoke,
  validateStreamActive,
} from '../../workflows/image-selection.js';
import { type BuildRecord, type BuildStatus, type StreamState } from '../../workflows/image-types.js';

const STREAM = 'atomic-host';

function build(dayOfJan: number, status: BuildStatus, n = 1): BuildRecord {
  const dd = String(dayOfJan).padStart(2, '0');
  return {
    id: `${STREAM}-202501${dd}.${n}`,
    stream: STREAM,
    startedAt: `2025-01-${dd}T02:00:00.000Z`,
    finishedAt: `2025-01-${dd}T03:00:00.000Z`,
    baseRelease: 'fedora-42',
    status,
    artifacts: [{ name: 'disk.qcow2', sha256: 'a'.repeat(64), size: 10, kind: 'qcow2' }],
    tests: [],
  };
}

function stream(builds: BuildRecord[], over: Partial<StreamState> = {}): StreamState {
  return {
    stream: STREAM,
    builds,
    publishedId: null,
    previousPublished: [],
    revokedIds: [],
    lastPublishAt: null,
    cycleDeadline: '2025-01-15T02:00:00.000Z',
    stale: false,
    trackerUrl: null,
    lastRevocation: null,
    paused: false,
    rebuildUntilPass: false,
    ...over,
  };
}

describe('pickImageToPublish', () => {
  it('picks the newest passed image built since the last publish', () => {
    const builds = [build(1, 'passed'), build(2, 'passed'), build(3, 'failed'), build(4, 'revoked')];
    expect(pickImageToPublish(builds, null)?.id).toBe('atomic-host-20250102.1');
  });

  it('ignores images that finished before the last publish', () => {
    const builds = [build(1, 'passed'), build(2, 'published')];
    expect(pickImageToPublish(builds, '2025-01-02T04:00:00.000Z')).toBeNull();
  });

  it('prefers the later build of the same start time', () => {
    const builds = [build(5, 'passed', 1), build(5, 'passed', 2)];
    expect(pickImageToPublish(builds, null)?.id).toBe('atomic-host-20250105.2');
  });

  it('never picks failed, manually failed, revoked, published or building images', () => {
    const builds = (['failed', 'failed-manually', 'revoked', 'published', 'building'] as const).map((s, i) => build(i + 1, s));
    expect(pickImageToPublish(builds, null)).toBeNull();
  });
});

describe('publishDecision', () => {
  it('publishes the picked image and names the one it replaces', () => {
    const s = stream([build(1, 'published'), build(9, 'passed')], { publishedId: 'atomic-host-20250101.1', lastPublishAt: '2025-01-01T05:00:00Z' });
    const d = publishDecision(s, '2025-01-15T02:00:00Z', 'skip');
    expect(d).toMatchObject({ kind: 'publish', image: { id: 'atomic-host-20250109.1' }, replaces: 'atomic-host-20250101.1' });
  });

  it('keeps the previous image as stale with the tracker link when nothing passed', () => {
    const s = stream([build(1, 'published'), build(9, 'failed')], {
      publishedId: 'atomic-host-20250101.1',
      lastPublishAt: '2025-01-01T05:00:00Z',
      trackerUrl: 'https://jira.example.org/browse/ATMO-7',
    });
    const d = publishDecision(s, '2025-01-15T02:00:00Z', 'skip');
    expect(d.kind).toBe('keep-stale');
    if (d.kind !== 'keep-stale') return;
    expect(d.trackerUrl).toBe('https://jira.example.org/browse/ATMO-7');
    expect(d.rebuildUntilPass).toBe(false);
    expect(d.warning).toBe(
      'No atomic-host image built since 2025-01-01 passed its tests as of 2025-01-15; atomic-host-20250101.1 (built 2025-01-01) is stale. ' +
        'Failure report: https://jira.example.org/browse/ATMO-7. Waiting for the next publish cycle.',
    );
    const next = applyNoPass(s, d);
    expect(next.stale).toBe(true);
    expect(next.publishedId).toBe('atomic-host-20250101.1');
  });

  it('asks for nightly rebuilds under rebuild-until-pass', () => {
    const s = stream([build(1, 'published')], { publishedId: 'atomic-host-20250101.1', lastPublishAt: '2025-01-01T05:00:00Z' });
    const d = publishDecision(s, '2025-01-15T02:00:00Z', 'rebuild-until-pass');
    expect(d).toMatchObject({ kind: 'keep-stale', rebuildUntilPass: true });
    expect(d.kind !== 'publish' && d.warning).toContain('Rebuilding nightly until an image passes.');
    if (d.kind !== 'publish') expect(applyNoPass(s, d).rebuildUntilPass).toBe(true);
  });

  it('says so when nothing was ever published', () => {
    const d = publishDecision(stream([build(1, 'failed')]), '2025-01-15T02:00:00Z', 'skip');
    expect(d).toMatchObject({ kind: 'nothing-published' });
    expect(d.kind !== 'publish' && d.warning).toBe(
      'No atomic-host image has passed its tests yet (as of 2025-01-15). Waiting for the next publish cycle.',
    );
  });
});

describe('revocation', () => {
  const published = () =>
    stream([build(1, 'published'), build(2, 'passed'), build(3, 'failed'), build(9, 'published'), build(10, 'passed')], {
      publishedId: 'atomic-host-20250109.1',
      previousPublished: ['atomic-host-20250101.1'],
      lastPublishAt: '2025-01-09T05:00:00Z',
    });

  it('falls back to the newest earlier good image', () => {
    const outcome = fallbackAfterRevoke(published(), 'atomic-host-20250109.1', 'boots to a black screen');
    expect(outcome).toMatchObject({ kind: 'fallback', image: { id: 'atomic-host-20250102.1' } });
    expect(outcome.warning).toBe(
      'The previous image atomic-host-20250109.1 was revoked (boots to a black screen); showing the earlier good image atomic-host-20250102.1 (built 2025-01-02).',
    );
  });

  it('applyRevoke republishes the fallback, records the notice and never offers the revoked image again', () => {
    const { state, outcome } = applyRevoke(published(), { imageId: 'atomic-host-20250109.1', reason: ' bad kernel ' }, '2025-01-11T00:00:00Z');
    expect(outcome.kind).toBe('fallback');
    expect(state.publishedId).toBe('atomic-host-20250102.1');
    expect(state.builds.find((b) => b.id === 'atomic-host-20250102.1')?.status).toBe('published');
    expect(state.builds.find((b) => b.id === 'atomic-host-20250109.1')).toMatchObject({ status: 'revoked', reason: 'bad kernel' });
    expect(state.lastRevocation).toEqual({ imageId: 'atomic-host-20250109.1', reason: 'bad kernel', at: '2025-01-11T00:00:00Z' });
    expect(state.revokedIds).toEqual(['atomic-host-20250109.1']);
    // the newer passed build (day 10) is still up for the next cycle
    expect(pickImageToPublish(state.builds, state.lastPublishAt)?.id).toBe('atomic-host-20250110.1');
    // the input state is untouched
    expect(published().publishedId).toBe('atomic-host-20250109.1');
  });

  it('leaves the page empty when no earlier good image is left', () => {
    const s = stream([build(1, 'failed'), build(2, 'published')], { publishedId: 'atomic-host-20250102.1' });
    const { state, outcome } = applyRevoke(s, { imageId: 'atomic-host-20250102.1', reason: 'x' }, '2025-01-03T00:00:00Z');
    expect(outcome).toMatchObject({ kind: 'none-left' });
    expect(outcome.warning).toBe('The previous image atomic-host-20250102.1 was revoked (x); no earlier good image is left to offer.');
    expect(state.publishedId).toBeNull();
  });

  it('revoking an image that was replaced already leaves the page alone', () => {
    const { state, outcome } = applyRevoke(published(), { imageId: 'atomic-host-20250101.1', reason: 'cve' }, '2025-01-11T00:00:00Z');
    expect(outcome).toEqual({ kind: 'unchanged', publishedId: 'atomic-host-20250109.1', warning: 'Image atomic-host-20250101.1 was revoked (cve); it is no longer offered.' });
    expect(state.publishedId).toBe('atomic-host-20250109.1');
    expect(state.lastRevocation).toBeNull();
  });

  it('the fallback after a revoke skips images that were revoked before', () => {
    let s = published();
    s = applyRevoke(s, { imageId: 'atomic-host-20250109.1', reason: 'a' }, '2025-01-11T00:00:00Z').state;
    expect(s.publishedId).toBe('atomic-host-20250102.1');
    s = applyRevoke(s, { imageId: 'atomic-host-20250102.1', reason: 'b' }, '2025-01-11T01:00:00Z').state;
    expect(s.publishedId).toBe('atomic-host-20250101.1');
  });
});

describe('manual requests', () => {
  const s = stream([build(1, 'published'), build(2, 'passed'), build(3, 'failed'), build(4, 'revoked'), build(5, 'building')], {
    publishedId: 'atomic-host-20250101.1',
    revokedIds: ['atomic-host-20250104.1', 'atomic-host-20241201.1'],
  });

  it.each([
    ['atomic-host-20250102.1', 'reason', { ok: true }],
    ['atomic-host-20250105.1', 'hangs', { ok: true }],
    ['atomic-host-20250103.1', 'again', { ok: false, code: 'AlreadyFailed', message: 'imageId "atomic-host-20250103.1" has already failed' }],
    ['atomic-host-20250104.1', 'x', { ok: false, code: 'AlreadyRevoked', message: 'imageId "atomic-host-20250104.1" is already revoked' }],
    ['atomic-host-20250101.1', 'x', { ok: false, code: 'PublishedUseRevoke', message: 'imageId "atomic-host-20250101.1" was published; use revoke instead of fail' }],
    ['atomic-host-20250199.1', 'x', { ok: false, code: 'UnknownImage', message: 'imageId "atomic-host-20250199.1" is unknown in stream "atomic-host" (no such build is remembered)' }],
    ['other-20250101.1', 'x', { ok: false, code: 'UnknownImage', message: 'imageId "other-20250101.1" is not an image of stream "atomic-host"' }],
    ['../etc', 'x', { ok: false, code: 'InvalidImageId' }],
    ['atomic-host-20250102.1', '  ', { ok: false, code: 'MissingReason', message: 'reason must not be empty' }],
  ])('fail %s (%j)', (imageId, reason, expected) => {
    expect(validateManualFail(s, { imageId, reason })).toMatchObject(expected);
  });

  it('an invalid id is named in the message', () => {
    const check = validateManualFail(s, { imageId: '../etc', reason: 'x' });
    expect(!check.ok && check.message).toMatch(/^imageId "\.\.\/etc" is not a valid image id/);
  });

  it.each([
    ['atomic-host-20250101.1', { ok: true }],
    ['atomic-host-20250102.1', { ok: false, code: 'NotPublished', message: 'imageId "atomic-host-20250102.1" was never published (status passed); use fail instead of revoke' }],
    ['atomic-host-20250104.1', { ok: false, code: 'AlreadyRevoked', message: 'imageId "atomic-host-20250104.1" is already revoked' }],
    ['atomic-host-20241201.1', { ok: false, code: 'AlreadyRevoked', message: 'imageId "atomic-host-20241201.1" is already revoked' }],
    ['nope', { ok: false, code: 'UnknownImage', message: 'imageId "nope" is not an image of stream "atomic-host"' }],
  ])('revoke %s', (imageId, expected) => {
    expect(validateRevoke(s, { imageId, reason: 'r' })).toMatchObject(expected);
  });

  it('apply functions refuse what the validators refuse, leaving the state alone', () => {
    expect(() => applyManualFail(s, { imageId: 'atomic-host-20250103.1', reason: 'x' }, '2025-01-06T00:00:00Z')).toThrow(
      new ImageRequestError('AlreadyFailed', 'imageId "atomic-host-20250103.1" has already failed'),
    );
    expect(() => applyRevoke(s, { imageId: 'atomic-host-20250102.1', reason: 'x' }, 'now')).toThrow(/never published/);
    expect(() => applyPublish(s, 'atomic-host-20250103.1', 'now')).toThrow('imageId "atomic-host-20250103.1" cannot be published (status failed)');
  });

  it('a manual fail of a running build survives its result arriving', () => {
    const failed = applyManualFail(s, { imageId: 'atomic-host-20250105.1', reason: 'wrong compose' }, '2025-01-05T02:30:00Z');
    const after = recordBuild(failed, { ...build(5, 'passed') });
    expect(after.builds.find((b) => b.id === 'atomic-host-20250105.1')).toMatchObject({ status: 'failed-manually', reason: 'wrong compose' });
    expect(pickImageToPublish(after.builds, null)?.id).toBe('atomic-host-20250102.1');
  });

  it('a paused stream refuses publish and build requests', () => {
    expect(validateStreamActive({ ...s, paused: true }, 'publish')).toEqual({
      ok: false,
      code: 'StreamPaused',
      message: 'stream "atomic-host" is paused; resume it before you publish',
    });
    expect(validateStreamActive(s, 'build')).toEqual({ ok: true });
  });
});

describe('buildsToKeep', () => {
  it('keeps the published image, its fallback, the newest good one, running builds and the recent ones', () => {
    const builds = [build(1, 'published'), build(2, 'passed'), build(3, 'failed'), build(4, 'building'), build(5, 'published'), build(6, 'passed')];
    for (let d = 7; d <= 20; d++) builds.push(build(d, 'failed'));
    const kept = buildsToKeep(stream(builds, { publishedId: 'atomic-host-20250105.1' }), 3).map((b) => b.id.slice(-6));
    expect(kept).toEqual(['0102.1', '0104.1', '0105.1', '0106.1', '0118.1', '0119.1', '0120.1']);
  });
});

// ── Properties ─────────────────────────────────────────────────────────────────────────────

type Op =
  | { op: 'build'; passed: boolean }
  | { op: 'publish' }
  | { op: 'fail'; pick: number }
  | { op: 'revoke'; pick: number }
  | { op: 'trim'; keep: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('build' as const), passed: fc.boolean() }),
  fc.record({ op: fc.constant('publish' as const) }),
  fc.record({ op: fc.constant('fail' as const), pick: fc.nat(50) }),
  fc.record({ op: fc.constant('revoke' as const), pick: fc.nat(50) }),
  fc.record({ op: fc.constant('trim' as const), keep: fc.nat(6) }),
);

/** Runs random operations the way the stream workflow would, checking invariants after each. */
function simulate(ops: Op[], check: (s: StreamState, everRevoked: Set<string>) => void): void {
  let s = stream([]);
  const everRevoked = new Set<string>();
  ops.forEach((o, i) => {
    const at = new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString();
    if (o.op === 'build') {
      const id = `${STREAM}-${i}`;
      s = recordBuild(s, { ...build(1, o.passed ? 'passed' : 'failed'), id, startedAt: at, finishedAt: at });
    } else if (o.op === 'publish') {
      const d = publishDecision(s, at, 'skip');
      s = d.kind === 'publish' ? applyPublish(s, d.image.id, at) : applyNoPass(s, d);
    } else if (o.op === 'trim') {
      s = { ...s, builds: buildsToKeep(s, o.keep) };
    } else if (s.builds.length > 0) {
      const target = s.builds[o.pick % s.builds.length]!;
      const request = { imageId: target.id, reason: 'because' };
      if (o.op === 'fail') {
        if (validateManualFail(s, request).ok) s = applyManualFail(s, request, at);
      } else if (validateRevoke(s, request).ok) {
        const before = s;
        const result = applyRevoke(s, request, at);
        everRevoked.add(target.id);
        if (result.outcome.kind === 'fallback') {
          const fb = result.outcome.image;
          expect(before.builds.find((b) => b.id === fb.id)?.status).toMatch(/^(passed|published)$/);
        }
        s = result.state;
      }
    }
    check(s, everRevoked);
  });
}

describe('properties', () => {
  it('the published image is never failed or revoked, and a revoked image is never published again', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        simulate(ops, (s, everRevoked) => {
          if (s.publishedId === null) return;
          expect(everRevoked.has(s.publishedId)).toBe(false);
          const current = s.builds.find((b) => b.id === s.publishedId);
          expect(current?.status).toBe('published');
        });
      }),
      { numRuns: 300 },
    );
  });

  it('pickImageToPublish returns a passed image and none newer that passed since the last publish', () => {
    const buildArb = fc.record({
      day: fc.integer({ min: 1, max: 28 }),
      status: fc.constantFrom<BuildStatus>('building', 'passed', 'failed', 'failed-manually', 'published', 'revoked'),
    });
    fc.assert(
      fc.property(fc.array(buildArb, { maxLength: 30 }), fc.option(fc.integer({ min: 1, max: 28 })), (specs, sinceDay) => {
        const builds = specs.map((b, i) => build(b.day, b.status, i + 1));
        const since = sinceDay === null ? null : `2025-01-${String(sinceDay).padStart(2, '0')}T02:30:00.000Z`;
        const picked = pickImageToPublish(builds, since);
        const eligible = builds.filter((b) => b.status === 'passed' && (since === null || b.finishedAt! > since));
        if (picked === null) return expect(eligible).toEqual([]);
        expect(picked.status).toBe('passed');
        expect(eligible.every((b) => b.startedAt <= picked.startedAt)).toBe(true);
      }),
    );
  });

  it('fallbackAfterRevoke never returns a revoked, failed or newer image', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<BuildStatus>('passed', 'failed', 'failed-manually', 'published', 'revoked'), { minLength: 1, maxLength: 25 }),
        fc.nat(),
        (statuses, pick) => {
          const builds = statuses.map((st, i) => build(i + 1, st));
          const revokedIds = builds.filter((b) => b.status === 'revoked').map((b) => b.id);
          const target = builds[pick % builds.length]!;
          const outcome = fallbackAfterRevoke(stream(builds, { publishedId: target.id, revokedIds }), target.id);
          if (outcome.kind !== 'fallback') return;
          expect(['passed', 'published']).toContain(outcome.image.status);
          expect(revokedIds).not.toContain(outcome.image.id);
          expect(outcome.image.startedAt < target.startedAt).toBe(true);
        },
      ),
    );
  });

  it('buildsToKeep keeps the published image and its fallback, and at most keepRecent + 3 + running builds', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.nat(8), (ops, keepRecent) => {
        simulate(ops, (s) => {
          const kept = buildsToKeep(s, keepRecent);
          const ids = kept.map((b) => b.id);
          if (s.publishedId !== null) {
            expect(ids).toContain(s.publishedId);
            const fb = fallbackAfterRevoke(s, s.publishedId);
            if (fb.kind === 'fallback') expect(fallbackAfterRevoke({ ...s, builds: kept }, s.publishedId)).toEqual(fb);
          }
          expect(kept.length).toBeLessThanOrEqual(keepRecent + 3 + s.builds.filter((b) => b.status === 'building').length);
        });
      }),
      { numRuns: 100 },
    );
  });
});
