// The first run as a newcomer sees it: `stratus dev --port <free>` in an empty directory (no
// ./stratus.yaml, nothing in the environment) brings up the demo — releases, images and the
// lifecycle on the simulated cloud with a sweep waiting for approval — and every command it prints
// works when pasted into another terminal in the same directory, whatever port was chosen (the
// CLI finds the running dev server in .stratus/dev.json). The operator is recorded as cli:<login>.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, runStratus, STRATUS_BIN } from './run-stratus.js';

let cwd: string;
let env: NodeJS.ProcessEnv;
let dev: ChildProcess;
let stdout = '';
let stderr = '';

const freePort = (): Promise<number> => new Promise((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});

async function until(test: () => boolean, what: string, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (dev.exitCode !== null) throw new Error(`stratus dev exited before ${what}; stderr:\n${stderr}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; stdout:\n${stdout}\nstderr:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A printed command line as an argument array (the demo's commands have no quoting). */
function args(line: string): string[] {
  const words = line.replace(/#.*$/, '').trim().split(/\s+/);
  expect(words.slice(0, 2)).toEqual(['npx', 'stratus']);
  return words.slice(2);
}

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'stratus-first-run-'));
  const bundle = process.env.STRATUS_WORKFLOW_BUNDLE;
  env = cleanEnv(cwd, { STRATUS_OPERATOR: 'newcomer', ...(bundle ? { STRATUS_WORKFLOW_BUNDLE: bundle } : {}) });
  const port = await freePort();
  dev = spawn(STRATUS_BIN, ['dev', '--port', String(port), '--dashboard-port', '0'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  dev.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  dev.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  await until(() => stdout.includes('Write a ./stratus.yaml'), 'the demo to print what to try');
}, 120_000);
afterAll(async () => {
  if (dev && dev.exitCode === null) {
    const exited = new Promise((r) => dev.once('exit', r));
    dev.kill('SIGTERM');
    await exited;
  }
  rmSync(cwd, { recursive: true, force: true });
});

test('the demo shows all three capabilities, and every printed command works as pasted', async () => {
  expect(stdout).toContain('a simulated OpenStack cloud with 40 servers and a local mailbox');
  expect(stdout).toMatch(/sweep lifecycle-sweep-[0-9-]+ warning its users and waiting for approval/);
  const state = JSON.parse(readFileSync(join(cwd, '.stratus/dev.json'), 'utf8')) as { address: string; dashboard: string };
  expect(stdout).toContain(`Temporal server (embedded) listening on ${state.address}`);
  const commands = stdout.split('\n').filter((l) => l.startsWith('  npx stratus '));
  expect(commands.length).toBeGreaterThanOrEqual(11);

  const results: string[] = [];
  for (const line of commands) {
    // "advance … (twice to reach "Release")": as the comment says, so that approve is allowed
    const times = line.includes('twice') ? 2 : 1;
    for (let i = 0; i < times; i++) {
      const r = await runStratus(args(line), { cwd, env });
      results.push(`${r.code} ${args(line).slice(2).join(' ')}`);
      if (r.code !== 0) throw new Error(`${line.trim()} exited ${r.code}:\n${r.stdout}${r.stderr}`);
      if (line.includes('lifecycle report')) expect(r.stdout).toMatch(/is waiting for approval \(7 destructive actions is more than maxActionsPerSweep \(3\)\): stratus lifecycle approve/);
      if (line.includes('lifecycle plan')) expect(r.stdout).toMatch(/^plan as of .*: \d+ items/);
      if (line.includes('audit lifecycle')) expect(r.stdout).toMatch(/cli:newcomer +update approve \{"by":"cli:newcomer"\} +→ completed +\[lifecycle-sweep-/);
      if (line.includes('audit release-v1')) {
        expect(r.stdout).toMatch(/cli:newcomer +update advance/);
        expect(r.stdout).toMatch(/cli:newcomer +update approve/);
      }
    }
  }
  expect(results.every((r) => r.startsWith('0 '))).toBe(true);

  // the dashboard the demo printed serves the mailbox with the warnings sent
  const mailbox = (await (await fetch(`${state.dashboard}/api/mailbox`)).json()) as { messages: Array<{ subject: string }> };
  expect(mailbox.messages.length).toBeGreaterThanOrEqual(10);
  expect(existsSync(join(cwd, '.stratus/demo/operator-token'))).toBe(true);
}, 240_000);

test('from another directory (no stratus dev there) the commands say how to reach Temporal instead of guessing', async () => {
  const elsewhere = mkdtempSync(join(tmpdir(), 'stratus-elsewhere-'));
  const r = await runStratus(['-c', join(cwd, '.stratus/demo/stratus.yaml'), 'image', 'list', 'demo'], { cwd: elsewhere, env });
  rmSync(elsewhere, { recursive: true, force: true });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('error: no Temporal server address: set TEMPORAL_ADDRESS');
});
