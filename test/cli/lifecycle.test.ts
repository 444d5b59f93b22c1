// `stratus lifecycle …` and `stratus instance deploy` through runCli against the embedded Temporal
// server, a real worker with the lifecycle activities, the fake OpenStack cloud and an SMTP listener.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../cli/run.js';
import { type CliIo } from '../../cli/output.js';
import { createLifecycleRig, DAY, day, type LifecycleRig } from '../workflows/lifecycle-sweep-support.js';

let rig: LifecycleRig;

beforeAll(async () => {
  rig = await createLifecycleRig();
  await rig.startWorker();
});
afterAll(async () => {
  await rig.t.env.client.workflow.getHandle('lifecycle').terminate('test over').catch(() => undefined);
  await rig?.teardown();
});

// The YAML, pointed at the fake cloud and the SMTP listener.
function writeConfig(extra = '', openstack = true): string {
  const file = join(rig.dir, 'stratus.yaml');
  writeFileSync(file, [
    ...(openstack ? [
      'openstack:',
      `  authUrl: "${rig.fake.authUrl}"`,
      '  region: RegionOne',
      '  auth: { applicationCredentialId: "cred-1", applicationCredentialSecretEnv: OS_APP_CRED_SECRET }',
    ] : []),
    'lifecycle:',
    '  enforce: false',
    '  maxActionsPerSweep: 50',
    '  sweepAt: "03:00"',
    '  allocations: { file: ./allocations.csv }',
    `  notify: { smtp: { host: 127.0.0.1, port: ${rig.smtp.port} }, from: "cloud@example.org" }`,
    '  rules:',
    '    - { kind: shelve-stopped, after: 14d, states: [SHUTOFF, SUSPENDED], warn: [7d, 1d] }',
    '    - { kind: delete-shelved, after: 180d, warn: [30d, 7d] }',
    '    - { kind: expire-allocation, after: 180d, warn: [30d, 7d] }',
    '  exemptMetadataKey: "stratus:exempt"',
    extra,
  ].join('\n'));
  return file;
}

async function stratus(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) },
    env: { TEMPORAL_ADDRESS: rig.t.server!.address, USER: 'ops-oncall', OS_APP_CRED_SECRET: 'cred-secret' }, cwd: rig.dir,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

test('the issue YAML is accepted; `lifecycle plan --json` prints exactly the issue shape, no `none` items', async () => {
  writeConfig();
  expect((await stratus('config', 'check')).code).toBe(0);
  const now = await rig.t.env.currentTimeMs();
  rig.fake.setClock(new Date(now));
  rig.allocations([['p1', day(now + 400 * DAY), 'alice@example.org']]);
  const stopped = rig.fake.addServer({ name: 'stopped-vm', projectId: 'p1', status: 'SHUTOFF', actions: [{ action: 'stop', startTime: new Date(now - 8 * DAY).toISOString() }] });
  rig.fake.addServer({ name: 'busy-vm', projectId: 'p1', status: 'ACTIVE' });
  const run = await stratus('--json', 'lifecycle', 'plan');
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const plan = JSON.parse(run.stdout) as Record<string, unknown>[];
  expect(plan).toEqual([{
    resource: { type: 'server', id: stopped.id, name: 'stopped-vm', project: 'p1' },
    action: 'notify', rule: 'shelve-stopped', reason: expect.stringContaining('stopped since'), dueAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
  }]);
  // Two weeks on, the shelve itself shows up (warnings never sent: postponed, still announced).
  const later = await stratus('--json', 'lifecycle', 'plan', '--at', day(now + 30 * DAY));
  expect((JSON.parse(later.stdout) as { action: string }[]).map((i) => i.action)).toEqual(['notify']);
  const plain = await stratus('lifecycle', 'plan');
  expect(plain.stdout).toContain('stopped-vm');
  expect(plain.stdout).toContain('shelve-stopped');
}, 30_000);

test('bad input: --at, exempt dates and reasons, unknown sweeps — each message names the field', async () => {
  writeConfig();
  const at = await stratus('lifecycle', 'plan', '--at', '2025-02-30');
  expect(at.code).toBe(2);
  expect(at.stderr).toContain("option '--at <date>' argument '2025-02-30' is invalid. must be a date YYYY-MM-DD or an ISO time");
  const past = await stratus('lifecycle', 'exempt', 'abc-123', '--until', '2001-01-01', '--reason', 'old');
  expect(past.code).toBe(2);
  expect(past.stderr).toMatch(/until: 2001-01-01 is in the past/);
  const noReason = await stratus('lifecycle', 'exempt', 'abc-123', '--until', day(Date.now() + 400 * DAY), '--reason', ' ');
  expect(noReason.stderr).toContain('--reason: must not be empty');
  const badId = await stratus('lifecycle', 'approve', 'rm -rf');
  expect(badId.code).toBe(2);
  expect(badId.stderr).toContain('must be a sweep id');
  const missing = await stratus('lifecycle', 'approve', 'lifecycle-sweep-19990101');
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('sweep lifecycle-sweep-19990101 does not exist');
  const noDeploy = await stratus('instance', 'deploy', 'abc-123');
  expect(noDeploy.stderr).toContain('lifecycle.deploy: is not configured');
  writeConfig('', false);
  const noCloud = await stratus('lifecycle', 'plan');
  expect(noCloud.code).toBe(2);
  expect(noCloud.stderr).toContain('openstack: is not configured');
  writeFileSync(join(rig.dir, 'stratus.yaml'), 'openstack:\n  authUrl: "ftp://x"\n  auth: { applicationCredentialId: "c" }\n');
  const bad = await stratus('config', 'check');
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('openstack.authUrl: must be the http(s) URL of Keystone v3');
  expect(bad.stderr).toContain('openstack.auth.applicationCredentialSecretEnv: is required: the environment variable that holds the application credential secret');
});

test('exempt, sweep --wait (dry-run) and report', async () => {
  writeConfig();
  const now = await rig.t.env.currentTimeMs();
  const kept = rig.fake.addServer({ name: 'kept-vm', projectId: 'p1', status: 'SHUTOFF', actions: [{ action: 'stop', startTime: new Date(now - 8 * DAY).toISOString() }] });
  const ex = await stratus('--json', 'lifecycle', 'exempt', kept.id, '--until', day(now + 60 * DAY), '--reason', 'grant renewal pending');
  expect(ex.code).toBe(0);
  expect(JSON.parse(ex.stdout)).toMatchObject({ id: kept.id, until: day(now + 60 * DAY), reason: 'grant renewal pending' });
  const plan = JSON.parse((await stratus('--json', 'lifecycle', 'plan')).stdout) as { resource: { id: string } }[];
  expect(plan.map((i) => i.resource.id)).not.toContain(kept.id);

  const sweep = await stratus('--json', 'lifecycle', 'sweep', '--wait');
  expect(sweep.code).toBe(0);
  const report = JSON.parse(sweep.stdout) as { sweepId: string; status: string; enforce: boolean };
  expect(report).toMatchObject({ status: 'dry-run', enforce: false });
  expect(rig.smtp.messages).toEqual([]);
  await new Promise((r) => setTimeout(r, 200));
  const shown = await stratus('lifecycle', 'report', report.sweepId);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toContain(`dry-run sweep ${report.sweepId}`);
}, 30_000);

// An enforcing config whose shelve rule warns one day ahead.
function writeEnforcingConfig(): void {
  writeFileSync(join(rig.dir, 'stratus.yaml'), [
    'openstack:',
    `  authUrl: "${rig.fake.authUrl}"`,
    '  region: RegionOne',
    '  auth: { applicationCredentialId: "cred-1", applicationCredentialSecretEnv: OS_APP_CRED_SECRET }',
    'lifecycle:',
    '  enforce: true',
    '  maxActionsPerSweep: 50',
    '  maxActionsPercent: 100',
    '  sweepAt: "03:00"',
    '  allocations: { file: ./allocations.csv }',
    `  notify: { smtp: { host: 127.0.0.1, port: ${rig.smtp.port} }, from: "cloud@example.org" }`,
    '  rules:',
    '    - { kind: shelve-stopped, after: 14d, states: [SHUTOFF], warn: [1d] }',
    '  exemptMetadataKey: "stratus:exempt"',
  ].join('\n'));
}

test('sweep --wait exits 1 when an action failed, and the report says which and why', async () => {
  writeEnforcingConfig();
  const now = await rig.t.env.currentTimeMs();
  rig.allocations([['p1', day(now + 400 * DAY), 'alice@example.org']]);
  for (const s of [...rig.fake.servers.values()]) rig.fake.servers.delete(s.id); // earlier tests' servers
  const stuck = rig.fake.addServer({ name: 'stuck-vm', projectId: 'p1', status: 'SHUTOFF', actions: [{ action: 'stop', startTime: new Date(now - 30 * DAY).toISOString() }] });
  // The first sweep sends the one-day warning (stratus never acts without one); a day later the shelve is due.
  const warned = await stratus('--json', 'lifecycle', 'sweep', '--wait');
  expect(warned.code).toBe(0);
  expect(JSON.parse(warned.stdout)).toMatchObject({ status: 'completed', notices: { sent: [expect.objectContaining({ resourceId: stuck.id })] } });
  rig.fake.faults.failNext({ status: 403, count: 50, path: new RegExp(`servers/${stuck.id}/action`), method: 'POST' });
  await rig.t.env.sleep(2 * DAY);
  const run = await stratus('--json', 'lifecycle', 'sweep', '--wait');
  rig.fake.faults.reset();
  expect(run.code).toBe(1);
  const [reportLine, failureLine] = run.stdout.trim().split('\n');
  const report = JSON.parse(reportLine) as { status: string; actions: { resource: { id: string }; outcome: string; detail?: string }[] };
  expect(report.status).toBe('completed-with-failures');
  expect(report.actions).toEqual([expect.objectContaining({ resource: expect.objectContaining({ id: stuck.id }), outcome: 'failed', detail: expect.stringContaining('HTTP 403') })]);
  expect(JSON.parse(failureLine)).toMatchObject({ ok: false, message: expect.stringMatching(/^sweep lifecycle-sweep-\S+ completed with failures: 1 action failed or could not be checked$/) });
  const plain = await stratus('lifecycle', 'report');
  expect(plain.stdout).toContain(': completed-with-failures');
  expect(rig.fake.servers.get(stuck.id)?.status).toBe('SHUTOFF');
}, 60_000);

test('plan and sweep --wait exit 1 when the sweep itself failed (bad allocation data)', async () => {
  writeConfig();
  writeFileSync(join(rig.dir, 'allocations.csv'), 'project_id,end_date,contact_email\np1,not-a-date,alice@example.org\n');
  const plan = await stratus('lifecycle', 'plan');
  expect(plan.code).toBe(1);
  expect(plan.stderr).toContain('error: the plan could not be made:');
  const sweep = await stratus('lifecycle', 'sweep', '--wait');
  expect(sweep.code).toBe(1);
  expect(sweep.stdout).toContain(': failed');
  expect(sweep.stderr).toMatch(/error: sweep lifecycle-sweep-\S+ failed: /);
}, 60_000);
