// Typed JIRA errors, and the translation of jira-client failures into them. The generic ones
// (auth, rate limit, unavailable, invalid name) are shared with the GitHub adapter.
import {
  AuthError, InvalidNameError, RateLimitedError, ServiceUnavailableError,
} from './github-errors.js';
import { parseJiraFailure } from './jira-connection.js';

/** The version exists and is already released: a new train must not reuse it. */
export class VersionAlreadyReleasedError extends Error {
  override readonly name = 'VersionAlreadyReleasedError';
  constructor(readonly project: string, readonly version: string, readonly releaseDate?: string) {
    super(`JIRA version ${version} of project ${project} is already released${releaseDate ? ` (on ${releaseDate})` : ''}; pick a new version for this train`);
  }
}

export class VersionNotFoundError extends Error {
  override readonly name = 'VersionNotFoundError';
  constructor(readonly project: string, readonly version: string) {
    super(`JIRA project ${project} has no version ${version}`);
  }
}

/** A sprint with this name exists on the board with other dates. */
export class SprintConflictError extends Error {
  override readonly name = 'SprintConflictError';
  constructor(readonly board: number, readonly sprint: string, readonly existing: { start?: string; end?: string }, readonly wanted: { start: string; end: string }) {
    super(`sprint "${sprint}" on JIRA board ${board} already exists from ${existing.start ?? '?'} to ${existing.end ?? '?'}, not ${wanted.start} to ${wanted.end}`);
  }
}

/** The JIRA settings cannot work (e.g. Cloud without the account e-mail); names the setting, never a value. */
export class JiraConfigError extends Error {
  override readonly name = 'JiraConfigError';
}

/** JIRA refused the operation for these credentials (HTTP 403): a permission is missing. */
export class JiraPermissionError extends Error {
  override readonly name = 'JiraPermissionError';
  constructor(readonly what: string, detail: string) {
    super(`JIRA refused ${what} (HTTP 403, a permission is missing): ${detail}`);
  }
}

/** The project, issue, version or board does not exist, or these credentials cannot see it (HTTP 404). */
export class JiraNotFoundError extends Error {
  override readonly name = 'JiraNotFoundError';
  constructor(readonly what: string, detail: string) {
    super(`JIRA found nothing for ${what} (HTTP 404: it does not exist or the credentials cannot see it): ${detail}`);
  }
}

/** JIRA rejected the request (HTTP 400/409/410/422 …); `fields` holds Jira's `errors{field: msg}`. */
export class JiraRejectedError extends Error {
  override readonly name = 'JiraRejectedError';
  constructor(readonly status: number, readonly what: string, readonly messages: string[], readonly fields: Record<string, string> = {}) {
    super(`JIRA rejected ${what} (HTTP ${status}): ${messages.join('; ') || 'no details'}`);
  }
}

/** Closing a bug did not leave it in a Done-category status. */
export class JiraTransitionError extends Error {
  override readonly name = 'JiraTransitionError';
  constructor(readonly issue: string, message: string) {
    super(message);
  }
}

/** Maps what jira-client (or the transport) threw to a typed error; unknown errors are returned unchanged. */
export function translateJiraError(err: unknown, ctx: { baseUrl: string; what: string }): unknown {
  const f = parseJiraFailure(err);
  if (!f) return err;
  const detail = f.messages.join('; ') || 'no details';
  if (f.status === 401) return new AuthError('JIRA', ctx.baseUrl, detail);
  if (f.status === 403) return new JiraPermissionError(ctx.what, detail);
  if (f.status === 404) return new JiraNotFoundError(ctx.what, detail);
  if (f.status === 429) return new RateLimitedError('JIRA', f.retryAfterSeconds ?? 60);
  if (f.status >= 400 && f.status < 500) return new JiraRejectedError(f.status, ctx.what, f.messages, f.fields);
  return new ServiceUnavailableError('JIRA', f.status, `${ctx.what}: ${detail}`);
}

/** A write whose outcome is unknown (5xx or no answer, not retried by the transport): look before writing again. */
export function isUncertainWrite(err: unknown): boolean {
  return parseJiraFailure(err)?.uncertain === true;
}

export function assertProjectKey(project: string): void {
  if (typeof project !== 'string' || !/^[A-Z][A-Z0-9_]{0,19}$/.test(project)) {
    throw new InvalidNameError('JIRA project key', String(project), 'expected upper-case letters, digits and "_", starting with a letter');
  }
}

export function assertVersionName(version: string): void {
  // eslint-disable-next-line no-control-regex
  if (typeof version !== 'string' || !version.trim() || version !== version.trim() || version.length > 255 || /[\x00-\x1f\x7f"\\]/.test(version)) {
    throw new InvalidNameError('JIRA version', String(version), 'must be non-empty, without surrounding spaces, quotes, backslashes or control characters');
  }
}
