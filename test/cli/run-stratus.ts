// Runs the real bin/stratus as a subprocess, with a clean environment and a chosen cwd.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const STRATUS_BIN = fileURLToPath(new URL('../../bin/stratus', import.meta.url));

export interface StratusRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The parent environment without anything that would point stratus or Temporal elsewhere. */
export function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('TEMPORAL_') || key.startsWith('STRATUS_')) continue;
    env[key] = value;
  }
  return { ...env, HOME: home, XDG_CONFIG_HOME: home, ...extra };
}

export function runStratus(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<StratusRun> {
  return new Promise((resolve) => {
    execFile(STRATUS_BIN, args, { cwd: options.cwd, env: options.env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
