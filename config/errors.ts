/** One thing wrong with a config file, addressed by the dotted path of the offending field. */
export interface ConfigProblem {
  /** Dotted path of the field, e.g. `release.repos.0.url`; empty for the document as a whole. */
  path: string;
  /** What is wrong, in words a user can act on. */
  message: string;
}

/** Why a config could not be used: the file is missing, is not YAML, or fails the schema. */
export type ConfigErrorKind = 'not-found' | 'syntax' | 'invalid';

/**
 * The config file cannot be used. Carries every problem found, not just the first, so a user
 * fixes them all in one go.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    /** Absolute path of the config file (or the name of the in-memory source). */
    readonly file: string,
    readonly kind: ConfigErrorKind,
    readonly problems: ConfigProblem[],
  ) {
    super(`${describeKind(kind)} ${file}:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
  }
}

/** `<dotted.path>: <message>`, or just the message for problems about the whole document. */
export function formatProblem(problem: ConfigProblem): string {
  return problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`;
}

function describeKind(kind: ConfigErrorKind): string {
  switch (kind) {
    case 'not-found':
      return 'config file not found:';
    case 'syntax':
      return 'config file is not valid YAML:';
    case 'invalid':
      return 'invalid config';
  }
}
