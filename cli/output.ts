// How commands talk to the user: plain lines for people, one JSON object per line with --json.

/** Where a command writes; process.stdout/stderr in the real CLI. */
export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Exit codes: 0 ok, 1 something failed at run time, 2 bad usage or bad configuration. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** An error the CLI reports as-is (no stack) with the given exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
  }
}

/** Writes results and progress either as plain text or as JSON lines on stdout. */
export class Output {
  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
  ) {}

  /** The final result of a command. */
  result(data: Record<string, unknown>, plain: string): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(data)}\n`);
    else this.io.stdout.write(`${plain}\n`);
  }

  /** A progress event of a long-running command (`{"event": name, ...data}` with --json). */
  event(name: string, data: Record<string, unknown>, plain: string): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify({ event: name, ...data })}\n`);
    else this.io.stdout.write(`${plain}\n`);
  }

  /** A failure: JSON on stdout (so a script reads one stream), plain lines on stderr. */
  failure(data: Record<string, unknown>, plainLines: string[]): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify({ ok: false, ...data })}\n`);
    else this.io.stderr.write(plainLines.map((line) => `${line}\n`).join(''));
  }
}
