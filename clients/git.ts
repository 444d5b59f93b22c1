// The `Vcs` port of the release train and its adapter over simple-git with a local mirror cache
// per repo. Every operation syncs the mirror first (ls-remote; fetch --prune when refs differ),
// checks before it creates, and pushes by URL (a mirror's own `origin` refuses refspecs).
// Names are validated before they reach git.
import { validateRefName } from '../workflows/release-names.js';
import {
  BranchConflictError,
  GitCommandError,
  InvalidNameError,
  ProtectedBranchError,
  PushRejectedError,
  RefNotFoundError,
  RepoUnreachableError,
  TagConflictError,
  UnknownRepoError,
  isProtectedBranchRefusal,
} from './git-errors.js';
import { mergeInWorktree, type MergeResult } from './git-merge.js';
import { GitRunner, MirrorCache, commitOfRef, lastLines, type Committer, type RefSnapshot, type RunOptions } from './git-mirror.js';

export * from './git-errors.js';
export type { MergeResult } from './git-merge.js';
export type { Committer } from './git-mirror.js';

/** Per-call options: pass the activity's cancellation signal to stop git child processes. */
export type VcsCallOptions = RunOptions;

/** Options of {@link Vcs.merge}. */
export interface MergeOptions extends VcsCallOptions {
  /** False: only find out whether the merge would go through ('mergeable') or conflict; push nothing. Default true. */
  push?: boolean;
}

/** Outcome of {@link Vcs.ensureBranch}. */
export interface BranchResult {
  status: 'created' | 'exists';
  branch: string;
  sha: string;
}

/** Outcome of {@link Vcs.ensureAnnotatedTag}; `sha` is the commit the tag points at. */
export interface TagResult {
  status: 'created' | 'exists';
  tag: string;
  sha: string;
}

/**
 * The version-control port of the release train. Repos are addressed by their configured name;
 * every operation is idempotent and leaves the origin unchanged when it fails.
 */
export interface Vcs {
  /** The commit `branch` points at on the origin; {@link RefNotFoundError} if it does not exist. */
  headOf(repo: string, branch: string, options?: VcsCallOptions): Promise<string>;
  /** Tag names of the origin (e.g. to find the next patch number). */
  listTags(repo: string, options?: VcsCallOptions): Promise<string[]>;
  /** Creates branch `name` at `fromRef`; 'exists' if it already points there, {@link BranchConflictError} if elsewhere. */
  ensureBranch(repo: string, name: string, fromRef: string, options?: VcsCallOptions): Promise<BranchResult>;
  /** Creates and pushes an annotated tag; 'exists' if same target and message, {@link TagConflictError} otherwise. */
  ensureAnnotatedTag(repo: string, tag: string, targetRef: string, message: string, options?: VcsCallOptions): Promise<TagResult>;
  /**
   * Merges branch `from` into branch `into` and pushes; a conflict is reported, never half-applied,
   * and so is a push refused because `into` is protected ('protected', nothing changed).
   */
  merge(repo: string, from: string, into: string, message: string, options?: MergeOptions): Promise<MergeResult>;
}

/** A repo the adapter may touch: its configured name and git URL (path, file://, https://, ssh). */
export interface RepoLocation {
  name: string;
  url: string;
}

/** Settings of {@link createGitVcs}. */
export interface GitVcsOptions {
  /** Directory of the mirror clones (created if missing). */
  cacheDir: string;
  repos: readonly RepoLocation[];
  committer: Committer;
  /** Kill a git process that produced no output for this long (default 10 minutes). */
  timeoutMs?: number;
}

/** One operation's view of a repo: where its mirror is and what its refs were after the sync. */
interface Mirror {
  repo: string;
  url: string;
  path: string;
  refs: RefSnapshot;
  options: RunOptions;
  /** Syncs again (after a rejected push) and returns the fresh refs. */
  resync: () => Promise<RefSnapshot>;
}

const REPO_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const SHA = /^[0-9a-f]{7,64}$/;

/** Builds the simple-git adapter of the {@link Vcs} port. */
export function createGitVcs(options: GitVcsOptions): Vcs {
  return new GitMirrorVcs(options);
}

class GitMirrorVcs implements Vcs {
  private readonly git: GitRunner;
  private readonly mirrors: MirrorCache;
  private readonly urls = new Map<string, string>();

  constructor(options: GitVcsOptions) {
    for (const { name, url } of options.repos) {
      if (!REPO_NAME.test(name) || name.endsWith('.lock')) throw new InvalidNameError('repo', name, 'must be letters, digits, ".", "_" or "-" and not start with "." or "-"');
      if (typeof url !== 'string' || url.trim() === '' || url.startsWith('-')) throw new InvalidNameError(`url of repo ${name}`, '', 'must be a git URL that does not start with "-"');
      this.urls.set(name, url);
    }
    this.git = new GitRunner(options.committer, options.timeoutMs ?? 600_000);
    this.mirrors = new MirrorCache(options.cacheDir, this.git);
  }

  /** Runs `fn` on a fresh mirror of `repo` (and its refs), holding the repo's lock. */
  private async onMirror<T>(repo: string, options: RunOptions, fn: (mirror: Mirror) => Promise<T>): Promise<T> {
    const url = this.urls.get(repo);
    if (url === undefined) throw new UnknownRepoError(repo, [...this.urls.keys()]);
    return this.mirrors.withLock(repo, async () => {
      try {
        const { path, refs } = await this.mirrors.sync(repo, url, options);
        return await fn({ repo, url, path, refs, options, resync: async () => (await this.mirrors.sync(repo, url, options)).refs });
      } catch (error) {
        this.mirrors.forget(repo); // a failed step may have left the mirror other than noted
        throw error;
      }
    });
  }

  async headOf(repo: string, branch: string, options: RunOptions = {}): Promise<string> {
    validateRefName(branch, 'branch');
    return this.onMirror(repo, options, async ({ refs }) => {
      const sha = commitOfRef(refs, `refs/heads/${branch}`);
      if (sha === null) throw new RefNotFoundError(repo, branch);
      return sha;
    });
  }

  async listTags(repo: string, options: RunOptions = {}): Promise<string[]> {
    return this.onMirror(repo, options, async ({ refs }) =>
      [...refs.objects.keys()].filter((ref) => ref.startsWith('refs/tags/')).map((ref) => ref.slice('refs/tags/'.length)),
    );
  }

  async ensureBranch(repo: string, name: string, fromRef: string, options: RunOptions = {}): Promise<BranchResult> {
    validateRefName(name, 'branch');
    return this.onMirror(repo, options, async (m) => {
      const wanted = await this.resolve(m, fromRef);
      const check = (refs: RefSnapshot): BranchResult | null => {
        const existing = commitOfRef(refs, `refs/heads/${name}`);
        if (existing === null) return null;
        if (existing !== wanted) throw new BranchConflictError(repo, name, existing, wanted);
        return { status: 'exists', branch: name, sha: wanted };
      };
      const found = check(m.refs);
      if (found) return found;
      await this.push(m, `${wanted}:refs/heads/${name}`, async () => check(await m.resync()) !== null);
      await this.git.run(m.path, ['update-ref', `refs/heads/${name}`, wanted], options);
      this.mirrors.noteRef(repo, `refs/heads/${name}`, wanted);
      return { status: 'created', branch: name, sha: wanted };
    });
  }

  async ensureAnnotatedTag(repo: string, tag: string, targetRef: string, message: string, options: RunOptions = {}): Promise<TagResult> {
    validateRefName(tag, 'tag');
    if (typeof message !== 'string' || normalizeMessage(message) === '' || message.includes('\0')) {
      throw new InvalidNameError('message', String(message), 'must be a non-empty tag message');
    }
    return this.onMirror(repo, options, async (m) => {
      const wanted = await this.resolve(m, targetRef);
      const ref = `refs/tags/${tag}`;
      const check = async (refs: RefSnapshot): Promise<TagResult | null> => {
        const existing = commitOfRef(refs, ref);
        if (existing === null) return null;
        if (existing !== wanted || !refs.peeled.has(ref)) throw new TagConflictError(repo, tag, existing, wanted);
        const contents = await this.git.run(m.path, ['for-each-ref', '--format=%(contents)', ref], options);
        if (normalizeMessage(contents) !== normalizeMessage(message)) throw new TagConflictError(repo, tag, existing, wanted, normalizeMessage(contents));
        return { status: 'exists', tag, sha: wanted };
      };
      const found = await check(m.refs);
      if (found) return found;
      await this.git.run(m.path, ['tag', '-a', '--cleanup=whitespace', '-m', message, tag, wanted], options);
      try {
        // The tag object's name (for the known refs) is read while the push runs.
        const [object] = await Promise.all([
          this.git.run(m.path, ['rev-parse', '--verify', ref], options),
          this.push(m, `${ref}:${ref}`, async () => (await check(await m.resync())) !== null),
        ]);
        this.mirrors.noteRef(repo, ref, object.trim(), wanted);
      } catch (error) {
        await this.git.test(m.path, ['tag', '-d', tag]); // keep the mirror a copy of the origin
        throw error;
      }
      return { status: 'created', tag, sha: wanted };
    });
  }

  async merge(repo: string, from: string, into: string, message: string, options: MergeOptions = {}): Promise<MergeResult> {
    validateRefName(from, 'from');
    validateRefName(into, 'into');
    return this.onMirror(repo, options, async (m) => {
      const fromSha = commitOfRef(m.refs, `refs/heads/${from}`);
      if (fromSha === null) throw new RefNotFoundError(repo, from);
      const intoSha = commitOfRef(m.refs, `refs/heads/${into}`);
      if (intoSha === null) throw new RefNotFoundError(repo, into);
      try {
        const result = await mergeInWorktree(
          { git: this.git, mirror: m.path, cacheDir: this.mirrors.dir, options },
          { from, fromSha, into, intoSha, message },
          options.push === false ? null : (sha) => this.push(m, `${sha}:refs/heads/${into}`),
        );
        if (result.status === 'fast-forward' || result.status === 'merged') this.mirrors.noteRef(repo, `refs/heads/${into}`, result.sha);
        return result;
      } catch (error) {
        if (error instanceof ProtectedBranchError) return { status: 'protected', sha: intoSha, fromSha, reason: error.reason };
        throw error;
      }
    });
  }

  /** Resolves a branch, tag, full ref or commit SHA to a commit; {@link RefNotFoundError} if none. */
  private async resolve(m: Mirror, ref: string): Promise<string> {
    validateRefName(ref, 'ref');
    for (const candidate of ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`]) {
      const sha = commitOfRef(m.refs, candidate);
      if (sha !== null) return sha;
    }
    if (SHA.test(ref)) {
      const { ok, stdout } = await this.git.test(m.path, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], m.options);
      if (ok) return stdout.trim();
    }
    throw new RefNotFoundError(m.repo, ref);
  }

  /**
   * Pushes one refspec to the origin URL. On rejection, `settled` may re-check the origin: true
   * means someone made the same change meanwhile (success); otherwise a {@link PushRejectedError}.
   */
  private async push({ repo, path, url, options }: Mirror, refspec: string, settled?: () => Promise<boolean>): Promise<void> {
    try {
      await this.git.run(path, ['push', '--quiet', '--porcelain', '--', url, refspec], options);
    } catch (error) {
      if (!(error instanceof GitCommandError)) throw error;
      const reason = pushFailureReason(error.stderr);
      if (isProtectedBranchRefusal(error.stderr)) throw new ProtectedBranchError(repo, refspec.split(':')[1], reason);
      if (/rejected|\[remote failure\]|hook declined/i.test(error.stderr)) {
        if (settled && (await settled())) return;
        throw new PushRejectedError(repo, refspec.split(':')[1], reason);
      }
      throw new RepoUnreachableError(repo, url, reason);
    }
  }
}

/** What the origin said about a failed push: its `remote:` lines and the porcelain status, or git's last lines. */
function pushFailureReason(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const said = lines.filter((l) => l.startsWith('remote:')).map((l) => l.slice('remote:'.length).trim()).filter(Boolean);
  const status = lines.filter((l) => l.startsWith('!')).map((l) => l.split('\t').slice(2).join(' ').trim());
  return [...status, ...said].join('; ') || lastLines(output, 3);
}

/** Tag messages compare as git stores them with `--cleanup=whitespace`. */
function normalizeMessage(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
