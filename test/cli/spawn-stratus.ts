// Starts a long-running bin/stratus command and reads its --json event lines.
import { type ChildProcess, spawn } from 'node:child_process';
import { STRATUS_BIN } from './run-stratus.js';

export interface RunningStratus {
  child: ChildProcess;
  /** Resolves with the first JSON event of that name on stdout (rejects on exit or timeout). */
  waitForEvent(name: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
  stderr(): string;
}

export function spawnStratus(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): RunningStratus {
  const child = spawn(STRATUS_BIN, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim() !== '') events.push(JSON.parse(line) as Record<string, unknown>);
    }
    waiters.splice(0).forEach((wake) => wake());
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? signal ?? -1);
      waiters.splice(0).forEach((wake) => wake());
    });
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  async function waitForEvent(name: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = events.find((e) => e.event === name);
      if (found) return found;
      if (hasExited) throw new Error(`stratus ${args.join(' ')} exited before "${name}"; stderr:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`no "${name}" event within ${timeoutMs} ms; stderr:\n${stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  return { child, waitForEvent, exited, stderr: () => stderr };
}
