// .stratus/dev.json: written by `stratus dev`, read by the client commands only while that process
// lives, removed on stop only by its writer; the Temporal target the client commands then use.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientTarget, DEV_STATE_FILE, readDevState, writeDevState } from '../../cli/dev-state.js';
import { type LoadedConfig } from '../../config/load.js';
import { stratusConfigSchema } from '../../config/schema.js';

const loaded = (dir: string) => ({ config: stratusConfigSchema.parse({}), file: join(dir, 'stratus.yaml'), found: false, baseDir: dir }) as LoadedConfig;
const io = (cwd: string, env: Record<string, string> = {}) => ({ stdout: { write: () => true }, stderr: { write: () => true }, env, cwd });
let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'stratus-devstate-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const state = { pid: process.pid, address: '127.0.0.1:40123', namespace: 'default', dashboard: 'http://127.0.0.1:8081', startedAt: '2026-12-02T00:00:00Z' };

test('a live stratus dev is found; the file goes when its writer stops', async () => {
  const forget = writeDevState(dir, state);
  expect(readDevState(dir)).toEqual(state);
  expect((await clientTarget(loaded(dir), io(dir))).address).toBe('127.0.0.1:40123');
  // the environment still wins
  expect((await clientTarget(loaded(dir), io(dir, { TEMPORAL_ADDRESS: 'temporal.example.org:7233' }))).address).toBe('temporal.example.org:7233');
  forget();
  expect(existsSync(join(dir, DEV_STATE_FILE))).toBe(false);
  expect((await clientTarget(loaded(dir), io(dir))).address).toBeUndefined();
  expect((await clientTarget(loaded(dir), io(dir), true)).address).toBe('127.0.0.1:7233');
});

test('a dead pid, garbage or another writer\'s file is not used (and not removed by someone else)', () => {
  writeDevState(dir, state);
  expect(readDevState(dir, () => false)).toBeUndefined();
  const forgetOther = writeDevState(dir, { ...state, pid: process.pid + 1 });
  writeDevState(dir, state);
  forgetOther(); // the file is now ours: the other writer leaves it
  expect(existsSync(join(dir, DEV_STATE_FILE))).toBe(true);
  writeFileSync(join(dir, DEV_STATE_FILE), '{"pid": "x"}');
  expect(readDevState(dir)).toBeUndefined();
  writeFileSync(join(dir, DEV_STATE_FILE), `{"pid": ${process.pid}, "address": "http://evil/"}`);
  expect(readDevState(dir)).toBeUndefined();
});
