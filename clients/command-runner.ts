// Runs build and test commands: an argument array (never a shell), its own process group so an
// abort or timeout kills the whole tree, the last few KB of output kept, progress callbacks for
// activity heartbeats.
import { spawn } from 'node:child_process';

/** Progress of a running command, reported every `progressIntervalMs`. */
export interface CommandProgress {
  elapsedMs: number;
  /** Bytes of stdout + stderr seen so far. */
  outputBytes: number;
}

/** One command to run. */
export interface RunCommandOptions {
  /** Program and arguments; the program is looked up on PATH when it has no `/`. */
  command: readonly string[];
  /** Working directory. */
  cwd: string;
  /** Variables added to the runner's base environment. */
  env?: Record<string, string>;
  /** Kill the process tree after this long; no limit when absent. */
  timeoutMs?: number;
  /** Aborting kills the process tree (SIGTERM, then SIGKILL after the grace period). */
  signal?: AbortSignal;
  /** How much of the combined output to keep (default 64 KiB). */
  tailBytes?: number;
  /** Called every `progressIntervalMs` while the command runs (e.g. to heartbeat). */
  onProgress?: (progress: CommandProgress) => void;
  /** Default 5 s. */
  progressIntervalMs?: number;
  /** Time between SIGTERM and SIGKILL (default 5 s). */
  killGraceMs?: number;
}

/** How a command ended. A command that could not start throws {@link CommandStartError} instead. */
export interface CommandResult {
  /** Exit code, or null when the process was killed by a signal. */
  exitCode: number | null;
  /** The signal that ended the process, if any. */
  signal: NodeJS.Signals | null;
  /** Killed because it ran past `timeoutMs`. */
  timedOut: boolean;
  /** Killed because `signal` was aborted (or it was aborted before start). */
  aborted: boolean;
  durationMs: number;
  /** The last `tailBytes` of stdout and stderr, interleaved as they arrived. */
  outputTail: string;
  outputBytes: number;
  /** Exit code 0, not timed out, not aborted. */
  ok: boolean;
}

/** Port: runs one command to completion. */
export interface CommandRunner {
  run(options: RunCommandOptions): Promise<CommandResult>;
}

/** The program could not be started (not found, not executable, bad cwd). */
export class CommandStartError extends Error {
  override readonly name = 'CommandStartError';
  constructor(
    /** The program (first element of the command); arguments are left out on purpose. */
    readonly program: string,
    readonly code: string,
    readonly cwd: string,
  ) {
    super(`cannot start "${program}" in ${cwd}: ${describeCode(code)}`);
  }
}

/** Bad input to {@link CommandRunner.run}. */
export class InvalidCommandError extends Error {
  override readonly name = 'InvalidCommandError';
}

function describeCode(code: string): string {
  switch (code) {
    case 'ENOENT':
      return 'not found (ENOENT)';
    case 'EACCES':
      return 'permission denied, is it executable? (EACCES)';
    default:
      return code;
  }
}

/** Variables a command inherits by default: enough to find programs, nothing secret. */
const SAFE_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'LOGNAME'];

/** Options of {@link createCommandRunner}. */
export interface CommandRunnerOptions {
  /**
   * The environment every command starts from. Defaults to PATH, HOME, LANG, LC_ALL, TZ, TMPDIR,
   * USER and LOGNAME of this process, so worker credentials never leak into build scripts.
   */
  baseEnv?: Record<string, string>;
}

/** A {@link CommandRunner} over `child_process.spawn`. */
export function createCommandRunner(options: CommandRunnerOptions = {}): CommandRunner {
  const baseEnv = options.baseEnv ?? pickEnv(process.env, SAFE_ENV);
  return { run: (runOptions) => runCommand(baseEnv, runOptions) };
}

function pickEnv(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) if (env[name] !== undefined) out[name] = env[name];
  return out;
}

function validate(options: RunCommandOptions): void {
  const { command } = options;
  if (!Array.isArray(command) || command.length === 0 || command.some((a) => typeof a !== 'string')) {
    throw new InvalidCommandError('command must be a non-empty array of strings');
  }
  if (command[0] === '') throw new InvalidCommandError('command[0] (the program) must not be empty');
  if (command.some((a) => a.includes('\0'))) throw new InvalidCommandError('command arguments must not contain NUL bytes');
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new InvalidCommandError(`env name ${JSON.stringify(key)} is not a valid variable name`);
    if (value.includes('\0')) throw new InvalidCommandError(`env ${key} must not contain NUL bytes`);
  }
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) throw new InvalidCommandError('timeoutMs must be a positive number');
}

/** Keeps the last `limit` bytes of a stream of chunks. */
class Tail {
  private chunks: Buffer[] = [];
  private length = 0;
  total = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    this.total += chunk.length;
    this.chunks.push(chunk);
    this.length += chunk.length;
    while (this.length - this.chunks[0]!.length >= this.limit) this.length -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    const cut = all.subarray(Math.max(0, all.length - this.limit));
    // A cut may split a UTF-8 sequence: drop the replacement character it produces at the start.
    return cut.toString('utf8').replace(/^\uFFFD+/, '');
  }
}

async function runCommand(baseEnv: Record<string, string>, options: RunCommandOptions): Promise<CommandResult> {
  validate(options);
  const started = Date.now();
  const tail = new Tail(options.tailBytes ?? 64 * 1024);
  const { signal } = options;
  if (signal?.aborted) {
    return { exitCode: null, signal: null, timedOut: false, aborted: true, durationMs: 0, outputTail: '', outputBytes: 0, ok: false };
  }
  const [program, ...args] = options.command;
  return new Promise<CommandResult>((resolve, reject) => {
    const child = spawn(program!, args, {
      cwd: options.cwd,
      env: { ...baseEnv, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group: kill(-pid) reaches every descendant
      shell: false,
    });
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;

    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the group is gone already.
      }
    };
    const terminate = (): void => {
      killGroup('SIGTERM');
      killTimer ??= setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 5000);
    };
    const onAbort = (): void => {
      aborted = true;
      terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const timeout =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            terminate();
          }, options.timeoutMs)
        : undefined;
    const progress = options.onProgress
      ? setInterval(() => options.onProgress!({ elapsedMs: Date.now() - started, outputBytes: tail.total }), options.progressIntervalMs ?? 5000)
      : undefined;
    let pipesTimer: NodeJS.Timeout | undefined;

    const cleanup = (): void => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      clearTimeout(pipesTimer);
      clearInterval(progress);
      signal?.removeEventListener('abort', onAbort);
    };
    const finish = (): void => {
      if (settled || !exit) return;
      settled = true;
      cleanup();
      // Descendants that outlived the main process (and still hold our pipes) are not left behind.
      killGroup('SIGKILL');
      const { code, signal: sig } = exit;
      resolve({
        exitCode: code,
        signal: sig,
        timedOut,
        aborted,
        durationMs: Date.now() - started,
        outputTail: tail.text(),
        outputBytes: tail.total,
        ok: code === 0 && !timedOut && !aborted,
      });
    };

    child.stdout.on('data', (chunk: Buffer) => tail.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => tail.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (settled || exit) return;
      settled = true;
      cleanup();
      reject(new CommandStartError(program!, error.code ?? error.message, options.cwd));
    });
    child.on('exit', (code, sig) => {
      exit = { code, signal: sig };
      // Normally 'close' follows at once; a background grandchild holding the pipes must not
      // keep us waiting, so give the pipes a moment and then finish anyway.
      pipesTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, 1000);
    });
    child.on('close', () => finish());
  });
}
