// Who a CLI command acts as: --as, else STRATUS_OPERATOR, else the OS user; a bad login is a usage
// error naming where it came from, before anything is sent; audit ids are checked the same way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { cliIdentity, resolveOperator } from '../../cli/operator.js';
import { type CliIo } from '../../cli/output.js';
import { runCli } from '../../cli/run.js';

let cwd: string;
beforeAll(() => (cwd = mkdtempSync(join(tmpdir(), 'stratus-cli-operator-'))));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

async function run(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (c: string) => (stdout += c) }, stderr: { write: (c: string) => (stderr += c) }, env: { HOME: cwd, ...env }, cwd };
  return { code: await runCli(argv, io), stdout, stderr };
}

test('--as wins over STRATUS_OPERATOR, which wins over the OS user', () => {
  expect(resolveOperator('alice', { env: { STRATUS_OPERATOR: 'bob' } })).toEqual({ login: 'alice', source: '--as' });
  expect(resolveOperator(undefined, { env: { STRATUS_OPERATOR: 'bob' } })).toEqual({ login: 'bob', source: 'STRATUS_OPERATOR' });
  expect(resolveOperator(undefined, { env: {} })).toEqual({ login: userInfo().username, source: 'os-user' });
  expect(cliIdentity({ login: 'alice', source: '--as' })).toBe('cli:alice');
});

test('a bad login is refused with a message naming --as or STRATUS_OPERATOR, before Temporal is asked', async () => {
  // 127.0.0.1:1 would fail to connect: the usage error comes first
  const viaOption = await run(['--as', 'eve<script>', 'image', 'pause', 'demo'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(viaOption.code).toBe(2);
  expect(viaOption.stderr).toBe('error: --as: "eve<script>" is not a valid operator login (letters, digits and . _ @ -, at most 64 characters)\n');
  const viaEnv = await run(['release', 'advance', '1'], { TEMPORAL_ADDRESS: '127.0.0.1:1', STRATUS_OPERATOR: 'two words' });
  expect(viaEnv.code).toBe(2);
  expect(viaEnv.stderr).toContain('error: STRATUS_OPERATOR: "two words" is not a valid operator login');
});

test('stratus audit checks the workflow id by name', async () => {
  const r = await run(['audit', '../etc/passwd']);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe('error: workflowId: "../etc/passwd" is not a workflow id such as release-v31, image-stream-demo or lifecycle\n');
});
