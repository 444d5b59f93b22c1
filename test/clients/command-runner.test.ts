import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandStartError, createCommandRunner, InvalidCommandError } from '../../clients/command-runner.js';

let dir: string;
const runner = createCommandRunner();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-runner-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function script(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

/** Alive = exists and is not a zombie (a container's PID 1 may not reap orphans). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const readPids = async (file: string): Promise<number[] | undefined> => {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pids = text.split(/\s+/).filter(Boolean).map(Number);
  return pids.length === 2 ? pids : undefined;
};

/** A script that starts a child which sleeps, records both pids, then sleeps itself. */
const treeScript = (pidFile: string, trap = ''): Promise<string> =>
  script(`tree-${Math.random().toString(36).slice(2)}.sh`, `${trap}\nsleep 30 &\necho "$$ $!" > ${pidFile}\necho started\nwait`);

describe('command runner', () => {
  it('runs an argument array in cwd with the extra env, capturing output', async () => {
    const path = await script('hello.sh', 'echo "out:$1:$GREETING:$(pwd)"; echo err >&2; exit 0');
    const result = await runner.run({ command: [path, 'a b; rm -rf /'], cwd: dir, env: { GREETING: 'hi' } });
    expect(result).toMatchObject({ exitCode: 0, signal: null, ok: true, timedOut: false, aborted: false });
    expect(result.outputTail).toContain(`out:a b; rm -rf /:hi:${dir}`);
    expect(result.outputTail).toContain('err');
  });

  it('does not pass the worker environment (tokens) to commands', async () => {
    process.env.STRATUS_TEST_TOKEN = 'sekret';
    try {
      const result = await runner.run({ command: ['env'], cwd: dir, env: { ADDED: '1' } });
      expect(result.outputTail).toContain('ADDED=1');
      expect(result.outputTail).toContain('PATH=');
      expect(result.outputTail).not.toContain('sekret');
    } finally {
      delete process.env.STRATUS_TEST_TOKEN;
    }
    const bare = await createCommandRunner({ baseEnv: { PATH: '/usr/bin:/bin' } }).run({ command: ['env'], cwd: dir });
    expect(bare.outputTail.trim()).toBe('PATH=/usr/bin:/bin');
  });

  it('reports a non-zero exit', async () => {
    const path = await script('fail.sh', 'echo broken; exit 3');
    const result = await runner.run({ command: [path], cwd: dir });
    expect(result).toMatchObject({ exitCode: 3, ok: false, outputTail: 'broken\n' });
  });

  it('kills the whole process tree on timeout', async () => {
    const pidFile = join(dir, 'timeout.pids');
    const path = await treeScript(pidFile);
    const result = await runner.run({ command: [path], cwd: dir, timeoutMs: 500 });
    expect(result).toMatchObject({ timedOut: true, ok: false, exitCode: null, signal: 'SIGTERM' });
    const [parent, child] = (await readPids(pidFile))!;
    await waitFor(() => (!alive(parent!) && !alive(child!) ? true : undefined));
  });

  it('abort kills parent and child, escalating to SIGKILL when SIGTERM is ignored', async () => {
    const pidFile = join(dir, 'abort.pids');
    const path = await treeScript(pidFile, "trap '' TERM");
    const controller = new AbortController();
    const running = runner.run({ command: [path], cwd: dir, signal: controller.signal, killGraceMs: 300 });
    const [parent, child] = await waitFor(() => readPids(pidFile));
    expect(alive(parent!) && alive(child!)).toBe(true);
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ aborted: true, ok: false, signal: 'SIGKILL', outputTail: 'started\n' });
    await waitFor(() => (!alive(parent!) && !alive(child!) ? true : undefined));
  });

  it('does not start a command whose signal is already aborted', async () => {
    const marker = join(dir, 'never');
    const result = await runner.run({ command: ['touch', marker], cwd: dir, signal: AbortSignal.abort() });
    expect(result).toMatchObject({ aborted: true, exitCode: null, ok: false });
    await expect(readFile(marker)).rejects.toThrow();
  });

  it('keeps only the tail of huge output', async () => {
    const path = await script('loud.sh', 'head -c 5000000 /dev/zero | tr "\\0" x; echo; echo THE-END');
    const result = await runner.run({ command: [path], cwd: dir, tailBytes: 4096 });
    expect(result.ok).toBe(true);
    expect(result.outputBytes).toBe(5_000_000 + 1 + 8);
    expect(Buffer.byteLength(result.outputTail)).toBeLessThanOrEqual(4096);
    expect(result.outputTail.endsWith('xxx\nTHE-END\n')).toBe(true);
  });

  it('reports progress while the command runs', async () => {
    const seen: number[] = [];
    const result = await runner.run({
      command: ['sh', '-c', 'echo tick; sleep 0.7'],
      cwd: dir,
      progressIntervalMs: 100,
      onProgress: (p) => seen.push(p.outputBytes),
    });
    expect(result.ok).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.at(-1)).toBe(5);
  });

  it('does not wait for a background process that keeps the output pipe open, and kills it', async () => {
    const pidFile = join(dir, 'bg.pid');
    const path = await script('bg.sh', `sleep 30 &\necho $! > ${pidFile}\nexit 0`);
    const started = Date.now();
    const result = await runner.run({ command: [path], cwd: dir });
    expect(result).toMatchObject({ exitCode: 0, ok: true });
    expect(Date.now() - started).toBeLessThan(10_000);
    const pid = Number(await readFile(pidFile, 'utf8'));
    await waitFor(() => (!alive(pid) ? true : undefined));
  });

  it('says which program could not start, without its arguments', async () => {
    const error = await runner.run({ command: ['./no-such-build.sh', '--token=hunter2'], cwd: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandStartError);
    expect((error as CommandStartError).message).toBe(`cannot start "./no-such-build.sh" in ${dir}: not found (ENOENT)`);
    expect((error as CommandStartError).message).not.toContain('hunter2');
    const notExec = join(dir, 'plain.txt');
    await writeFile(notExec, 'echo hi');
    await expect(runner.run({ command: [notExec], cwd: dir })).rejects.toThrow(/permission denied, is it executable\? \(EACCES\)/);
  });

  it('rejects malformed commands with a clear message', async () => {
    await expect(runner.run({ command: [], cwd: dir })).rejects.toThrow(new InvalidCommandError('command must be a non-empty array of strings'));
    await expect(runner.run({ command: ['echo', 'a\0b'], cwd: dir })).rejects.toThrow('command arguments must not contain NUL bytes');
    await expect(runner.run({ command: ['echo'], cwd: dir, env: { 'A=B': 'x' } })).rejects.toThrow('env name "A=B" is not a valid variable name');
    await expect(runner.run({ command: ['echo'], cwd: dir, timeoutMs: 0 })).rejects.toThrow('timeoutMs must be a positive number');
  });
});
