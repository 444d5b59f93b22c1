// `stratus release …` in process against the time-skipping embedded server, a real worker and real
// git repos: bad versions (exit 2), the dry run, start, status, advance, approve, tag, list, cancel.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../cli/run.js';
import { originRef, tempDir, type OriginRepo } from '../support/git-repos.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import { createOrigins, releaseActivities, runWorker, type RunningWorker } from '../workflows/release-train-support.js';

let t: TestEnv;
let dir: Awaited<ReturnType<typeof tempDir>>;
let worker: RunningWorker;
let origins: Record<string, OriginRepo>;

beforeAll(async () => {
  t = await createTestEnv();
  dir = await tempDir('stratus-cli-release-');
  ({ origins } = await createOrigins(dir.path, [['atmosphere', 'release-branch'], ['clank', 'master']]));
  await writeFile(join(dir.path, 'stratus.yaml'), [
    'release:',
    '  trickleDown: weekdays',
    '  tagMessage: "v{version} ({codename}) release {n}."',
    '  repos:',
    `    - { name: atmosphere, url: "${origins.atmosphere.url}", target: release-branch }`,
    `    - { name: clank, url: "${origins.clank.path}", target: master }`,
    '',
  ].join('\n'));
  worker = await runWorker(t, releaseActivities(dir.path, origins));
});
afterAll(async () => {
  await worker?.stop();
  await t?.teardown();
  await dir?.cleanup();
});

async function stratus(...args: string[]) {
  return stratusWith({}, ...args);
}

async function stratusWith(env: Record<string, string>, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (c: string) => (stdout += c) },
    stderr: { write: (c: string) => (stderr += c) },
    env: { TEMPORAL_ADDRESS: t.server?.address ?? '', ...env },
    cwd: dir.path,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

test.each([['abc'], ['-1'], ['0']])('an invalid version %p is refused naming version, exit 2', async (v) => {
  const run = await stratus('release', 'status', v);
  expect(run).toMatchObject({ code: 2, stdout: '' });
  expect(run.stderr).toBe(`error: version must be a positive whole number (e.g. 31), got ${JSON.stringify(v)}\n`);
  const json = await stratus('--json', 'release', 'start', v);
  expect(json.code).toBe(2);
  expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, message: expect.stringContaining('version must be a positive whole number') });
});

test('a bad --start or --codename names the option, exit 2', async () => {
  expect((await stratus('release', 'start', '31', '--start', '2024-02-30')).stderr).toMatch(/^error: start: invalid date "2024-02-30"/);
  const codename = await stratus('release', 'start', '31', '--codename', 'Bad Name');
  expect(codename).toMatchObject({ code: 2, stderr: 'error: codename must be lowercase letters, digits and "-" (e.g. zesty-zapdos), got "Bad Name"\n' });
});

test('--dry-run prints the calendar and every action and does nothing', async () => {
  const run = await stratus('release', 'start', '31', '--codename', 'zesty-zapdos', '--start', '2025-03-03', '--dry-run');
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('release-v31 v31 (zesty-zapdos), dry run: nothing was done');
  expect(run.stdout).toContain('Sprint 1 (bugs) 2025-03-03T00:00:00.000Z → 2025-03-17T00:00:00.000Z');
  expect(run.stdout).toContain('[git] create branch v31 from master in atmosphere');
  expect(run.stdout).toContain('[git] tag v31-1 on master of clank, message "v31 (zesty-zapdos) release 1.", push it');
  expect(run.stdout).toContain('[git] trickle-down: merge v31 into master in atmosphere at 25 weekdays slots');
  const json = JSON.parse((await stratus('--json', 'release', 'start', '31', '--start', '2025-03-03', '--dry-run')).stdout);
  expect(json).toMatchObject({ ok: true, dryRun: true, workflowId: 'release-v31', trickleDownSlots: 25 });
  expect(await originRef(origins.atmosphere, 'refs/heads/v31')).toBeNull();
});

test('start, status, advance, approve, tag, list and cancel a train', async () => {
  const today = new Date().toISOString().slice(0, 10);
  expect(await stratus('release', 'start', '31', '--codename', 'zesty-zapdos', '--start', today)).toMatchObject({ code: 0, stdout: 'started release-v31\n' });
  expect((await stratus('release', 'start', '31')).stderr).toBe('error: release-v31 is already running (see `stratus release status 31`)\n');

  let status: { stage: string; codename: string } = { stage: '', codename: '' };
  for (let i = 0; i < 100 && status.stage !== 'cycle'; i++) {
    status = JSON.parse((await stratus('--json', 'release', 'status', '31')).stdout);
    if (status.stage !== 'cycle') await new Promise((r) => setTimeout(r, 50));
  }
  expect(status).toMatchObject({ stage: 'cycle', codename: 'zesty-zapdos' });
  const plain = await stratus('release', 'status', '31');
  expect(plain.stdout).toMatch(/^release-v31 v31 \(zesty-zapdos\): cycle\n/);
  expect(plain.stdout).toContain('repo atmosphere: branched on v31');
  expect(plain.stdout).toMatch(/waiting \(calendar\) since .*: "Sprint 1" \(bugs\) runs until/);

  const early = await stratus('release', 'approve', '31');
  expect(early.code).toBe(1);
  expect(early.stderr).toMatch(/^error: v31 is not in its release phase yet/);
  expect((await stratus('release', 'advance', '31')).stdout).toMatch(/^now in "Sprint 2" until /);
  expect((await stratus('release', 'advance', '31')).stdout).toMatch(/^now in "Release" until /);
  const badAs = await stratus('release', 'approve', '31', '--as', 'not a login');
  expect(badAs).toMatchObject({ code: 2, stderr: 'error: --as: "not a login" is not a valid operator login (letters, digits and . _ @ -, at most 64 characters)\n' });
  expect((await stratus('release', 'approve', '31', '--as', 'carol')).stdout).toBe('v31 approved by carol: tagging v31-1 now\n');
  const approveEvent = (await t.env.client.workflow.getHandle('release-v31').fetchHistory()).events!.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'approve');
  expect(approveEvent?.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.identity).toBe('cli:carol'); // who, in the history
  expect((await stratus('release', 'status', '31')).stdout).toContain('approved: yes by carol');

  let tag = await stratusWith({ STRATUS_OPERATOR: 'dave' }, 'release', 'tag', '31');
  for (let i = 0; i < 100 && tag.code !== 0; i++) {
    expect(tag.stderr).toMatch(/not released yet|being tagged/);
    await new Promise((r) => setTimeout(r, 100));
    tag = await stratusWith({ STRATUS_OPERATOR: 'dave' }, 'release', 'tag', '31');
  }
  expect(tag).toMatchObject({ code: 0, stdout: 'v31-2\n' });
  expect(JSON.parse((await stratus('--json', 'release', 'status', '31')).stdout).tags).toEqual([
    expect.objectContaining({ tag: 'v31-1', by: 'carol' }), expect.objectContaining({ tag: 'v31-2', by: 'dave' })]);
  expect(JSON.parse((await stratus('--json', 'release', 'tag', '31')).stdout)).toMatchObject({ ok: true, tag: 'v31-3' });

  const list = JSON.parse((await stratus('--json', 'release', 'list')).stdout);
  expect(list.trains.map((x: { workflowId: string }) => x.workflowId)).toEqual(['release-v31', 'release-v32']);
  expect(list.trains[0]).toMatchObject({ status: 'RUNNING', stage: 'patching' });

  expect((await stratus('release', 'cancel', '32')).code).toBe(0);
  expect((await stratus('release', 'cancel', '31')).stdout).toBe('v31 cancelled (release-v32 goes on)\n');
  expect((await stratus('release', 'status', '99')).stderr).toMatch(/^error: no release train release-v99/);
});
