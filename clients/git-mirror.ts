// Running git through simple-git (argument arrays, no shell, no prompts, no ambient GIT_* or
// editor/pager variables) and the per-repo mirror cache: `clone --mirror` once, `fetch --prune`
// afterwards (only when the origin's ls-remote differs from the refs the mirror is known to
// have), one operation per repo at a time within this process.
import { randomBytes } from 'node:crypto';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { GitCommandError, RepoUnreachableError, redact } from './git-errors.js';

/** Identity of the tags and merge commits made (passed as `-c user.name=… -c user.email=…`). */
export interface Committer {
  name: string;
  email: string;
}

/** Options of one git invocation. */
export interface RunOptions {
  signal?: AbortSignal;
}

const GUARDED_ENV = new Set(['editor', 'pager', 'prefix', 'ssh_askpass', 'visual']);

/** The environment git runs with: the ambient one minus GIT_* and editor/pager keys, and no prompts. */
function gitEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    const k = key.toLowerCase();
    if (value === undefined || k.startsWith('git_') || GUARDED_ENV.has(k)) continue;
    env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = '0';
  return env;
}

/** Runs git commands in a directory through simple-git; non-zero exits reject with {@link GitCommandError}. */
export class GitRunner {
  private readonly env = gitEnv();

  constructor(
    private readonly committer: Committer,
    private readonly timeoutMs: number,
  ) {}

  private instance(cwd: string, signal?: AbortSignal): SimpleGit {
    return simpleGit({
      baseDir: cwd,
      maxConcurrentProcesses: 4,
      trimmed: false,
      abort: signal,
      timeout: { block: this.timeoutMs },
      // Finish on the 'close' event: simple-git's default also waits 50 ms after 'exit', which
      // is most of the cost of a quiet command such as `tag` or `fetch` with nothing new.
      completion: { onClose: true, onExit: false },
      allowEnvironment: ['GIT_TERMINAL_PROMPT'],
      config: [
        `user.name=${this.committer.name}`,
        `user.email=${this.committer.email}`,
        'commit.gpgSign=false',
        'tag.gpgSign=false',
        'rerere.enabled=false',
        'advice.detachedHead=false',
        'maintenance.auto=false', // no background maintenance process after each fetch or commit
      ],
      errors: (error, result) => {
        if (result.exitCode !== 0) {
          const output = Buffer.concat([...result.stdErr, ...result.stdOut]).toString('utf8');
          return new GitCommandError(result.exitCode, output);
        }
        return error;
      },
    }).env(this.env);
  }

  /**
   * Runs `git <args>` in `cwd`; resolves to stdout. Errors are re-made without simple-git's
   * `task` (its command line may hold a URL with credentials) and with redacted messages.
   */
  async run(cwd: string, args: string[], options: RunOptions = {}): Promise<string> {
    try {
      return await this.instance(cwd, options.signal).raw(args);
    } catch (error) {
      if (error instanceof GitCommandError) throw new GitCommandError(error.exitCode, error.stderr);
      // No `cause`: simple-git's error carries the command line, which may hold credentials.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(`git ${args[0]} failed: ${redact(error instanceof Error ? error.message : String(error))}`);
    }
  }

  /** Runs a command whose non-zero exit is an answer (e.g. `merge-base --is-ancestor`), not a failure. */
  async test(cwd: string, args: string[], options: RunOptions = {}): Promise<{ ok: boolean; stdout: string }> {
    try {
      return { ok: true, stdout: await this.run(cwd, args, options) };
    } catch (error) {
      if (error instanceof GitCommandError && error.exitCode > 0 && error.exitCode < 128) return { ok: false, stdout: '' };
      throw error;
    }
  }
}

/** Mirror clones under one cache directory, `<cacheDir>/<repo>.git`. Repo names are validated by the caller. */
export class MirrorCache {
  private readonly locks = new Map<string, Promise<unknown>>();
  /**
   * What each mirror's refs are, as far as this process knows (it is the only writer of its
   * mirrors): read after a clone or fetch, and kept up to date by {@link noteRef}. When the
   * origin's `ls-remote` matches it, the mirror is fresh and no `for-each-ref` is needed.
   */
  private readonly known = new Map<string, RefSnapshot>();
  readonly dir: string;

  constructor(
    cacheDir: string,
    private readonly git: GitRunner,
  ) {
    this.dir = resolve(cacheDir);
  }

  /** Where the mirror of `repo` lives. */
  path(repo: string): string {
    return join(this.dir, `${repo}.git`);
  }

  /** Runs `fn` while holding this process's lock on `repo`, so two operations never share a mirror at once. */
  async withLock<T>(repo: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(repo) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(fn);
    this.locks.set(repo, current);
    try {
      return await current;
    } finally {
      if (this.locks.get(repo) === current) this.locks.delete(repo);
    }
  }

  /**
   * Brings the mirror of `repo` up to date with `url` and returns its refs: a first
   * `clone --mirror` (into a temp name, renamed when complete, so a half clone is never used);
   * later an `ls-remote`, and `fetch --prune` only when the origin's refs differ from the mirror's.
   * Any failure to reach the origin is a {@link RepoUnreachableError} with the URL redacted.
   */
  async sync(repo: string, url: string, options: RunOptions = {}): Promise<{ path: string; refs: RefSnapshot }> {
    const path = this.path(repo);
    if (await exists(join(path, 'config'))) {
      const remote = parseLsRemote(await this.reach(repo, url, () => this.git.run(path, ['ls-remote', '--', url], options)));
      const known = this.known.get(repo);
      if (known && sameRefs(remote, known.objects)) return { path, refs: copyOf(known) };
      const local = await this.listRefs(path, options);
      if (!sameRefs(remote, local.objects)) {
        await this.reach(repo, url, () => this.git.run(path, ['fetch', '--prune', '--quiet', '--', url, '+refs/*:refs/*'], options));
        return { path, refs: this.remember(repo, await this.listRefs(path, options)) };
      }
      return { path, refs: this.remember(repo, local) };
    }
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `.clone-${repo}-${randomBytes(4).toString('hex')}`);
    try {
      await this.reach(repo, url, () => this.git.run(this.dir, ['clone', '--mirror', '--quiet', '--', url, temp], options));
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      if (error instanceof RepoUnreachableError || !(await exists(join(path, 'config')))) throw error;
      // else: lost a race to a twin clone, which is as good
    }
    return { path, refs: this.remember(repo, await this.listRefs(path, options)) };
  }

  /** Records a ref this process just set in the mirror of `repo` (`peeled`: the commit of an annotated tag). */
  noteRef(repo: string, ref: string, object: string, peeled?: string): void {
    const known = this.known.get(repo);
    if (!known) return;
    known.objects.set(ref, object);
    if (peeled) known.peeled.set(ref, peeled);
    else known.peeled.delete(ref);
  }

  /** Forgets what the mirror of `repo` holds (after a failure left it unsure): the next sync reads it again. */
  forget(repo: string): void {
    this.known.delete(repo);
  }

  private remember(repo: string, refs: RefSnapshot): RefSnapshot {
    this.known.set(repo, copyOf(refs));
    return refs;
  }

  /** The refs of a mirror, with annotated tags peeled. */
  async listRefs(path: string, options: RunOptions = {}): Promise<RefSnapshot> {
    const out = await this.git.run(path, ['for-each-ref', '--format=%(objectname) %(refname) %(*objectname)'], options);
    const refs: RefSnapshot = { objects: new Map(), peeled: new Map() };
    for (const line of out.split('\n')) {
      const [object, ref, peeled] = line.trim().split(' ');
      if (!ref) continue;
      refs.objects.set(ref, object);
      if (peeled) refs.peeled.set(ref, peeled);
    }
    return refs;
  }

  private async reach<T>(repo: string, url: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof GitCommandError) throw new RepoUnreachableError(repo, url, lastLines(error.stderr));
      throw error;
    }
  }
}

/** The refs of a repo: what each ref points at, and the commit each annotated tag peels to. */
export interface RefSnapshot {
  objects: Map<string, string>;
  peeled: Map<string, string>;
}

function copyOf(refs: RefSnapshot): RefSnapshot {
  return { objects: new Map(refs.objects), peeled: new Map(refs.peeled) };
}

/** The commit a full ref name points at (annotated tags peeled), or null. */
export function commitOfRef(refs: RefSnapshot, ref: string): string | null {
  return refs.peeled.get(ref) ?? refs.objects.get(ref) ?? null;
}

function parseLsRemote(out: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [object, ref] = line.trim().split('\t');
    if (ref?.startsWith('refs/') && !ref.endsWith('^{}')) refs.set(ref, object);
  }
  return refs;
}

function sameRefs(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([ref, object]) => b.get(ref) === object);
}

/** The last meaningful lines of git's output (the `fatal:` line says what went wrong). */
export function lastLines(text: string, count = 2): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-count)
    .join(' ');
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
