// Ansible activities with the real ansible-playbook on localhost and real TCP listeners.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAnsibleActivities } from '../../activities/ansible.js';
import { AnsiblePlaybookRunner, type InventoryHost } from '../../clients/ansible.js';

const noop = (): void => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
const acts = createAnsibleActivities({ runner: new AnsiblePlaybookRunner() });
const local: InventoryHost = { name: 'new-instance', connection: 'local', pythonInterpreter: '/usr/bin/python3' };
let dir: string;
let playbook: string;

function mockEnv() {
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000 }, { logger: quiet });
  return {
    run: <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => env.run(fn, ...args) as Promise<R>,
    on: (event: 'heartbeat', listener: (details: unknown) => void) => env.on(event, listener),
    cancel: () => env.cancel(),
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-ansible-act-'));
  playbook = join(dir, 'deploy.yml');
  await writeFile(playbook, [
    '- hosts: all',
    '  gather_facts: false',
    '  tasks:',
    '    - name: configure',
    '      ansible.builtin.copy: { dest: "{{ out }}", content: "configured {{ inventory_hostname }}" }',
    '    - name: linger',
    '      ansible.builtin.command: sleep {{ linger | default(0) }}',
  ].join('\n'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('runPlaybook', () => {
  it('configures the instance and heartbeats task progress', async () => {
    const env = mockEnv();
    const beats: unknown[] = [];
    env.on('heartbeat', (d) => beats.push(d));
    const out = join(dir, 'configured.txt');
    const result = await env.run(acts.runPlaybook, { playbook, hosts: [local], extraVars: { out } });
    expect(await readFile(out, 'utf8')).toBe('configured new-instance');
    expect(result.success).toBe(true);
    expect(result.hosts['new-instance']).toMatchObject({ ok: 2, changed: 2, failures: 0 });
    expect(beats).toContainEqual(expect.objectContaining({ task: 'configure' }));
  });

  it('fails retryably when the host cannot be reached over SSH', async () => {
    const err = await mockEnv()
      .run(acts.runPlaybook, { playbook, hosts: [{ name: 'far', address: '127.0.0.1', port: 1, user: 'nobody' }], extraVars: { out: join(dir, 'never.txt') } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'AnsibleHostUnreachable', nonRetryable: false });
    expect((err as Error).message).toMatch(/^unreachable: far \(Failed to connect to the host via ssh: .*Connection refused\)$/);
    expect(existsSync(join(dir, 'never.txt'))).toBe(false);
  });

  it('stops the playbook when the activity is cancelled', async () => {
    const env = mockEnv();
    const out = join(dir, 'cancelled.txt');
    const pending = env.run(acts.runPlaybook, { playbook, hosts: [local], extraVars: { out, linger: 60 } });
    env.on('heartbeat', (d) => {
      if ((d as { task?: string }).task === 'linger') env.cancel();
    });
    await expect(pending).rejects.toBeInstanceOf(CancelledFailure);
  });

  it('rejects bad input for good, naming the field', async () => {
    const err = await mockEnv().run(acts.runPlaybook, { playbook, hosts: [{ name: 'x', user: 'root; id' }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'InvalidInput', nonRetryable: true, message: 'hosts[0].user: "root; id" is not a valid user name' });
  });
});

describe('waitForSshReachable', () => {
  let sshd: Server;
  let port: number;
  beforeAll(async () => {
    sshd = createServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'));
    await new Promise<void>((r) => sshd.listen(0, '127.0.0.1', r));
    port = (sshd.address() as { port: number }).port;
  });
  afterAll(() => new Promise((r) => sshd.close(r)));

  it('returns once the SSH server greets', async () => {
    expect(await mockEnv().run(acts.waitForSshReachable, { host: '127.0.0.1', port })).toEqual({ host: '127.0.0.1', port, attempts: 1 });
  });

  it('keeps probing until the port opens, then gives up retryably at the deadline', async () => {
    const late = createServer((s) => s.end('SSH-2.0-late\r\n'));
    const probe = await new Promise<number>((r) => late.listen(0, '127.0.0.1', () => r((late.address() as { port: number }).port)));
    await new Promise((r) => late.close(r));
    setTimeout(() => late.listen(probe, '127.0.0.1'), 250);
    const result = await mockEnv().run(acts.waitForSshReachable, { host: '127.0.0.1', port: probe, intervalMs: 100, timeoutMs: 5000 });
    expect(result.attempts).toBeGreaterThan(1);
    await new Promise((r) => late.close(r));

    const err = await mockEnv().run(acts.waitForSshReachable, { host: '127.0.0.1', port: probe, intervalMs: 100, timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'HostUnreachable', nonRetryable: false });
    expect((err as Error).message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${probe} did not answer as SSH within 300 ms \\(\\d+ probes\\)$`));
    const bad = await mockEnv().run(acts.waitForSshReachable, { host: 'bad host' }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ type: 'InvalidInput', message: 'host: "bad host" is not an IP address or host name' });
  });
});
