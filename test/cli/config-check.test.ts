import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, runStratus } from './run-stratus.js';

const example = fileURLToPath(new URL('../../stratus.example.yaml', import.meta.url));
let cwd: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'stratus-cli-'));
  env = cleanEnv(cwd);
  copyFileSync(example, join(cwd, 'stratus.yaml'));
  writeFileSync(join(cwd, 'bad.yaml'), 'dev:\n  prot: 7234\n  dashboardPort: 99999\nworkers: {}\n');
  writeFileSync(join(cwd, 'broken.yaml'), 'dev: [\n');
  writeFileSync(join(cwd, 'bare.yaml'), 'dev:\n  port: 7300\n');
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('stratus config check', () => {
  it('prints a one-line OK summary for ./stratus.yaml and exits 0', async () => {
    const run = await runStratus(['config', 'check'], { cwd, env });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(
      `OK ${join(cwd, 'stratus.yaml')}: temporal from the environment (or the embedded dev server); ` +
        'task queues stratus-release, stratus-images, stratus-lifecycle; configured: release, images, lifecycle\n',
    );
  });

  it('prints every problem as <path>: <message> and exits 2', async () => {
    const run = await runStratus(['--config', 'bad.yaml', 'config', 'check'], { cwd, env });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      [
        `${join(cwd, 'bad.yaml')}: 3 problems`,
        'dev.dashboardPort: must be between 0 and 65535 (0 picks a free port)',
        'dev.prot: unknown key (did you mean "port"?)',
        'workers: unknown key (did you mean "worker"?)',
        '',
      ].join('\n'),
    );
  });

  it('takes the file from STRATUS_CONFIG', async () => {
    const run = await runStratus(['config', 'check'], { cwd, env: { ...env, STRATUS_CONFIG: 'bad.yaml' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${join(cwd, 'bad.yaml')}: 3 problems`);
  });

  it('names a missing config file and exits 2', async () => {
    const run = await runStratus(['-c', 'missing.yaml', 'config', 'check'], { cwd, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `config file not found: ${join(cwd, 'missing.yaml')} (pass --config <file> or set STRATUS_CONFIG)\n`,
    );
  });

  it('says which capabilities a config leaves switched off', async () => {
    const run = await runStratus(['--config', 'bare.yaml', 'config', 'check'], { cwd, env });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('configured: none (not configured: release, images, lifecycle)\n');
  });

  it('--json prints the summary as one JSON object', async () => {
    const run = await runStratus(['config', 'check', '--json'], { cwd, env });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      ok: true,
      file: join(cwd, 'stratus.yaml'),
      temporal: { address: null, namespace: 'default' },
      taskQueues: ['stratus-release', 'stratus-images', 'stratus-lifecycle'],
      sections: { release: true, images: true, lifecycle: true },
    });
  });

  it('--json prints problems as JSON on stdout and exits 2', async () => {
    const run = await runStratus(['--json', '--config', 'bad.yaml', 'config', 'check'], { cwd, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      ok: false,
      error: 'ConfigError',
      kind: 'invalid',
      file: join(cwd, 'bad.yaml'),
      problems: [
        { path: 'dev.dashboardPort', message: 'must be between 0 and 65535 (0 picks a free port)' },
        { path: 'dev.prot', message: 'unknown key (did you mean "port"?)' },
        { path: 'workers', message: 'unknown key (did you mean "worker"?)' },
      ],
    });
  });
});

describe('the stratus launcher', () => {
  it('prints help and the version with exit 0, from any directory', async () => {
    const help = await runStratus(['--help'], { cwd: tmpdir(), env });
    expect(help.code).toBe(0);
    for (const command of ['config', 'server', 'worker', 'dev']) expect(help.stdout).toContain(command);
    const version = await runStratus(['--version'], { cwd: tmpdir(), env });
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });
});
