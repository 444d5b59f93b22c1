// Retry and rate-limit knobs shared by the HTTP adapters (GitHub through octokit, JIRA through
// its own fetch transport), so both are tuned the same way and tests shrink the same waits.

/** How patiently an HTTP adapter retries. */
export interface HttpRetryOptions {
  /** Per-request timeout in ms (default 30 000); a timeout counts as a retryable server error. */
  timeoutMs?: number;
  /** Retries of 5xx and timeouts (default 3). */
  retries?: number;
  /** Backoff base in ms: waits are (n+1)² × base (default 1000). */
  retryBaseDelayMs?: number;
  /** Milliseconds waited per second of `Retry-After` (default 1000; tests shrink it). */
  rateLimitSecondMs?: number;
  /** Wait in-process for a rate limit up to this many seconds, else fail with the wait (default 60). */
  maxRateLimitWaitSeconds?: number;
  /** In-process retries after a rate limit (default 2). */
  rateLimitRetries?: number;
}
