// Posts CloudEvents 1.0 (structured JSON mode) to webhook URLs over Node's fetch. The URLs may
// carry tokens (chat webhooks do), so they never appear in an error: a target is named by its
// index and host only.

/** A CloudEvents 1.0 event in structured JSON form. */
export interface CloudEvent {
  specversion: '1.0';
  /** Unique per event; a retried delivery reuses it so receivers can drop duplicates. */
  id: string;
  /** URI-reference of the producer, e.g. `/stratus/image-stream/atomic-host`. */
  source: string;
  /** Reverse-DNS type, e.g. `org.stratus.image.build.passed`. */
  type: string;
  /** RFC 3339 time of the occurrence. */
  time: string;
  subject?: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

/** How one delivery attempt to one target went. */
export interface DeliveryOutcome {
  /** Index of the target in the configured list. */
  target: number;
  ok: boolean;
  /** Worth retrying (network error, timeout, 408, 429, 5xx). */
  retryable: boolean;
  /** A safe description (`webhooks[1] (hooks.example.org): HTTP 503`), never the URL. */
  detail: string;
}

/** Port: delivers events to the configured targets. */
export interface WebhookPoster {
  /** How many targets are configured. */
  readonly targets: number;
  /** Posts `event` to every target whose index is not in `skip`; one outcome per attempted target. */
  post(event: CloudEvent, options?: { skip?: readonly number[]; signal?: AbortSignal }): Promise<DeliveryOutcome[]>;
}

export interface WebhookPosterOptions {
  urls: readonly string[];
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

/** A webhook URL that cannot be used (named by index, never shown). */
export class InvalidWebhookError extends Error {
  override readonly name = 'InvalidWebhookError';
}

/** Creates a poster for `urls` (http or https only). */
export function createWebhookPoster(options: WebhookPosterOptions): WebhookPoster {
  const targets = options.urls.map((raw, i) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new InvalidWebhookError(`webhooks[${i}] is not a valid URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidWebhookError(`webhooks[${i}] must be an http(s) URL`);
    return { url, label: `webhooks[${i}] (${url.host})` };
  });
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function deliver(index: number, body: string, signal?: AbortSignal): Promise<DeliveryOutcome> {
    const { url, label } = targets[index]!;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
        body,
        redirect: 'error',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return { target: index, ok: true, retryable: false, detail: `${label}: HTTP ${response.status}` };
      const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
      return { target: index, ok: false, retryable, detail: `${label}: HTTP ${response.status}` };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : describeNetworkError(error);
      return { target: index, ok: false, retryable: true, detail: `${label}: ${why}` };
    }
  }

  return {
    targets: targets.length,
    async post(event, opts = {}) {
      const body = JSON.stringify(event);
      const skip = new Set(opts.skip ?? []);
      const todo = targets.map((_, i) => i).filter((i) => !skip.has(i));
      return Promise.all(todo.map((i) => deliver(i, body, opts.signal)));
    },
  };
}

/** The error code of a fetch failure, without the URL undici puts in some messages. */
function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return code ? `network error ${code}` : 'network error';
}
