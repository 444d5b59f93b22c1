// Keystone faults for the real-cloud suite: stop the Keystone that `up` started (by its pid file),
// flush the services' token cache, and bring it back with `up`, which restarts only what is not
// running. (Rotating the fernet keys past the signing key would invalidate every token, but Nova's
// scheduler then gets 401 from Placement for good and schedules nothing until restarted.)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STATE_DIR } from './admin.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** Runs a program (argument array, no shell); resolves with its output, rejects naming it on failure. */
function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${out.slice(-2000)}`))));
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pid `up` recorded for Keystone's uwsgi (its session leader). */
export function keystonePid(): number {
  return Number(readFileSync(join(STATE_DIR, 'run', 'keystone.pid'), 'utf8').trim());
}

/** Stops Keystone's uwsgi session (TERM, then KILL after 20 s); Keystone answers nothing until `restart`. */
export async function stopKeystone(): Promise<void> {
  const pid = keystonePid();
  if (!alive(pid)) throw new Error(`Keystone (pid ${pid}) is not running: was the stack brought up by test/openstack-real/up?`);
  process.kill(-pid, 'SIGTERM');
  for (let i = 0; i < 40 && alive(pid); i++) await new Promise((r) => setTimeout(r, 500));
  if (alive(pid)) process.kill(-pid, 'SIGKILL');
}

/** Empties memcached, where every service's keystonemiddleware caches the tokens it validated. */
export function flushTokenCache(): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(11211, '127.0.0.1', () => s.write('flush_all\r\n'));
    s.once('data', (d: Buffer) => {
      s.end();
      if (d.toString().startsWith('OK')) resolve();
      else reject(new Error(`memcached flush_all answered ${d.toString().trim()}`));
    });
    s.once('error', reject);
  });
}

/** Brings Keystone back (and anything else not running) with `up`; resolves when the stack is ready. */
export async function restartStack(): Promise<void> {
  await run(join(HERE, 'up'), []);
}
