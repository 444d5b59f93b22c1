// The CLI in-process (runCli with captured output): usage errors and messages, without paying
// for a subprocess per case. config-check.test.ts covers the real bin/stratus.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIo } from '../../cli/output.js';
import { runCli } from '../../cli/run.js';

let cwd: string;
beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'stratus-cli-run-'));
  writeFileSync(join(cwd, 'stratus.yaml'), 'temporal:\n  namespace: ci\n');
  writeFileSync(join(cwd, 'broken.yaml'), 'dev: [\n');
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

async function run(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env: { HOME: cwd, XDG_CONFIG_HOME: cwd, ...env },
    cwd,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

describe('stratus (in-process)', () => {
  it('reports YAML syntax errors with file, line and column', async () => {
    const result = await run(['-c', 'broken.yaml', 'config', 'check']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `${join(cwd, 'broken.yaml')}: 1 problem\n` +
        `${join(cwd, 'broken.yaml')} line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]\n`,
    );
  });

  it('--json reports a missing file as kind not-found', async () => {
    const result = await run(['--json', '-c', 'missing.yaml', 'config', 'check']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      error: 'ConfigError',
      kind: 'not-found',
      file: join(cwd, 'missing.yaml'),
      problems: [
        { path: '', message: `config file not found: ${join(cwd, 'missing.yaml')} (pass --config <file> or set STRATUS_CONFIG)` },
      ],
    });
  });

  it('exits 2 with a suggestion for an unknown command', async () => {
    const result = await run(['confg']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: unknown command 'confg'");
    expect(result.stderr).toContain('(Did you mean config?)');
  });

  it('rejects a port that is not a number, naming the option', async () => {
    const result = await run(['dev', '--port', 'abc']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "error: option '-p, --port <port>' argument 'abc' is invalid. must be a whole number from 0 to 65535 (0 picks a free port)",
    );
  });

  it('worker refuses to start without a Temporal address and says how to fix it', async () => {
    const result = await run(['worker']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: no Temporal server address: set TEMPORAL_ADDRESS (host:port), temporal.address in stratus.yaml, ' +
        'or a Temporal CLI profile (TEMPORAL_PROFILE); for a local all-in-one run use `stratus dev`\n',
    );
  });

  it('worker reports it as JSON with --json', async () => {
    const result = await run(['worker', '--json']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: 'TemporalSettingsError' });
  });

  it('dev refuses --port when the environment names a Temporal server', async () => {
    const result = await run(['dev', '--port', '0'], { TEMPORAL_ADDRESS: '127.0.0.1:7999' });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: --port and --db configure the embedded server, but Temporal is set to 127.0.0.1:7999 ' +
        '(from environment); unset TEMPORAL_ADDRESS / temporal.address to use the embedded server\n',
    );
  });

  it('a named but missing config file is an error even for dev', async () => {
    const result = await run(['dev', '-c', 'nope.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`config file not found: ${join(cwd, 'nope.yaml')} (pass --config <file> or set STRATUS_CONFIG)\n`);
  });

  it('rejects an unknown STRATUS_LOG_LEVEL, listing the levels', async () => {
    const result = await run(['worker'], { STRATUS_LOG_LEVEL: 'chatty' });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: STRATUS_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR\n');
  });
});
