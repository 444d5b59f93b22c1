// Typed errors of the git adapter, and the redaction every message passes through: a URL with
// credentials (`https://user:token@host/…`) never reaches a message, a log or a return value.
import { GitError } from 'simple-git';
export { InvalidNameError } from '../workflows/release-names.js';

/** Replaces the user-info part of every URL in `text` (`https://user:pw@host` → `https://***@host`). */
export function redact(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s'"]+@/gi, '$1***@');
}

/** A branch exists on the origin but points at another commit than the one wanted. */
export class BranchConflictError extends Error {
  override readonly name = 'BranchConflictError';
  constructor(
    readonly repo: string,
    readonly branch: string,
    readonly existingSha: string,
    readonly wantedSha: string,
  ) {
    super(`branch ${branch} already exists in repo ${repo} at ${existingSha}, not at ${wantedSha}; refusing to move it`);
  }
}

/** A tag exists on the origin with another target (or another message) than the one wanted. */
export class TagConflictError extends Error {
  override readonly name = 'TagConflictError';
  constructor(
    readonly repo: string,
    readonly tag: string,
    readonly existingSha: string,
    readonly wantedSha: string,
    /** Set when the target is the same but the tag is lightweight or its message differs. */
    readonly existingMessage?: string,
  ) {
    super(
      existingSha !== wantedSha
        ? `tag ${tag} already exists in repo ${repo} on commit ${existingSha}, not on ${wantedSha}; refusing to move it`
        : `tag ${tag} already exists in repo ${repo} on ${existingSha} but ${existingMessage === undefined ? 'is not annotated' : `with another message: ${JSON.stringify(existingMessage)}`}`,
    );
  }
}

/** The origin of a repo could not be cloned or fetched (wrong path, no such host, no access). */
export class RepoUnreachableError extends Error {
  override readonly name = 'RepoUnreachableError';
  readonly url: string;
  constructor(
    readonly repo: string,
    url: string,
    reason: string,
  ) {
    const safeUrl = redact(url);
    super(`repo ${repo} is unreachable at ${safeUrl}: ${redact(reason).trim() || 'git failed'}`);
    this.url = safeUrl;
  }
}

/** A repo name the adapter was not configured with. */
export class UnknownRepoError extends Error {
  override readonly name = 'UnknownRepoError';
  constructor(
    readonly repo: string,
    readonly known: readonly string[],
  ) {
    super(`repo ${JSON.stringify(repo)} is not configured (known: ${known.join(', ') || 'none'})`);
  }
}

/** A branch, tag or commit that does not exist in the repo. */
export class RefNotFoundError extends Error {
  override readonly name = 'RefNotFoundError';
  constructor(
    readonly repo: string,
    readonly ref: string,
  ) {
    super(`ref ${ref} does not exist in repo ${repo}`);
  }
}

/** The origin refused a push (for example a branch moved meanwhile, or a protected ref). */
export class PushRejectedError extends Error {
  override readonly name = 'PushRejectedError';
  constructor(
    readonly repo: string,
    readonly ref: string,
    reason: string,
  ) {
    super(`push of ${ref} to repo ${repo} was rejected: ${redact(reason).trim()}`);
  }
}

/**
 * The origin refused a push because the ref is protected: GitHub's `GH006: Protected branch
 * update failed` or a ruleset's `GH013`, or any server whose hook says "protected branch".
 * A retry cannot succeed; a pull request (or an operator) can.
 */
export class ProtectedBranchError extends Error {
  override readonly name = 'ProtectedBranchError';
  constructor(
    readonly repo: string,
    readonly ref: string,
    readonly reason: string,
  ) {
    super(`push of ${ref} to repo ${repo} was refused: the branch is protected (${redact(reason).trim()})`);
  }
}

/** Whether a failed push's output is a protected-branch refusal. */
export function isProtectedBranchRefusal(output: string): boolean {
  return /\bGH006\b|\bGH013\b|protected branch/i.test(output);
}

/**
 * A git command that exited non-zero; `stderr` is already redacted. It extends simple-git's
 * `GitError` so simple-git passes it through unchanged (it wraps any other error type).
 */
export class GitCommandError extends GitError {
  override readonly name = 'GitCommandError';
  readonly stderr: string;
  constructor(
    readonly exitCode: number,
    stderr: string,
  ) {
    const safe = redact(stderr).trim();
    super(undefined, `git exited with code ${exitCode}${safe ? `: ${safe}` : ''}`);
    this.stderr = safe;
  }
}
