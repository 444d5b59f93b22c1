// Typed errors at the OpenStack boundary. Messages name the service, resource and id, never a
// password, application-credential secret or token.

/** Base class of every error the OpenStack client throws. */
export class OpenStackError extends Error {
  override name = 'OpenStackError';
}

/** Keystone refused the credentials, or a token was rejected twice in a row. */
export class OpenStackAuthError extends OpenStackError {
  override name = 'OpenStackAuthError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

/** The resource does not exist (HTTP 404). Deletes treat this as success and never throw it. */
export class OpenStackNotFoundError extends OpenStackError {
  override name = 'OpenStackNotFoundError';
  constructor(readonly resource: string, readonly id: string) {
    super(`${resource} ${id} not found`);
  }
}

/**
 * The resource exists but is in a state that forbids the request: a network with ports, a
 * volume still attached, a protected image, a router with interfaces. `status` is the HTTP status
 * (409, or 400/403 where the real API uses those); `detail` is the API's own explanation.
 */
export class OpenStackConflictError extends OpenStackError {
  override name = 'OpenStackConflictError';
  constructor(
    readonly resource: string,
    readonly id: string,
    readonly status: number,
    readonly detail: string,
    /** The resource is busy (a task in progress) rather than in a forbidden state: retry later. */
    readonly busy = false,
  ) {
    super(`${resource} ${id}: ${busy ? 'busy' : 'conflict'} (HTTP ${status}): ${detail}`);
  }
}

/**
 * The credential cannot see the resource (or a whole project's resources of a kind): a 404 or 403
 * that says nothing about whether it exists. `reason` names the credential's roles and the role
 * that would be needed.
 */
export class OpenStackNotVisibleError extends OpenStackError {
  override name = 'OpenStackNotVisibleError';
  constructor(readonly resource: string, readonly id: string, readonly reason: string) {
    super(`${resource} ${id} is not visible to this credential: ${reason}`);
  }
}

/** 429 whose Retry-After is longer than the client is willing to wait in-process. */
export class OpenStackRateLimitError extends OpenStackError {
  override name = 'OpenStackRateLimitError';
  constructor(readonly service: string, readonly retryAfterMs: number) {
    super(`${service} is rate limiting requests; retry after ${Math.ceil(retryAfterMs / 1000)} s`);
  }
}

/** Any other HTTP failure, including 5xx after the retries were used up. */
export class OpenStackHttpError extends OpenStackError {
  override name = 'OpenStackHttpError';
  constructor(
    readonly service: string,
    readonly method: string,
    readonly path: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${service} ${method} ${path} failed with HTTP ${status}${detail ? `: ${detail}` : ''}`);
  }
  /** True for statuses worth retrying later (5xx, 429). */
  get transient(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/** The request did not complete in time, or the connection failed, after the retries. */
export class OpenStackUnavailableError extends OpenStackError {
  override name = 'OpenStackUnavailableError';
  constructor(readonly service: string, readonly method: string, readonly path: string, cause: string) {
    super(`${service} ${method} ${path} did not answer: ${cause}`);
  }
}

/** The API answered with a body that does not have the documented shape. */
export class OpenStackResponseError extends OpenStackError {
  override name = 'OpenStackResponseError';
  constructor(readonly service: string, readonly path: string, readonly issues: string) {
    super(`${service} ${path} returned an unexpected response: ${issues}`);
  }
}

/** Caller passed something that must not reach the API (an id with a slash, an empty name). */
export class OpenStackInputError extends OpenStackError {
  override name = 'OpenStackInputError';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}
