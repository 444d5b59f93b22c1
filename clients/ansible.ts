// The `PlaybookRunner` port and its adapter over the real `ansible-playbook`: generated JSON
// inventory, extra vars in a 0600 file (`-e @file`, never on the command line), a JSON-lines stdout
// callback, per-host stats, timeout and cancellation that kill the whole process group, and a TCP
// probe for "reachable over SSH".
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { connect, isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** One machine in the generated inventory. */
export interface InventoryHost {
  /** Inventory name (letters, digits, `_ . -`). */
  name: string;
  /** `ansible_host`: IP address or DNS name (default: the name). */
  address?: string;
  /** `ansible_user`. */
  user?: string;
  /** `ansible_port`. */
  port?: number;
  /** `ansible_connection`; `local` runs on this machine (tests). */
  connection?: 'ssh' | 'local' | 'paramiko';
  /** `ansible_ssh_private_key_file`. */
  privateKeyFile?: string;
  /** `ansible_python_interpreter` (skips interpreter discovery). */
  pythonInterpreter?: string;
}

/** What to run. */
export interface PlaybookRequest {
  /** Path of the playbook (absolute, or relative to the runner's `playbookDir`). */
  playbook: string;
  hosts: InventoryHost[];
  /** Extra vars, written to a private file and passed as `-e @file`. */
  extraVars?: Record<string, unknown>;
  /** Names of extra vars whose values must never appear in results or errors. */
  secretVars?: string[];
  /** Kill the run after this long (default 30 min). */
  timeoutMs?: number;
  /** `ANSIBLE_HOST_KEY_CHECKING` (default false: new instances have unknown host keys). */
  hostKeyChecking?: boolean;
  tags?: string[];
}

/** `ansible-playbook`'s recap for one host. */
export interface HostStats {
  ok: number;
  changed: number;
  failures: number;
  unreachable: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

/** A task that failed (not ignored) or a host that could not be reached. */
export interface TaskFailure {
  host: string;
  task: string;
  message: string;
  unreachable: boolean;
}

/** Progress while the playbook runs (for heartbeats). */
export interface PlaybookProgress {
  task?: string;
  host?: string;
  status?: string;
  /** Task results seen so far. */
  results: number;
}

/** Outcome of a run that reached the end of the playbook. */
export interface PlaybookResult {
  /** Exit status 0: no failed or unreachable host. */
  success: boolean;
  exitCode: number;
  hosts: Record<string, HostStats>;
  failures: TaskFailure[];
  durationMs: number;
}

/** Runs playbooks. */
export interface PlaybookRunner {
  /**
   * Runs a playbook to its end and reports per-host stats; failed tasks and unreachable hosts are
   * in the result, not thrown. Throws AnsibleInputError, AnsibleTimeoutError, AnsibleCancelledError
   * or AnsibleRunError (the playbook could not run: syntax error, missing binary, …).
   */
  run(request: PlaybookRequest, options?: { signal?: AbortSignal; onProgress?: (p: PlaybookProgress) => void }): Promise<PlaybookResult>;
}

export class AnsibleInputError extends Error {
  override name = 'AnsibleInputError';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}
export class AnsibleTimeoutError extends Error {
  override name = 'AnsibleTimeoutError';
  constructor(readonly playbook: string, readonly timeoutMs: number) {
    super(`ansible-playbook ${playbook} did not finish within ${timeoutMs} ms and was killed`);
  }
}
export class AnsibleCancelledError extends Error {
  override name = 'AnsibleCancelledError';
  constructor(readonly playbook: string) {
    super(`ansible-playbook ${playbook} was cancelled and killed`);
  }
}
export class AnsibleRunError extends Error {
  override name = 'AnsibleRunError';
  constructor(readonly playbook: string, readonly exitCode: number | null, readonly detail: string) {
    super(`ansible-playbook ${playbook} could not run (exit ${exitCode ?? 'signal'}): ${detail}`);
  }
}

export interface AnsibleRunnerOptions {
  /** Default `ansible-playbook` from PATH. */
  binary?: string;
  /** Relative playbook paths resolve here (default: the working directory). */
  playbookDir?: string;
  /** Base environment of the child (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Where run directories go (default: the OS temp dir). */
  tempRoot?: string;
  /** SIGTERM → SIGKILL grace when killing (default 2 s). */
  killGraceMs?: number;
}

// ansible-core 2.14 ships no JSON stdout callback (ansible.posix.json is a separate collection),
// so the runner brings its own: one JSON object per line.
const CALLBACK = `from __future__ import annotations
import json, sys
from ansible.plugins.callback import CallbackBase
DOCUMENTATION = '''
    name: stratus_json
    type: stdout
    short_description: JSON lines for stratus
    description: play, task, result and stats events, one JSON object per line
'''
def _text(v):
    if v is None: return None
    return (v if isinstance(v, str) else json.dumps(v, default=str))[-2000:]
class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'stratus_json'
    def _emit(self, e):
        sys.stdout.write(json.dumps(e, default=str) + '\\n'); sys.stdout.flush()
    def v2_playbook_on_task_start(self, task, is_conditional):
        self._emit({'event': 'task', 'task': task.get_name()})
    def _result(self, status, result, ignored=False):
        r = result._result
        e = {'event': 'result', 'status': status, 'host': result._host.get_name(), 'task': result._task.get_name(), 'ignored': ignored}
        if status in ('failed', 'unreachable'):
            e['msg'] = _text(r.get('msg')); e['stderr'] = _text(r.get('stderr'))
        self._emit(e)
    def v2_runner_on_ok(self, result): self._result('ok', result)
    def v2_runner_on_failed(self, result, ignore_errors=False): self._result('failed', result, bool(ignore_errors))
    def v2_runner_on_unreachable(self, result): self._result('unreachable', result)
    def v2_runner_on_skipped(self, result): self._result('skipped', result)
    def v2_playbook_on_stats(self, stats):
        self._emit({'event': 'stats', 'hosts': {h: stats.summarize(h) for h in sorted(stats.processed.keys())}})
`;

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const DNS_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
const VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TAG = /^[A-Za-z0-9_.-]+$/;

function inventory(hosts: InventoryHost[]): object {
  if (hosts.length === 0) throw new AnsibleInputError('hosts', 'at least one host is needed');
  const out: Record<string, Record<string, string | number>> = {};
  hosts.forEach((h, i) => {
    const at = `hosts[${i}]`;
    if (!HOST_NAME.test(h.name ?? '')) throw new AnsibleInputError(`${at}.name`, `"${h.name}" is not a valid inventory host name`);
    if (out[h.name]) throw new AnsibleInputError(`${at}.name`, `"${h.name}" appears twice`);
    const vars: Record<string, string | number> = {};
    if (h.address !== undefined) {
      if (!isIP(h.address) && !DNS_NAME.test(h.address)) throw new AnsibleInputError(`${at}.address`, `"${h.address}" is not an IP address or host name`);
      vars.ansible_host = h.address;
    }
    if (h.user !== undefined) {
      if (!USER.test(h.user)) throw new AnsibleInputError(`${at}.user`, `"${h.user}" is not a valid user name`);
      vars.ansible_user = h.user;
    }
    if (h.port !== undefined) {
      if (!Number.isInteger(h.port) || h.port < 1 || h.port > 65535) throw new AnsibleInputError(`${at}.port`, `${h.port} is not a TCP port`);
      vars.ansible_port = h.port;
    }
    if (h.connection !== undefined) {
      if (!['ssh', 'local', 'paramiko'].includes(h.connection)) throw new AnsibleInputError(`${at}.connection`, `"${String(h.connection)}" must be ssh, local or paramiko`);
      vars.ansible_connection = h.connection;
    }
    if (h.privateKeyFile !== undefined) vars.ansible_ssh_private_key_file = h.privateKeyFile;
    if (h.pythonInterpreter !== undefined) vars.ansible_python_interpreter = h.pythonInterpreter;
    out[h.name] = vars;
  });
  return { all: { hosts: out } };
}

function redact(text: string, secrets: string[]): string {
  return secrets.reduce((t, s) => t.split(s).join('***'), text);
}

const toStats = (s: Record<string, number | undefined>): HostStats => ({
  ok: s.ok ?? 0, changed: s.changed ?? 0, failures: s.failures ?? 0, unreachable: s.unreachable ?? 0,
  skipped: s.skipped ?? 0, rescued: s.rescued ?? 0, ignored: s.ignored ?? 0,
});

export class AnsiblePlaybookRunner implements PlaybookRunner {
  constructor(private readonly options: AnsibleRunnerOptions = {}) {}

  async run(request: PlaybookRequest, opts: { signal?: AbortSignal; onProgress?: (p: PlaybookProgress) => void } = {}): Promise<PlaybookResult> {
    if (typeof request.playbook !== 'string' || !request.playbook || request.playbook.startsWith('-')) {
      throw new AnsibleInputError('playbook', `"${request.playbook}" is not a playbook path`);
    }
    const playbook = isAbsolute(request.playbook) ? request.playbook : resolve(this.options.playbookDir ?? '.', request.playbook);
    if (!(await stat(playbook).catch(() => undefined))?.isFile()) throw new AnsibleInputError('playbook', `${playbook} does not exist`);
    const inv = inventory(request.hosts);
    for (const key of Object.keys(request.extraVars ?? {})) if (!VAR.test(key)) throw new AnsibleInputError(`extraVars.${key}`, 'is not a valid variable name');
    for (const tag of request.tags ?? []) if (!TAG.test(tag)) throw new AnsibleInputError('tags', `"${tag}" is not a valid tag`);
    const secrets = (request.secretVars ?? []).map((k) => request.extraVars?.[k]).filter((v): v is string => typeof v === 'string' && v.length > 0);
    opts.signal?.throwIfAborted();

    const dir = await mkdtemp(join(this.options.tempRoot ?? tmpdir(), 'stratus-ansible-'));
    try {
      await mkdir(join(dir, 'callbacks'));
      await mkdir(join(dir, 'tmp'));
      await writeFile(join(dir, 'callbacks', 'stratus_json.py'), CALLBACK);
      await writeFile(join(dir, 'inventory.json'), JSON.stringify(inv), { mode: 0o600 });
      await writeFile(join(dir, 'extra-vars.json'), JSON.stringify(request.extraVars ?? {}), { mode: 0o600 });
      const args = ['-i', join(dir, 'inventory.json'), '-e', `@${join(dir, 'extra-vars.json')}`];
      if (request.tags?.length) args.push('--tags', request.tags.join(','));
      args.push('--', playbook);
      const env: NodeJS.ProcessEnv = {
        ...(this.options.env ?? process.env),
        ANSIBLE_STDOUT_CALLBACK: 'stratus_json',
        ANSIBLE_CALLBACK_PLUGINS: join(dir, 'callbacks'),
        ANSIBLE_HOST_KEY_CHECKING: request.hostKeyChecking ? 'True' : 'False',
        ANSIBLE_RETRY_FILES_ENABLED: 'False',
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'),
        PYTHONUNBUFFERED: '1',
      };
      return await this.spawnRun(playbook, args, env, request.timeoutMs ?? 1_800_000, secrets, opts);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private spawnRun(
    playbook: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, secrets: string[],
    opts: { signal?: AbortSignal; onProgress?: (p: PlaybookProgress) => void },
  ): Promise<PlaybookResult> {
    const started = Date.now();
    const child = spawn(this.options.binary ?? 'ansible-playbook', args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const hosts: Record<string, HostStats> = {};
    const failures: TaskFailure[] = [];
    const progress: PlaybookProgress = { results: 0 };
    let stderr = '';
    let buffer = '';
    let stopped: Error | undefined;

    const onLine = (line: string): void => {
      if (!line.startsWith('{')) return;
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (e.event === 'task') progress.task = String(e.task);
      if (e.event === 'result') {
        progress.results++;
        Object.assign(progress, { host: String(e.host), status: String(e.status) });
        if ((e.status === 'failed' && !e.ignored) || e.status === 'unreachable') {
          const message = [e.msg, e.stderr].filter((m) => typeof m === 'string' && m).join(': ') || `task ${String(e.status)}`;
          failures.push({ host: String(e.host), task: String(e.task), message: redact(message, secrets), unreachable: e.status === 'unreachable' });
        }
      }
      if (e.event === 'stats') for (const [h, s] of Object.entries(e.hosts as Record<string, Record<string, number>>)) hosts[h] = toStats(s);
      if (e.event !== 'stats') opts.onProgress?.({ ...progress });
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8000)));

    const kill = (why: Error): void => {
      if (stopped || child.pid === undefined) return;
      stopped = why;
      const pid = child.pid;
      const signalGroup = (sig: NodeJS.Signals): void => {
        try {
          process.kill(-pid, sig);
        } catch {
          // the group is already gone
        }
      };
      signalGroup('SIGTERM');
      setTimeout(() => signalGroup('SIGKILL'), this.options.killGraceMs ?? 2000).unref();
    };
    const timer = setTimeout(() => kill(new AnsibleTimeoutError(playbook, timeoutMs)), timeoutMs);
    const onAbort = (): void => kill(new AnsibleCancelledError(playbook));
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    return new Promise<PlaybookResult>((resolvePromise, reject) => {
      let spawnError: Error | undefined;
      child.on('error', (err) => (spawnError = err));
      child.on('close', (code) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (buffer) onLine(buffer);
        if (stopped) return reject(stopped);
        if (spawnError) return reject(new AnsibleRunError(playbook, null, spawnError.message));
        // Exit 4 also means "could not parse the playbook"; only a recap says the play really ran.
        if ((code === 0 || code === 2 || code === 4) && Object.keys(hosts).length > 0) {
          return resolvePromise({ success: code === 0, exitCode: code, hosts, failures, durationMs: Date.now() - started });
        }
        const detail = stderr.split('\n').find((l) => l.startsWith('ERROR!')) ?? stderr.trim().split('\n').slice(-3).join(' ');
        reject(new AnsibleRunError(playbook, code, redact(detail, secrets) || 'no output'));
      });
    });
  }
}

/** Options of {@link probeTcp}. */
export interface ProbeOptions {
  timeoutMs?: number;
  /** Also wait for the server's first bytes to start with this (e.g. `SSH-`). */
  banner?: string;
}

/** True when a TCP connection to host:port opens (and sends the banner, if asked) in time. */
export function probeTcp(host: string, port: number, options: ProbeOptions = {}): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    let received = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(options.timeoutMs ?? 5000, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => {
      if (!options.banner) finish(true);
    });
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
      if (options.banner && received.length >= options.banner.length) finish(received.startsWith(options.banner));
    });
  });
}
