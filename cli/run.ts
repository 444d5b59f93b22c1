// The `stratus` command as a function: argv in, exit code out (main.ts wires it to the process).
import { CommanderError } from 'commander';
import { ConfigError, formatProblem } from '../config/errors.js';
import { CliError, type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Output } from './output.js';
import { createProgram } from './program.js';

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    return report(error, new Output(io, wantsJson(argv)), io);
  }
}

function report(error: unknown, out: Output, io: CliIo): number {
  if (error instanceof CommanderError) {
    // commander has already printed help, the version, or the usage error.
    return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (error instanceof ConfigError) {
    const header =
      error.kind === 'not-found'
        ? []
        : [`${error.file}: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}`];
    out.failure(
      { error: 'ConfigError', kind: error.kind, file: error.file, problems: error.problems },
      [...header, ...error.problems.map(formatProblem)],
    );
    return EXIT_USAGE;
  }
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const exitCode =
    error instanceof CliError ? error.exitCode : name === 'TemporalSettingsError' ? EXIT_USAGE : EXIT_FAILURE;
  out.failure({ error: name, message }, [`error: ${message}`]);
  if (io.env.STRATUS_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return exitCode;
}

function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}
