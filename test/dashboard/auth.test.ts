// Per-operator tokens: the operators list (file lines, YAML, env var), the bearer check (401/403,
// the login of the matching entry, whatever its position) and how the CLI gathers operators from
// --operators-file, dashboard.operatorsFile, STRATUS_DASHBOARD_OPERATORS and the legacy token.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOperators, operatorToken } from '../../cli/dashboard.js';
import { type LoadedConfig } from '../../config/load.js';
import { checkBearer, hashToken, parseOperators } from '../../dashboard/auth.js';

const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-9876543210';
const io = (env: Record<string, string> = {}, cwd = '/') => ({ stdout: { write: () => true }, stderr: { write: () => true }, env, cwd });
const loadedWith = (dir: string, dashboard?: { operatorsFile: string }) =>
  ({ config: dashboard ? { dashboard } : {}, file: join(dir, 'stratus.yaml'), found: true, baseDir: dir }) as unknown as LoadedConfig;

describe('operators list', () => {
  it('reads YAML pairs and login:hash lines, comments and quotes allowed', () => {
    const text = `# who may act\nalice: ${hashToken(ALICE)}\n"bob@example.org": '${hashToken(BOB)}'\ncarol:${'0'.repeat(64)}  # spare\n`;
    expect(parseOperators(text, 'ops.yaml').map((e) => e.login)).toEqual(['alice', 'bob@example.org', 'carol']);
    expect(parseOperators(`alice:${hashToken(ALICE)};bob:${hashToken(BOB)}`, 'ENV').map((e) => e.login)).toEqual(['alice', 'bob']);
  });

  it('names the source and line of a bad entry, never a hash', () => {
    expect(() => parseOperators(`alice: ${hashToken(ALICE)}\nbob: not-a-hash`, 'ops.yaml')).toThrow(
      'ops.yaml line 2: the value of bob must be the SHA-256 of the token as 64 hex digits (e.g. printf %s "$TOKEN" | sha256sum)');
    expect(() => parseOperators(`<b>: ${hashToken(ALICE)}`, 'ops.yaml')).toThrow('ops.yaml: "<b>" is not a valid login');
    expect(() => parseOperators(`alice: ${hashToken(ALICE)}\nalice: ${hashToken(BOB)}`, 'ops.yaml')).toThrow('ops.yaml line 2: alice is listed twice');
    expect(() => parseOperators('just words here', 'ops.yaml')).toThrow('ops.yaml: expected "login: sha256hex(token)"');
  });
});

describe('bearer check', () => {
  const ops = parseOperators(`alice: ${hashToken(ALICE)}\nbob: ${hashToken(BOB)}`, 'ops');
  it('401 without a bearer token, 403 for a token nobody holds, the login for a known one', () => {
    expect(checkBearer(undefined, ops)).toEqual({ ok: false, status: 401, message: 'this action needs your operator token: send Authorization: Bearer <token>' });
    expect(checkBearer('Basic abc', ops)).toMatchObject({ status: 401 });
    expect(checkBearer(`Bearer ${ALICE}x`, ops)).toEqual({ ok: false, status: 403, message: 'this operator token is not known to the dashboard' });
    expect(checkBearer('Bearer a', ops)).toMatchObject({ status: 403 });
    expect(checkBearer(`Bearer ${hashToken(ALICE)}`, ops)).toMatchObject({ status: 403 }); // the hash is not the token
    expect(checkBearer(`Bearer ${ALICE}`, ops)).toEqual({ ok: true, login: 'alice' });
    expect(checkBearer(`bearer ${BOB}`, ops)).toEqual({ ok: true, login: 'bob' });
    expect(checkBearer(`Bearer ${ALICE}`, [])).toMatchObject({ status: 403 });
  });
});

describe('operators of `stratus dashboard`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-ops-'));
  writeFileSync(join(dir, 'ops.yaml'), `alice: ${hashToken(ALICE)}\n`);

  it('comes from the file the config names, the env var and the legacy token (as "operator")', () => {
    const ops = loadOperators(io({ STRATUS_DASHBOARD_OPERATORS: `bob:${hashToken(BOB)}`, STRATUS_DASHBOARD_TOKEN: 'shared-old-token' }), loadedWith(dir, { operatorsFile: 'ops.yaml' }), {});
    expect(ops.map((o) => o.login)).toEqual(['alice', 'bob', 'operator']);
    expect(checkBearer('Bearer shared-old-token', ops)).toEqual({ ok: true, login: 'operator' });
    expect(loadOperators(io({}, dir), loadedWith('/nowhere'), { operatorsFile: 'ops.yaml' }).map((o) => o.login)).toEqual(['alice']);
    expect(loadOperators(io(), loadedWith(dir), {})).toEqual([]);
  });

  it('says which file or variable is wrong', () => {
    expect(() => loadOperators(io(), loadedWith(dir, { operatorsFile: 'missing.yaml' }), {})).toThrow(`dashboard.operatorsFile: cannot read ${join(dir, 'missing.yaml')}: ENOENT`);
    expect(() => loadOperators(io({ STRATUS_DASHBOARD_OPERATORS: 'bob: 123' }), loadedWith(dir), {})).toThrow('STRATUS_DASHBOARD_OPERATORS: the value of bob must be the SHA-256');
    expect(() => loadOperators(io({ STRATUS_DASHBOARD_OPERATORS: `alice:${hashToken(BOB)}` }), loadedWith(dir, { operatorsFile: 'ops.yaml' }), {}))
      .toThrow('STRATUS_DASHBOARD_OPERATORS: the operator alice is already given by dashboard.operatorsFile');
  });

  it('legacy token: STRATUS_DASHBOARD_TOKEN or the variable --token-env names, with messages naming the variable', () => {
    expect(operatorToken(io({}), undefined)).toBeUndefined();
    expect(operatorToken(io({ STRATUS_DASHBOARD_TOKEN: 'long-enough-token' }), undefined)).toBe('long-enough-token');
    expect(operatorToken(io({ OPS_TOKEN: 'another-long-token' }), 'OPS_TOKEN')).toBe('another-long-token');
    expect(() => operatorToken(io({}), 'OPS_TOKEN')).toThrow('--token-env: the environment variable OPS_TOKEN is not set (it must hold the operator token)');
    expect(() => operatorToken(io({}), 'not a name')).toThrow('--token-env: "not a name" is not an environment variable name');
    expect(() => operatorToken(io({ STRATUS_DASHBOARD_TOKEN: 'short' }), undefined)).toThrow('STRATUS_DASHBOARD_TOKEN: the operator token must be at least 8 characters');
  });
});
