// `stratus image …` and `stratus site build` against a running stack: the embedded Temporal
// server, a worker with the real image activities, streams started the way the worker process
// starts them. Mostly in-process (runCli), plus the real bin/stratus for `build --wait` and `list --json`.
import { type Worker } from '@temporalio/worker';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { runCli } from '../../cli/run.js';
import { startImageStreams } from '../../workers/image-streams.js';
import { IMAGES_TASK_QUEUE } from '../../workflows/image-stream-model.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import { imageFixture, type Fixture } from '../workflows/image-stream-fixture.js';
import { cleanEnv, runStratus } from './run-stratus.js';

let t: TestEnv;
let fx: Fixture;
let worker: Worker;
let running: Promise<void>;
let configFile: string;
let address: string;

const CONFIG = `images:
  site: { outDir: ../site, baseUrl: "https://images.example.org" }
  workDir: ../work
  streams:
    - name: cli-stream
      base: fedora-42
      nightlyAt: "02:00"
      build: { command: ["./build.sh"], timeout: 1m }
      tests:
        - { name: boot, command: ["./tests/boot.sh"], timeout: 1m }
        - { name: docs-links, command: ["./tests/links.sh"], advisory: true }
`;

beforeAll(async () => {
  t = await createTestEnv();
  fx = await imageFixture();
  configFile = join(fx.project, 'stratus.yaml');
  await writeFile(configFile, CONFIG);
  address = t.server!.address;
  worker = await t.worker({ taskQueue: IMAGES_TASK_QUEUE, activities: fx.activities }, 'stratus');
  running = worker.run();
  const config = loadConfig(configFile).config;
  expect(await startImageStreams(t.env.client, config)).toEqual(['image-stream-cli-stream']);
  // starting again (a worker restart) hands the running stream its settings, nothing more
  expect(await startImageStreams(t.env.client, config)).toEqual(['image-stream-cli-stream']);
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await t?.teardown();
  await fx?.close();
});

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (c: string) => (stdout += c) },
    stderr: { write: (c: string) => (stderr += c) },
    env: { TEMPORAL_ADDRESS: address },
    cwd: fx.project,
  };
  const code = await runCli(['--config', configFile, ...argv], io);
  return { code, stdout, stderr, json: () => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

it('image build --wait prints the id and exits 0 on a pass, 1 with the reason on a failure', async () => {
  await fx.setMode('cli-stream', 'pass');
  const ok = await cli('--json', 'image', 'build', 'cli-stream', '--wait', '--ref', 'refs/heads/main', '--poll', '100');
  expect(ok.code).toBe(0);
  const [queued, done] = ok.json();
  expect(queued).toEqual({ event: 'build', imageId: expect.stringMatching(/^cli-stream-\d{8}\.1$/), stream: 'cli-stream' });
  expect(done).toMatchObject({ ok: true, id: queued.imageId, status: 'passed', tests: [{ name: 'boot', passed: true }, { name: 'docs-links', passed: false, advisory: true }] });

  await fx.setMode('cli-stream', 'fail');
  const bad = await cli('image', 'build', 'cli-stream', '--wait', '--poll', '100');
  expect(bad.code).toBe(1);
  expect(bad.stdout).toMatch(/^cli-stream-\d{8}\.2\n$/);
  expect(bad.stderr).toMatch(/^error: image cli-stream-\d{8}\.2 failed: build command exited with code 3\n$/);
});

it('the real bin/stratus: image build --wait, then image list --json prints the builds as one array', async () => {
  await fx.setMode('cli-stream', 'pass');
  const env = cleanEnv(fx.root, { TEMPORAL_ADDRESS: address });
  const build = await runStratus(['--config', configFile, 'image', 'build', 'cli-stream', '--wait'], { cwd: fx.project, env });
  expect(build.stderr).toBe('');
  expect(build.code).toBe(0);
  const [id, verdict] = build.stdout.trim().split('\n');
  expect(verdict).toBe(`${id} passed`);

  const listed = await runStratus(['--config', configFile, '--json', 'image', 'list', 'cli-stream'], { cwd: fx.project, env });
  expect(listed.code).toBe(0);
  const builds = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
  expect(builds.map((b) => b.status)).toEqual(['passed', 'failed', 'passed']);
  expect(builds[2]).toEqual({
    id, stream: 'cli-stream', date: expect.any(String), status: 'passed', reason: null, trackerUrl: null,
    tests: [{ name: 'boot', passed: true, advisory: false }, { name: 'docs-links', passed: false, advisory: true }],
    artifacts: [
      { file: 'boot.iso', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: expect.any(Number) },
      { file: 'disk.qcow2', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: expect.any(Number) },
    ],
  });
});

it('publish, revoke, status and site build; bad requests get a clear message and exit code, state unchanged', async () => {
  const builds = (await cli('--json', 'image', 'list', 'cli-stream')).json()[0] as unknown as Array<{ id: string; status: string }>;
  const [first, failed, newest] = builds.map((b) => b.id);

  expect(await cli('image', 'revoke', first, '--reason', 'bad')).toMatchObject({
    code: 1, stderr: `error: imageId "${first}" was never published (status passed); use fail instead of revoke\n`,
  });
  expect(await cli('image', 'fail', failed, '--reason', 'again')).toMatchObject({
    code: 1, stderr: `error: imageId "${failed}" has already failed: build command exited with code 3\n`,
  });
  expect(await cli('image', 'fail', 'cli-stream-19990101.1', '--reason', 'x')).toMatchObject({
    code: 1, stderr: 'error: imageId "cli-stream-19990101.1" is unknown in stream "cli-stream" (no such build is remembered)\n',
  });
  expect((await cli('image', 'fail', '../etc/passwd', '--reason', 'x')).code).toBe(2);
  expect((await cli('image', 'fail', '../etc/passwd', '--reason', 'x')).stderr).toMatch(/^error: imageId "\.\.\/etc\/passwd" is not a valid image id/);
  expect(await cli('image', 'status', 'nosuch')).toMatchObject({
    code: 1, stderr: 'error: stream "nosuch" is not running (no workflow image-stream-nosuch): list it under images.streams and start `stratus worker` or `stratus dev`\n',
  });
  expect((await cli('image', 'status', 'Bad/Name')).code).toBe(2);

  expect((await cli('image', 'pause', 'cli-stream')).stdout).toBe('cli-stream paused\n');
  const before = (await cli('--json', 'image', 'status', 'cli-stream')).json()[0];
  expect(await cli('image', 'publish', 'cli-stream')).toMatchObject({ code: 1, stderr: 'error: stream "cli-stream" is paused; resume it before you publish\n' });
  expect((await cli('--json', 'image', 'status', 'cli-stream')).json()[0]).toEqual(before);
  expect((await cli('image', 'resume', 'cli-stream')).stdout).toBe('cli-stream running\n');

  expect(await cli('image', 'publish', 'cli-stream')).toMatchObject({ code: 0, stdout: `published ${newest}\n` });
  const revoke = await cli('--json', 'image', 'revoke', newest, '--reason', 'broken bootloader');
  expect(revoke.json()[0]).toEqual({
    ok: true, imageId: newest, published: first,
    warning: expect.stringContaining(`The previous image ${newest} was revoked (broken bootloader); showing the earlier good image ${first}`),
  });
  const status = (await cli('--json', 'image', 'status', 'cli-stream')).json()[0];
  expect(status).toMatchObject({ stream: 'cli-stream', published: { id: first }, revoked: [newest], paused: false, running: null, stale: false });
  expect(status).not.toHaveProperty('page');

  const out = join(fx.root, 'rebuilt-site');
  const site = await cli('--json', 'site', 'build', '--out', out);
  expect(site.code).toBe(0);
  expect(site.json()[0]).toEqual({ ok: true, out, streams: [{ stream: 'cli-stream', published: first, stale: false }] });
  const page = readFileSync(join(out, 'index.html'), 'utf8');
  expect(page).toContain(`<code>${first}</code>`);
  expect(page).toContain('Previous image was revoked');
  expect(existsSync(join(out, 'cli-stream', first, 'disk.qcow2'))).toBe(true);
  expect(JSON.parse(readFileSync(join(out, 'cli-stream.json'), 'utf8'))).toMatchObject({ published: { id: first }, revoked: [newest] });
});
