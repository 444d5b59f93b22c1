// Typed errors of the code-host and tracker adapters. Messages name the repo/user/field but never
// carry a token or password: they end up in logs and in workflow history.

/** Credentials were rejected (HTTP 401) or are missing. Retrying cannot help. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(readonly service: string, readonly baseUrl: string, detail: string) {
    super(`${service} rejected the credentials at ${baseUrl}: ${detail} (check the configured token)`);
  }
}

/** The service asked us to slow down; `retryAfterSeconds` is when to try again. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  constructor(readonly service: string, readonly retryAfterSeconds: number) {
    super(`${service} rate limit exceeded; retry after ${retryAfterSeconds}s`);
  }
}

/** The service failed or timed out after the adapter's own retries; worth retrying later. */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
  constructor(readonly service: string, readonly status: number, detail: string) {
    super(`${service} is unavailable (HTTP ${status || 'no answer'}): ${detail}`);
  }
}

/** The token's user is not an admin of the repository (only admins may tag releases). */
export class NotAdminError extends Error {
  override readonly name = 'NotAdminError';
  constructor(readonly repo: string, readonly user: string) {
    super(`GitHub user ${user} is not an admin of ${repo}; only repository admins may tag releases`);
  }
}

/** The repository does not exist or the token cannot see it (GitHub answers 404 for both). */
export class RepoNotFoundError extends Error {
  override readonly name = 'RepoNotFoundError';
  constructor(readonly repo: string) {
    super(`GitHub repository ${repo} was not found or the token cannot see it`);
  }
}

/** The token may read but not write (HTTP 403) to the repository. */
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
  constructor(readonly repo: string, detail: string) {
    super(`GitHub refused the write to ${repo}: ${detail}`);
  }
}

/** A name (repo, tag, branch, label, project, version) failed validation before any request. */
export class InvalidNameError extends Error {
  override readonly name = 'InvalidNameError';
  constructor(readonly field: string, readonly value: string, rule: string) {
    super(`invalid ${field} ${JSON.stringify(value)}: ${rule}`);
  }
}

/** The service rejected a request as invalid (HTTP 400/404/422) for a reason not covered above. */
export class RequestRejectedError extends Error {
  override readonly name = 'RequestRejectedError';
  constructor(readonly service: string, readonly status: number, readonly what: string, detail: string) {
    super(`${service} rejected ${what} (HTTP ${status}): ${detail}`);
  }
}

/** GitHub's tag does not point at the commit stratus tagged (e.g. GitHub created it at its default branch head). */
export class TagMismatchError extends Error {
  override readonly name = 'TagMismatchError';
  constructor(readonly repo: string, readonly tag: string, readonly expected: string, readonly actual: string | null) {
    super(actual
      ? `GitHub's tag ${tag} in ${repo} points at ${actual}, not at the tagged commit ${expected}; the release would ship the wrong commit (is origin a mirror that lags GitHub?)`
      : `GitHub has no tag ${tag} in ${repo} after creating its release (expected it at ${expected})`);
  }
}

/**
 * A write GitHub answered with 404 right after the repository was read: the token may read but
 * not write (GitHub hides missing scopes and permissions behind 404).
 */
export class NotPermittedError extends Error {
  override readonly name = 'NotPermittedError';
  constructor(readonly repo: string, readonly what: string, hint: string) {
    super(`GitHub did not permit ${what} (HTTP 404 although ${repo} is readable): not permitted (token lacks contents:write / repo scope?)${hint}`);
  }
}
