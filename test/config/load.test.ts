import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../config/errors.js';
import { loadConfig, parseConfig, resolveConfigPath } from '../../config/load.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stratus-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads a file and resolves relative paths against its directory', () => {
    const sub = join(dir, 'etc');
    mkdirSync(sub, { recursive: true });
    const file = join(sub, 'stratus.yaml');
    writeFileSync(file, 'dev:\n  dbFile: state/dev.db\n');
    const loaded = loadConfig(file);
    expect(loaded).toMatchObject({ file, found: true, baseDir: sub });
    expect(resolveConfigPath(loaded, loaded.config.dev.dbFile)).toBe(join(sub, 'state/dev.db'));
  });

  it('names the missing file in the error unless the caller allows it', () => {
    const file = join(dir, 'nope.yaml');
    const error = thrown(() => loadConfig(file));
    expect(error.kind).toBe('not-found');
    expect(error.file).toBe(file);
    expect(error.problems).toEqual([
      { path: '', message: `config file not found: ${file} (pass --config <file> or set STRATUS_CONFIG)` },
    ]);
  });

  it('uses the defaults for a missing file when allowed', () => {
    const loaded = loadConfig(join(dir, 'absent.yaml'), { allowMissing: true });
    expect(loaded.found).toBe(false);
    expect(loaded.config.dev.port).toBe(7233);
  });

  it('says when the path is a directory', () => {
    expect(thrown(() => loadConfig(dir)).message).toContain(`config path is a directory, not a file: ${dir}`);
  });

  it('reports YAML syntax errors with the file, line and column', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'dev:\n  port: 1\n  port: 2\n');
    const error = thrown(() => loadConfig(file));
    expect(error.kind).toBe('syntax');
    expect(error.problems).toEqual([{ path: '', message: `${file} line 3, column 3: Map keys must be unique` }]);
  });

  it('reports schema problems with dotted paths and a message listing them all', () => {
    const error = thrown(() => parseConfig('dev:\n  port: x\nworker:\n  taskQueues: [nope]\n', 'my.yaml'));
    expect(error.kind).toBe('invalid');
    expect(error.problems.map((p) => p.path)).toEqual(['dev.port', 'worker.taskQueues.0']);
    expect(error.message).toBe(
      'invalid config my.yaml:\n' +
        '  dev.port: must be a whole number (the Temporal gRPC port), got a string\n' +
        '  worker.taskQueues.0: must be one of stratus-release, stratus-images, stratus-lifecycle',
    );
  });
});
