// The real ansible-playbook against localhost (ansible_connection=local): a playbook that writes a
// file, one that fails a task, one that is killed by the timeout; plus the TCP reachability probe.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnsibleInputError, AnsiblePlaybookRunner, AnsibleRunError, AnsibleTimeoutError, probeTcp, type InventoryHost } from '../../clients/ansible.js';

let dir: string;
const runner = new AnsiblePlaybookRunner();
const localhost: InventoryHost = { name: 'instance-1', connection: 'local', pythonInterpreter: '/usr/bin/python3' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-ansible-test-'));
  await writeFile(join(dir, 'write.yml'), [
    '- hosts: all',
    '  gather_facts: false',
    '  tasks:',
    '    - name: write the greeting',
    '      ansible.builtin.copy: { dest: "{{ out }}", content: "hello {{ who }}" }',
    '    - name: fail on purpose',
    '      ansible.builtin.fail: { msg: "disk {{ disk }} is full" }',
    '      when: disk is defined',
    '    - name: after the failure',
    '      ansible.builtin.debug: { msg: never }',
  ].join('\n'));
  await writeFile(join(dir, 'slow.yml'), [
    '- hosts: all',
    '  gather_facts: false',
    '  tasks:',
    '    - name: sleep',
    '      ansible.builtin.shell: "echo $$ > {{ pidfile }}; exec sleep 60"',
  ].join('\n'));
  await writeFile(join(dir, 'broken.yml'), '- hosts: all\n  tasks:\n    - name: x\n      no.such.module: {}\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('AnsiblePlaybookRunner', () => {
  it('runs a playbook on the instance, passes extra vars from a file and parses the recap', async () => {
    const out = join(dir, 'greeting.txt');
    const seen: string[] = [];
    const result = await runner.run(
      { playbook: join(dir, 'write.yml'), hosts: [localhost], extraVars: { out, who: 'stratus' } },
      { onProgress: (p) => p.task && seen.push(p.task) },
    );
    expect(await readFile(out, 'utf8')).toBe('hello stratus');
    expect(result).toMatchObject({ success: true, exitCode: 0, failures: [] });
    expect(result.hosts['instance-1']).toMatchObject({ ok: 2, changed: 1, failures: 0, unreachable: 0, skipped: 1 });
    expect(seen).toContain('write the greeting');
  });

  it('reports a failed task with its message, host and task name, and no secret', async () => {
    const out = join(dir, 'greeting2.txt');
    const result = await runner.run({
      playbook: join(dir, 'write.yml'), hosts: [localhost],
      extraVars: { out, who: 'x', disk: 's3cr3t-volume' }, secretVars: ['disk'],
    });
    expect(result.success).toBe(false);
    expect(result.exitCode).toBe(2);
    expect(result.hosts['instance-1']).toMatchObject({ ok: 1, failures: 1 });
    expect(result.failures).toEqual([{ host: 'instance-1', task: 'fail on purpose', message: 'disk *** is full', unreachable: false }]);
  });

  it('kills the whole process group when the timeout passes', async () => {
    const pidfile = join(dir, 'sleep.pid');
    const err = await runner.run({ playbook: join(dir, 'slow.yml'), hosts: [localhost], extraVars: { pidfile }, timeoutMs: 4000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnsibleTimeoutError);
    expect((err as Error).message).toBe(`ansible-playbook ${join(dir, 'slow.yml')} did not finish within 4000 ms and was killed`);
    const pid = Number(await readFile(pidfile, 'utf8'));
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(pid)).toBe(false);
  });

  it('says why a playbook could not run at all', async () => {
    const err = (await runner.run({ playbook: join(dir, 'broken.yml'), hosts: [localhost] }).catch((e: unknown) => e)) as AnsibleRunError;
    expect(err).toBeInstanceOf(AnsibleRunError);
    expect(err.message).toMatch(/^ansible-playbook .*broken\.yml could not run \(exit 4\): ERROR! couldn't resolve module\/action 'no\.such\.module'/);
  });

  it('refuses bad inventory and playbook input, naming the field, before running anything', async () => {
    const pb = join(dir, 'write.yml');
    await expect(runner.run({ playbook: pb, hosts: [{ name: 'a b' }] })).rejects.toThrow(new AnsibleInputError('hosts[0].name', '"a b" is not a valid inventory host name'));
    await expect(runner.run({ playbook: pb, hosts: [{ name: 'h', address: '10.0.0.1; rm -rf /' }] })).rejects.toThrow('hosts[0].address: "10.0.0.1; rm -rf /" is not an IP address or host name');
    await expect(runner.run({ playbook: pb, hosts: [{ name: 'h', port: 70000 }] })).rejects.toThrow('hosts[0].port: 70000 is not a TCP port');
    await expect(runner.run({ playbook: pb, hosts: [localhost], extraVars: { 'bad-name': 1 } })).rejects.toThrow('extraVars.bad-name: is not a valid variable name');
    await expect(runner.run({ playbook: '--version', hosts: [localhost] })).rejects.toThrow('playbook: "--version" is not a playbook path');
    await expect(runner.run({ playbook: join(dir, 'nope.yml'), hosts: [localhost] })).rejects.toThrow(`playbook: ${join(dir, 'nope.yml')} does not exist`);
    await expect(runner.run({ playbook: pb, hosts: [] })).rejects.toThrow('hosts: at least one host is needed');
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (killed, not yet reaped in a container without init) counts as dead.
  return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

describe('probeTcp', () => {
  let ssh: Server;
  let silent: Server;
  beforeAll(async () => {
    ssh = createServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'));
    silent = createServer(() => undefined);
    await Promise.all([ssh, silent].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  });
  afterAll(async () => {
    await Promise.all([ssh, silent].map((s) => new Promise((r) => s.close(r))));
  });
  const port = (s: Server): number => (s.address() as { port: number }).port;

  it('sees an open port, an SSH banner, a closed port and a silent one', async () => {
    expect(await probeTcp('127.0.0.1', port(ssh), { banner: 'SSH-' })).toBe(true);
    expect(await probeTcp('127.0.0.1', port(silent))).toBe(true);
    expect(await probeTcp('127.0.0.1', port(silent), { banner: 'SSH-', timeoutMs: 200 })).toBe(false);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = port(closed);
    await new Promise((r) => closed.close(r));
    expect(await probeTcp('127.0.0.1', closedPort, { timeoutMs: 500 })).toBe(false);
  });
});
