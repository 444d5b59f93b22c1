// Fault injection shared by the stateful fake servers (GitHub, JIRA, OpenStack): the next N
// matching requests fail with a status, a rate-limit answer or a hang, then the fake behaves again.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One queued fault: the next `count` requests that match fail this way. */
export interface FaultSpec {
  /** How many matching requests fail (default 1). */
  count?: number;
  /** HTTP status to answer with (default 500). Ignored when `hang` is set. */
  status?: number;
  /** Only requests whose path (with query string) matches fail; others pass through. */
  path?: RegExp;
  /** Only requests with this method fail (e.g. 'POST'). */
  method?: string;
  /** Seconds for a `Retry-After` header. */
  retryAfter?: number;
  /** Accept the request and never answer (the client has to time out). */
  hang?: boolean;
  /**
   * Let the fake do the work (create the issue, the release …) and then answer with the fault
   * status instead of its own answer: the "processed, then 5xx" case a retried POST must survive.
   */
  afterProcessing?: boolean;
  /** Response body; default: the injector's `body(status)` formatter. */
  body?: unknown;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

/** The hook a fake server calls first for every request. */
export interface FaultInjector {
  /** Queue a fault for the next `count` matching requests. */
  failNext(spec: FaultSpec): void;
  /** Answers the request with a fault and returns true, or returns false to let the fake serve it. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Faults still queued (sum of the remaining counts). */
  pending(): number;
  /** How many requests were answered with a fault so far. */
  readonly injected: number;
  /** Drops queued faults and ends every hung response. */
  reset(): void;
}

/** Options for {@link createFaultInjector}. */
export interface FaultInjectorOptions {
  /** Builds the JSON body of an injected error in the service's own error shape. */
  body?: (status: number, spec: FaultSpec) => unknown;
}

interface Queued extends FaultSpec {
  remaining: number;
}

const defaultBody = (status: number): unknown => ({ message: `Injected fault: HTTP ${status}` });

export function createFaultInjector(options: FaultInjectorOptions = {}): FaultInjector {
  const queue: Queued[] = [];
  const hung = new Set<ServerResponse>();
  const bodyFor = options.body ?? defaultBody;
  let injected = 0;

  const matches = (fault: Queued, req: IncomingMessage): boolean =>
    (!fault.method || fault.method.toUpperCase() === req.method) && (!fault.path || fault.path.test(req.url ?? ''));

  return {
    failNext(spec: FaultSpec): void {
      queue.push({ ...spec, remaining: spec.count ?? 1 });
    },
    handle(req: IncomingMessage, res: ServerResponse): boolean {
      const fault = queue.find((f) => f.remaining > 0 && matches(f, req));
      if (!fault) return false;
      fault.remaining -= 1;
      if (fault.remaining === 0) queue.splice(queue.indexOf(fault), 1);
      injected += 1;
      const status = fault.status ?? 500;
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...fault.headers };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      const payload = JSON.stringify(fault.body ?? bodyFor(status, fault));
      if (fault.afterProcessing) {
        const end = res.end.bind(res);
        res.writeHead = ((): ServerResponse => res) as typeof res.writeHead;
        res.end = ((): ServerResponse => {
          for (const name of res.getHeaderNames()) res.removeHeader(name);
          res.statusCode = status;
          for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
          return end(payload);
        }) as typeof res.end;
        return false;
      }
      req.resume();
      if (fault.hang) {
        hung.add(res);
        res.on('close', () => hung.delete(res));
        return true;
      }
      res.writeHead(status, headers);
      res.end(payload);
      return true;
    },
    pending(): number {
      return queue.reduce((sum, f) => sum + f.remaining, 0);
    },
    get injected(): number {
      return injected;
    },
    reset(): void {
      queue.length = 0;
      for (const res of hung) res.destroy();
      hung.clear();
    },
  };
}
