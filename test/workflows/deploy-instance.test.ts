// deployInstance end to end: a server on the fake OpenStack cloud goes from BUILD to ACTIVE, a TCP
// listener answers with an SSH banner, the real ansible-playbook runs against localhost
// (ansible_connection=local) and writes a file; the result lands in the server's metadata and the
// workflow; `redeploy` runs it again.
import { Context } from '@temporalio/activity';
import { type Worker } from '@temporalio/worker';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../../activities/index.js';
import { AnsiblePlaybookRunner } from '../../clients/ansible.js';
import { createCloud } from '../../clients/openstack/index.js';
import { type DeployInstanceInput, type DeployState } from '../../workflows/deploy-instance.js';
import { startFakeOpenStack, type FakeOpenStack } from '../fakes/openstack.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';

let t: TestEnv;
let fake: FakeOpenStack;
let ssh: Server;
let sshPort: number;
let worker: Worker;
let running: Promise<void>;
const dir = mkdtempSync(join(tmpdir(), 'stratus-deploy-'));

beforeAll(async () => {
  t = await createTestEnv();
  fake = await startFakeOpenStack();
  ssh = createServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2 test\r\n'));
  await new Promise<void>((r) => ssh.listen(0, '127.0.0.1', r));
  sshPort = (ssh.address() as { port: number }).port;
  const cloud = createCloud({ authUrl: fake.authUrl, credentials: { kind: 'application-credential', id: 'cred-1', secret: 'cred-secret' }, retry: { baseDelayMs: 5 } });
  const real = createActivities({ openstack: { cloud, pollIntervalMs: 20 }, ansible: { runner: new AnsiblePlaybookRunner({ playbookDir: dir }) } });
  const activities = Object.fromEntries(Object.entries(real).map(([k, fn]) => [k, async (...a: unknown[]) => {
    fake.setClock(new Date(Context.current().info.currentAttemptScheduledTimestampMs));
    return (fn as (...x: unknown[]) => Promise<unknown>)(...a);
  }]));
  worker = await t.worker({ taskQueue: 'stratus-lifecycle', activities }, 'stratus');
  running = worker.run();
  writeFileSync(join(dir, 'site.yml'), [
    '- hosts: all',
    '  gather_facts: false',
    '  tasks:',
    '    - name: write the marker',
    '      ansible.builtin.copy:',
    '        dest: "{{ out }}"',
    '        content: "configured {{ stratus_server_id }} as {{ role }}\\n"',
  ].join('\n'));
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await t?.teardown();
  await fake?.close();
  ssh?.close();
});

test('waits for ACTIVE and SSH, runs the playbook, records the result; redeploy runs it again', async () => {
  const server = fake.addServer({ name: 'new-vm', projectId: 'p1', status: 'BUILD', taskState: 'spawning', addresses: { private: [{ addr: '127.0.0.1', version: 4 }] } });
  const out = join(dir, 'marker.txt');
  const input: DeployInstanceInput = {
    serverId: server.id, playbook: 'site.yml', connection: 'local', sshPort, pythonInterpreter: '/usr/bin/python3',
    extraVars: { out, role: 'web' }, timeoutMs: 120_000, retries: 1, waitForMs: 60_000, pollIntervalMs: 50, keepOpenMs: 3_600_000,
  };
  const handle = await t.env.client.workflow.start('deployInstance', { taskQueue: 'stratus-lifecycle', workflowId: `deploy-${server.id}`, args: [input] });
  const waitFor = async (pred: (s: DeployState) => boolean): Promise<DeployState> => {
    for (let i = 0; i < 600; i++) {
      const s = await handle.query<DeployState>('status');
      if (pred(s)) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('deployInstance did not get there');
  };
  expect((await waitFor((s) => s.phase === 'waiting-for-server')).deploys).toEqual([]);
  Object.assign(fake.servers.get(server.id)!, { status: 'ACTIVE', taskState: null });

  const first = await waitFor((s) => s.deploys.length === 1);
  expect(first.last).toMatchObject({ deploy: 1, status: 'succeeded', host: '127.0.0.1', recorded: true, failures: [] });
  expect(first.last?.recap).toMatch(/ok=1 changed=1 failed=0 unreachable=0/);
  expect(readFileSync(out, 'utf8')).toBe(`configured ${server.id} as web\n`);
  expect(fake.servers.get(server.id)!.metadata).toMatchObject({
    'stratus:deploy': 'succeeded', 'stratus:deploy-run': `deploy-${server.id}#1`, 'stratus:deploy-recap': expect.stringContaining('changed=1'),
  });

  writeFileSync(out, 'tampered\n');
  expect(await handle.executeUpdate('redeploy')).toEqual({ deploy: 2 });
  const second = await waitFor((s) => s.deploys.length === 2);
  expect(second.last).toMatchObject({ deploy: 2, status: 'succeeded' });
  expect(readFileSync(out, 'utf8')).toBe(`configured ${server.id} as web\n`);
  expect(fake.servers.get(server.id)!.metadata['stratus:deploy-run']).toBe(`deploy-${server.id}#2`);

  // After keepOpenMs without a redeploy the workflow completes with its record.
  const final = await handle.result();
  expect(final.deploys.map((d: { status: string }) => d.status)).toEqual(['succeeded', 'succeeded']);
}, 60_000);

test('a failing playbook is recorded as failed in the metadata and the workflow, not retried forever', async () => {
  writeFileSync(join(dir, 'broken.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: break\n      ansible.builtin.fail:\n        msg: disk not found\n');
  const server = fake.addServer({ name: 'bad-vm', projectId: 'p1', status: 'ACTIVE', addresses: { private: [{ addr: '127.0.0.1', version: 4 }] } });
  const handle = await t.env.client.workflow.start('deployInstance', {
    taskQueue: 'stratus-lifecycle', workflowId: `deploy-${server.id}`,
    args: [{ serverId: server.id, playbook: 'broken.yml', connection: 'local', sshPort, pythonInterpreter: '/usr/bin/python3', retries: 0, pollIntervalMs: 50, keepOpenMs: 60_000 } satisfies DeployInstanceInput],
  });
  const final: DeployState = await handle.result();
  expect(final.last).toMatchObject({ status: 'failed', recorded: true, failures: [expect.stringContaining('disk not found')] });
  expect(fake.servers.get(server.id)!.metadata['stratus:deploy']).toBe('failed');
}, 60_000);
