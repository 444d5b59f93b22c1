import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { type z } from 'zod';
import { ConfigError, type ConfigProblem } from './errors.js';
import { describeIssues } from './issues.js';
import { type StratusConfig, stratusConfigSchema } from './schema.js';

/** The default config file name, looked up in the working directory. */
export const DEFAULT_CONFIG_FILE = 'stratus.yaml';

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  /**
   * When true a missing file yields the all-defaults config (what `stratus dev` wants);
   * otherwise a missing file is a `ConfigError` of kind `not-found` naming the path.
   */
  allowMissing?: boolean;
}

/** A validated config plus where it came from, so relative paths in it can be resolved. */
export interface LoadedConfig {
  config: StratusConfig;
  /** Absolute path of the config file (whether or not it exists). */
  file: string;
  /** False when the file was missing and defaults were used. */
  found: boolean;
  /** Directory relative paths in the config are resolved against (the file's directory). */
  baseDir: string;
}

/**
 * Reads, parses and validates a `stratus.yaml`. Throws {@link ConfigError} listing every
 * problem with its dotted path.
 */
export function loadConfig(file: string, options: LoadConfigOptions = {}): LoadedConfig {
  const absolute = resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (options.allowMissing) {
        return { config: validateConfig({}, absolute), file: absolute, found: false, baseDir: dirname(absolute) };
      }
      throw new ConfigError(absolute, 'not-found', [
        { path: '', message: `config file not found: ${absolute} (pass --config <file> or set STRATUS_CONFIG)` },
      ]);
    }
    if (code === 'EISDIR') {
      throw new ConfigError(absolute, 'not-found', [{ path: '', message: `config path is a directory, not a file: ${absolute}` }]);
    }
    throw new ConfigError(absolute, 'not-found', [
      { path: '', message: `cannot read config file ${absolute}: ${(error as Error).message}` },
    ]);
  }
  return { config: parseConfig(text, absolute), file: absolute, found: true, baseDir: dirname(absolute) };
}

/** Parses YAML text and validates it; `source` names the text in error messages. */
export function parseConfig(text: string, source = DEFAULT_CONFIG_FILE): StratusConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems: ConfigProblem[] = doc.errors.map((e) => {
      const at = lineCounter.linePos(e.pos[0]);
      return { path: '', message: `${source} line ${at.line}, column ${at.col}: ${firstLine(e.message)}` };
    });
    throw new ConfigError(source, 'syntax', problems);
  }
  // An empty file (or one with only comments) means "all defaults".
  const raw: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  return validateConfig(raw, source);
}

/** Validates an already-parsed value against the schema (defaults applied). */
export function validateConfig(raw: unknown, source = DEFAULT_CONFIG_FILE): StratusConfig {
  return validateWith(stratusConfigSchema, raw, source);
}

/**
 * Validates `raw` against any config schema (e.g. a domain section on its own in tests),
 * with the same dotted-path problems as the full loader.
 */
export function validateWith<S extends z.ZodType>(schema: S, raw: unknown, source = DEFAULT_CONFIG_FILE): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(source, 'invalid', describeIssues(schema, raw, result.error.issues));
}

/** Resolves a path from the config (e.g. `dev.dbFile`) against the config file's directory. */
export function resolveConfigPath(loaded: Pick<LoadedConfig, 'baseDir'>, path: string): string {
  return resolve(loaded.baseDir, path);
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
