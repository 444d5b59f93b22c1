import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createImageActivities, type ImageActivityDeps, type ImageTestsResult } from '../../activities/images.js';
import { createCommandRunner } from '../../clients/command-runner.js';
import { createSiteWriter } from '../../clients/site.js';

let root: string;
let n = 0;
const sha = (data: string): string => createHash('sha256').update(data).digest('hex');
const noop = (): void => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'stratus-image-activities-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh project dir with scripts, a work dir and a site dir. */
async function setup(over: Partial<ImageActivityDeps> = {}) {
  const base = join(root, `case-${n++}`);
  const project = join(base, 'project');
  await mkdir(join(project, 'tests'), { recursive: true });
  const deps: ImageActivityDeps = {
    runner: createCommandRunner(),
    site: createSiteWriter({ siteDir: join(base, 'site') }),
    workDir: join(base, 'work'),
    commandCwd: project,
    heartbeatIntervalMs: 50,
    ...over,
  };
  const script = async (name: string, body: string): Promise<string> => {
    await writeFile(join(project, name), `#!/bin/sh\n${body}\n`);
    await chmod(join(project, name), 0o755);
    return `./${name}`;
  };
  return { base, project, deps, acts: createImageActivities(deps), script, siteDir: join(base, 'site') };
}

const BUILD_OK = `echo "building $STRATUS_BUILD_ID of $STRATUS_STREAM on $STRATUS_BASE_RELEASE ref=$STRATUS_REF"
printf 'qcow-%s' "$STRATUS_BUILD_ID" > "$STRATUS_OUTPUT_DIR/disk.qcow2"
printf box > "$STRATUS_OUTPUT_DIR/vagrant.box"`;

const buildInput = (id: string, command: string[], timeoutMs = 10_000) => ({ stream: 'atomic-host', buildId: id, baseRelease: 'fedora-42', command, timeoutMs });

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe('runImageBuild', () => {
  it('runs the build with its env and returns the artifacts with checksums', async () => {
    const { acts, script } = await setup();
    const cmd = await script('build.sh', BUILD_OK);
    const result = await acts.runImageBuild({ ...buildInput('atomic-host-20250101.1', [cmd]), ref: 'refs/heads/main' });
    expect(result).toMatchObject({ ok: true, reason: null, exitCode: 0, timedOut: false });
    expect(result.outputTail).toBe('building atomic-host-20250101.1 of atomic-host on fedora-42 ref=refs/heads/main\n');
    expect(result.artifacts).toEqual([
      { name: 'disk.qcow2', sha256: sha('qcow-atomic-host-20250101.1'), size: 27, kind: 'qcow2' },
      { name: 'vagrant.box', sha256: sha('box'), size: 3, kind: 'vagrant-box' },
    ]);
  });

  it('passes the stream env from the config, but never lets it move the output dir', async () => {
    const { acts, script, deps } = await setup();
    const cmd = await script('build.sh', `echo "compose=$COMPOSE"\n${BUILD_OK}`);
    const result = await acts.runImageBuild({ ...buildInput('atomic-host-20250101.2', [cmd]), env: { COMPOSE: 'nightly', STRATUS_OUTPUT_DIR: deps.workDir } });
    expect(result.outputTail).toMatch(/^compose=nightly\n/);
    expect(result.artifacts.map((a) => a.name)).toEqual(['disk.qcow2', 'vagrant.box']);
  });

  it('starts every attempt with an empty output dir', async () => {
    const { acts, script, deps } = await setup();
    const stale = join(deps.workDir, 'atomic-host', 'atomic-host-20250101.1', 'output');
    await mkdir(stale, { recursive: true });
    await writeFile(join(stale, 'half-written.iso'), 'x');
    const result = await acts.runImageBuild(buildInput('atomic-host-20250101.1', [await script('build.sh', BUILD_OK)]));
    expect(result.artifacts.map((a) => a.name)).toEqual(['disk.qcow2', 'vagrant.box']);
  });

  it.each([
    ['exits non-zero', 'echo compose failed; exit 2', 10_000, 'build command exited with code 2'],
    ['writes no artifact', 'echo nothing to do', 10_000, 'the build command wrote no artifact into its output dir'],
    ['hangs past its timeout', 'sleep 30', 300, 'build command timed out after 300ms'],
    ['is killed', 'kill -9 $$', 10_000, 'build command was killed by SIGKILL'],
  ])('a build that %s is a failed build with the reason', async (_what, body, timeoutMs, reason) => {
    const { acts, script } = await setup();
    const result = await acts.runImageBuild(buildInput('atomic-host-20250102.1', [await script('b.sh', body)], timeoutMs));
    expect(result).toMatchObject({ ok: false, reason, artifacts: [] });
  });

  it('a build that links outside its output dir or cannot start fails with the reason', async () => {
    const { acts, script, project } = await setup();
    const escaping = await script('b.sh', `ln -s ${project}/b.sh "$STRATUS_OUTPUT_DIR/image.qcow2"`);
    const r1 = await acts.runImageBuild(buildInput('atomic-host-20250103.1', [escaping]));
    expect(r1.ok).toBe(false);
    expect(r1.reason).toMatch(/^artifact "image.qcow2" in .* is not allowed: it is a symlink that points outside the output dir$/);
    const r2 = await acts.runImageBuild(buildInput('atomic-host-20250103.2', ['./missing.sh', '--password=hunter2']));
    expect(r2.reason).toBe(`build command could not start: cannot start "./missing.sh" in ${project}: not found (ENOENT)`);
  });

  it('refuses bad build ids and refs before they touch a path', async () => {
    const { acts, deps } = await setup();
    const f = await failure(acts.runImageBuild(buildInput('../../etc', ['true'])));
    expect(f).toMatchObject({ type: 'InvalidImageName', nonRetryable: true });
    expect(f.message).toMatch(/^buildId "..\/..\/etc" is not a valid image id/);
    const s = await failure(acts.runImageBuild({ ...buildInput('ok-1', ['true']), stream: 'a/b' }));
    expect(s.message).toMatch(/^stream "a\/b" is not a valid stream name/);
    const r = await failure(acts.runImageBuild({ ...buildInput('ok-1', ['true']), ref: '--upload-pack=x/../y' }));
    expect(r.message).toBe('ref "--upload-pack=x/../y" is not a valid ref (letters, digits, ".", "_", "/" and "-", no "..")');
    const c = await failure(acts.runImageBuild(buildInput('ok-1', [])));
    expect(c).toMatchObject({ type: 'InvalidCommand', message: 'command must be a non-empty array of strings' });
    await expect(readdir(deps.workDir)).resolves.toEqual(['atomic-host']);
  });

  it('heartbeats while the build runs and cancellation kills the process tree', async () => {
    const { acts, script, project } = await setup();
    const cmd = await script('hang.sh', `sleep 30 &\necho "$$ $!" > ${project}/pids\nwait`);
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 10_000 }, { logger: quiet });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const running = env.run(acts.runImageBuild, buildInput('atomic-host-20250104.1', [cmd]));
    let pids: number[] = [];
    for (let i = 0; i < 200 && pids.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 25));
      pids = (await readFile(join(project, 'pids'), 'utf8').catch(() => '')).split(/\s+/).filter(Boolean).map(Number);
    }
    await new Promise((r) => setTimeout(r, 200));
    env.cancel();
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    expect(beats.length).toBeGreaterThan(1);
    expect(beats[0]).toMatchObject({ buildId: 'atomic-host-20250104.1' });
    const alive = (pid: number): boolean => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
    expect(pids.filter(alive)).toEqual([]);
  });
});

describe('runImageTests', () => {
  async function built() {
    const ctx = await setup();
    await ctx.acts.runImageBuild(buildInput('atomic-host-20250105.1', [await ctx.script('build.sh', BUILD_OK)]));
    return ctx;
  }

  it('runs each test with the image dir in its env; advisory failures do not fail the image', async () => {
    const { acts, script, deps } = await built();
    const boot = await script('tests/boot.sh', 'test -f "$STRATUS_IMAGE_DIR/disk.qcow2" && echo "booted $STRATUS_TEST_NAME"');
    const links = await script('tests/links.sh', 'echo 404; exit 1');
    const result = await acts.runImageTests({
      stream: 'atomic-host',
      buildId: 'atomic-host-20250105.1',
      baseRelease: 'fedora-42',
      tests: [
        { name: 'boot', command: [boot], timeoutMs: 5000 },
        { name: 'docs-links', command: [links], advisory: true, timeoutMs: 5000 },
      ],
    });
    expect(result).toMatchObject({ passed: true, blockingFailures: [], advisoryFailures: ['docs-links'] });
    expect(result.results).toMatchObject([
      { name: 'boot', advisory: false, passed: true, outputTail: 'booted boot\n' },
      { name: 'docs-links', advisory: true, passed: false, outputTail: '404\n', reason: 'test docs-links exited with code 1' },
    ]);
    expect(result.results[0]).not.toHaveProperty('reason');
    expect(deps.workDir).toBeTruthy();
  });

  it('a blocking failure, a hang or a missing program fails the image and every test still runs', async () => {
    const { acts, script } = await built();
    const result = await acts.runImageTests({
      stream: 'atomic-host',
      buildId: 'atomic-host-20250105.1',
      baseRelease: 'fedora-42',
      tests: [
        { name: 'boot', command: [await script('tests/boot.sh', 'exit 4')], timeoutMs: 5000 },
        { name: 'hang', command: [await script('tests/hang.sh', 'sleep 30')], timeoutMs: 200 },
        { name: 'gone', command: ['./tests/none.sh'], timeoutMs: 5000 },
        { name: 'ok', command: ['true'], timeoutMs: 5000 },
      ],
    });
    expect(result.passed).toBe(false);
    expect(result.blockingFailures).toEqual(['boot', 'hang', 'gone']);
    expect(result.results.map((r) => r.reason)).toEqual([
      'test boot exited with code 4',
      'test hang timed out after 200ms',
      expect.stringMatching(/^test gone could not start: cannot start ".\/tests\/none.sh"/),
      undefined,
    ]);
  });

  it('resumes from heartbeat details after a retry, without rerunning finished tests', async () => {
    const { acts, script, project } = await built();
    const marker = join(project, 'boot-ran');
    const boot = await script('tests/boot.sh', `touch ${marker}`);
    const earlier = { name: 'boot', advisory: false, passed: false, durationMs: 5, outputTail: 'x', reason: 'test boot exited with code 1' };
    const env = new MockActivityEnvironment({ heartbeatDetails: { results: [earlier] } }, { logger: quiet });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const result: ImageTestsResult = await env.run(acts.runImageTests, {
      stream: 'atomic-host',
      buildId: 'atomic-host-20250105.1',
      baseRelease: 'fedora-42',
      tests: [
        { name: 'boot', command: [boot], timeoutMs: 5000 },
        { name: 'ok', command: ['true'], timeoutMs: 5000 },
      ],
    });
    await expect(readFile(marker)).rejects.toThrow();
    expect(result.results.map((r) => [r.name, r.passed])).toEqual([['boot', false], ['ok', true]]);
    expect(beats.at(-1)).toMatchObject({ results: [{ name: 'boot' }, { name: 'ok' }] });
  });

  it('refuses a missing image dir and duplicate test names', async () => {
    const { acts } = await setup();
    const input = { stream: 'atomic-host', buildId: 'atomic-host-20250199.1', baseRelease: 'f', tests: [{ name: 'a', command: ['true'], timeoutMs: 1000 }] };
    const f = await failure(acts.runImageTests(input));
    expect(f.type).toBe('ImageDirMissing');
    expect(f.message).toMatch(/^the output dir of build atomic-host-20250199.1 is missing/);
    const d = await failure(acts.runImageTests({ ...input, tests: [input.tests[0]!, input.tests[0]!] }));
    expect(d.message).toBe('tests[1].name "a" is used twice');
  });
});

describe('publishImage', () => {
  async function twoBuilds() {
    const ctx = await setup({ siteBaseUrl: 'https://images.example.org/' });
    const cmd = await ctx.script('build.sh', BUILD_OK);
    const a = await ctx.acts.runImageBuild(buildInput('atomic-host-20250101.1', [cmd]));
    const b = await ctx.acts.runImageBuild(buildInput('atomic-host-20250115.1', [cmd]));
    const rec = (id: string, day: string, artifacts = a.artifacts) => ({ id, startedAt: `2025-01-${day}T02:00:00.000Z`, baseRelease: 'fedora-42', artifacts });
    return { ...ctx, imageA: rec('atomic-host-20250101.1', '01', a.artifacts), imageB: rec('atomic-host-20250115.1', '15', b.artifacts) };
  }

  it('copies the files, writes the feed and the page; publishing twice gives the same site', async () => {
    const { acts, imageA, siteDir } = await twoBuilds();
    const first = await acts.publishImage({ stream: 'atomic-host', image: imageA });
    expect(first.installed).toBe(true);
    expect(first.feed).toEqual({
      stream: 'atomic-host',
      published: {
        id: 'atomic-host-20250101.1',
        date: '2025-01-01T02:00:00.000Z',
        baseRelease: 'fedora-42',
        status: 'published',
        glanceImageId: null,
        files: [
          {
            file: 'disk.qcow2',
            path: 'atomic-host/atomic-host-20250101.1/disk.qcow2',
            url: 'https://images.example.org/atomic-host/atomic-host-20250101.1/disk.qcow2',
            sha256: sha('qcow-atomic-host-20250101.1'),
            size: 27,
            kind: 'qcow2',
          },
          expect.objectContaining({ file: 'vagrant.box', kind: 'vagrant-box' }),
        ],
      },
      stale: false,
      revoked: [],
      warning: null,
      warnings: [],
      trackerUrl: null,
      revokedNotice: null,
    });
    expect(await readFile(join(siteDir, 'atomic-host', 'atomic-host-20250101.1', 'disk.qcow2'), 'utf8')).toBe('qcow-atomic-host-20250101.1');
    const snapshot = async () => [await readFile(join(siteDir, 'index.html'), 'utf8'), await readFile(join(siteDir, 'atomic-host.json'), 'utf8')];
    const before = await snapshot();
    expect(before[0]).toContain(sha('qcow-atomic-host-20250101.1'));
    const second = await acts.publishImage({ stream: 'atomic-host', image: imageA });
    expect(second.installed).toBe(false);
    expect(await snapshot()).toEqual(before);
  });

  it('marks a stale stream and, after a revocation, falls back with the banner and removes the revoked files', async () => {
    const { acts, imageA, imageB, siteDir } = await twoBuilds();
    await acts.publishImage({ stream: 'atomic-host', image: imageA });
    await acts.publishImage({ stream: 'atomic-host', image: imageB });
    const stale = await acts.publishImage({
      stream: 'atomic-host',
      image: imageB,
      stale: true,
      trackerUrl: 'https://github.example/o/r/issues/3',
      warnings: ['No atomic-host image built since 2025-01-15 passed its tests.'],
    });
    expect(stale.feed).toMatchObject({ stale: true, warning: 'No atomic-host image built since 2025-01-15 passed its tests.' });
    expect(await readFile(join(siteDir, 'index.html'), 'utf8')).toContain('<a href="https://github.example/o/r/issues/3">See the failure report</a>');

    const revoked = await acts.publishImage({
      stream: 'atomic-host',
      image: imageA,
      revoked: ['atomic-host-20250115.1'],
      revokedNotice: { imageId: 'atomic-host-20250115.1', reason: '<script>alert("x")</script> breaks boot' },
    });
    expect(revoked).toMatchObject({ installed: false, removed: ['atomic-host-20250115.1'] });
    expect(await readdir(join(siteDir, 'atomic-host'))).toEqual(['atomic-host-20250101.1', 'feed.json']);
    const html = await readFile(join(siteDir, 'index.html'), 'utf8');
    expect(html).toContain('role="alert"><h3>Previous image was revoked</h3>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; breaks boot');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('atomic-host-20250115.1/disk.qcow2');

    const again = await failure(acts.publishImage({ stream: 'atomic-host', image: imageB, revoked: ['atomic-host-20250115.1'] }));
    expect(again).toMatchObject({ type: 'ImageRevoked', message: 'imageId "atomic-host-20250115.1" is revoked and cannot be published' });
  });

  it('keeps every stream on the page and regenerates it on demand', async () => {
    const { acts, imageA, siteDir } = await twoBuilds();
    await acts.publishImage({ stream: 'atomic-host', image: imageA });
    await acts.publishImage({ stream: 'cloud-base', image: null, trackerUrl: 'https://jira.example.org/browse/CB-1', stale: false });
    const html = await readFile(join(siteDir, 'index.html'), 'utf8');
    expect(html).toContain('<h2 id="stream-atomic-host-title">atomic-host</h2>');
    expect(html).toContain('<h2 id="stream-cloud-base-title">cloud-base</h2>');
    await rm(join(siteDir, 'index.html'));
    expect(await acts.renderDownloadPage()).toEqual({ streams: ['atomic-host', 'cloud-base'] });
    expect(await readFile(join(siteDir, 'index.html'), 'utf8')).toBe(html);
  });

  it('turns a tampered site or a lost build output into non-retryable failures', async () => {
    const { acts, imageA, imageB, siteDir, deps } = await twoBuilds();
    await acts.publishImage({ stream: 'atomic-host', image: imageA });
    await writeFile(join(siteDir, 'atomic-host', 'atomic-host-20250101.1', 'disk.qcow2'), 'evil');
    const conflict = await failure(acts.publishImage({ stream: 'atomic-host', image: imageA }));
    expect(conflict).toMatchObject({ type: 'SiteConflict', nonRetryable: true });
    expect(conflict.message).toMatch(/^site conflict for image atomic-host-20250101.1 of stream atomic-host, file "disk.qcow2"/);
    await rm(join(deps.workDir, 'atomic-host', 'atomic-host-20250115.1'), { recursive: true });
    const lost = await failure(acts.publishImage({ stream: 'atomic-host', image: imageB }));
    expect(lost).toMatchObject({ type: 'ArtifactMissing' });
    expect(lost.message).toMatch(/^an artifact of imageId "atomic-host-20250115.1" is missing from its build output/);
    const bad = await failure(acts.publishImage({ stream: 'atomic-host', image: { ...imageA, artifacts: [{ ...imageA.artifacts[0]!, name: '../../x' }] } }));
    expect(bad).toMatchObject({ type: 'InvalidImageName', message: 'file "../../x" of image atomic-host-20250101.1: "", "." and ".." path segments are not allowed' });
    const evil = await failure(acts.publishImage({ stream: 'atomic-host', image: null, revoked: ['../../etc'] }));
    expect(evil.message).toMatch(/^imageId "..\/..\/etc" is not a valid image id/);
  });

  it('never follows a symlink planted in the build output after the build', async () => {
    const { acts, imageA, deps, base } = await twoBuilds();
    const out = join(deps.workDir, 'atomic-host', 'atomic-host-20250101.1', 'output', 'disk.qcow2');
    await writeFile(join(base, 'secret'), 'top secret');
    await rm(out);
    await symlink(join(base, 'secret'), out);
    const f = await failure(acts.publishImage({ stream: 'atomic-host', image: imageA }));
    expect(f.type).toBe('SiteConflict');
    expect(f.message).toContain('the build output changed');
  });
});
