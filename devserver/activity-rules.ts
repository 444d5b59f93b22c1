// How the real server fills in activity timeouts and retry policies, and decides on retries.
import { type Msg, durationToMs } from './proto.js';

export interface ActivityTimeouts {
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
}

/**
 * Mirrors the server's validation: a valid start-to-close or schedule-to-close timeout is
 * required; the others are derived from them and from the run timeout.
 */
export function fillActivityTimeouts(attrs: Msg, runTimeoutMs: number): ActivityTimeouts | string {
  let s2c = durationToMs(attrs.scheduleToCloseTimeout) ?? 0;
  let s2s = durationToMs(attrs.scheduleToStartTimeout) ?? 0;
  let st2c = durationToMs(attrs.startToCloseTimeout) ?? 0;
  let hb = durationToMs(attrs.heartbeatTimeout) ?? 0;
  if (s2c < 0 || s2s < 0 || st2c < 0 || hb < 0) return 'activity timeouts must not be negative';
  if (s2c > 0) {
    s2s = s2s > 0 ? Math.min(s2s, s2c) : s2c;
    st2c = st2c > 0 ? Math.min(st2c, s2c) : s2c;
  } else if (st2c > 0) {
    s2c = runTimeoutMs; // 0 = no limit
    if (s2s <= 0) s2s = runTimeoutMs;
  } else {
    return 'A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand.';
  }
  if (hb > st2c) hb = st2c;
  return { scheduleToCloseMs: s2c, scheduleToStartMs: s2s, startToCloseMs: st2c, heartbeatMs: hb };
}

/** Default retry policy: 1 s initial, coefficient 2, max interval 100x initial, unlimited attempts. */
export function fillRetryPolicy(policy: Msg | undefined): Msg {
  const initial = durationToMs(policy?.initialInterval) || 1000;
  const coefficient = policy?.backoffCoefficient && policy.backoffCoefficient >= 1 ? policy.backoffCoefficient : 2;
  const maximum = durationToMs(policy?.maximumInterval) || initial * 100;
  return {
    initialInterval: msToDur(initial),
    backoffCoefficient: coefficient,
    maximumInterval: msToDur(maximum),
    maximumAttempts: policy?.maximumAttempts ?? 0,
    nonRetryableErrorTypes: policy?.nonRetryableErrorTypes ?? [],
  };
}

function msToDur(ms: number): Msg {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; retryState: string };

/** Whether attempt `attempt` that failed with `failure` is retried, and after how long. */
export function decideRetry(opts: {
  policy: Msg;
  attempt: number;
  failure: Msg | undefined;
  now: number;
  firstScheduledTime: number;
  scheduleToCloseMs: number;
}): RetryDecision {
  const { policy, attempt, failure } = opts;
  const app = failure?.applicationFailureInfo;
  if (app?.nonRetryable) return { retry: false, retryState: 'RETRY_STATE_NON_RETRYABLE_FAILURE' };
  const errType = app?.type ?? (failure?.timeoutFailureInfo ? timeoutTypeName(failure.timeoutFailureInfo.timeoutType) : undefined);
  if (errType && (policy.nonRetryableErrorTypes ?? []).includes(errType)) {
    return { retry: false, retryState: 'RETRY_STATE_NON_RETRYABLE_FAILURE' };
  }
  const max = Number(policy.maximumAttempts ?? 0);
  if (max > 0 && attempt >= max) return { retry: false, retryState: 'RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED' };
  const initial = durationToMs(policy.initialInterval) ?? 1000;
  const maxInterval = durationToMs(policy.maximumInterval) ?? initial * 100;
  const explicit = durationToMs(app?.nextRetryDelay);
  const delayMs = explicit && explicit > 0
    ? explicit
    : Math.min(initial * Math.pow(Number(policy.backoffCoefficient ?? 2), attempt - 1), maxInterval);
  if (opts.scheduleToCloseMs > 0 && opts.now + delayMs >= opts.firstScheduledTime + opts.scheduleToCloseMs) {
    return { retry: false, retryState: 'RETRY_STATE_TIMEOUT' };
  }
  return { retry: true, delayMs };
}

function timeoutTypeName(t: string | undefined): string | undefined {
  if (!t) return undefined;
  // TIMEOUT_TYPE_START_TO_CLOSE -> StartToClose (the SDK's TimeoutType names are not used here)
  return t;
}
