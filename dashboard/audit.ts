// Who did what, read back from workflow histories: every update (accepted, rejected where the
// server records it, completed or failed) and every signal, with its arguments (secrets
// redacted), the client identity that sent it, when, and the outcome. Pure: it takes history
// events as the SDK returns them (`fetchHistory()`: Uint8Array payloads, Long timestamps) or as
// recorded JSON (base64 payloads, ISO timestamps), so the tests feed it recorded histories.

/** What an audit entry was. */
export type AuditKind = 'update' | 'signal';
/**
 * `accepted`: the validator let it through and the handler has not finished; `completed` /
 * `failed`: the handler's outcome; `rejected`: the validator refused it (only where the server
 * writes rejections into history: Temporal itself does not); `signalled`: a signal arrived.
 */
export type AuditOutcome = 'accepted' | 'completed' | 'failed' | 'rejected' | 'signalled';

/** One decision on an entity workflow. */
export interface AuditEntry {
  workflowId: string;
  runId: string;
  /** Event id of the accepted/rejected update or of the signal, in its run. */
  eventId: number;
  kind: AuditKind;
  /** The update or signal name (`approve`, `revoke`, `exempt`, `configure` …). */
  name: string;
  /** Its arguments, decoded, with secret-looking keys replaced by "[redacted]". */
  args: unknown[];
  /** The client identity that sent it (`cli:alice`, `dashboard:bob`), or null when none was recorded. */
  who: string | null;
  /** When the server accepted or received it (ISO). */
  at: string;
  outcome: AuditOutcome;
  /** The validator's or handler's message for `rejected` / `failed`. */
  message?: string;
  /** The handler's result for `completed` (redacted as the arguments are). */
  result?: unknown;
  completedAt?: string;
}

/** One run's events, oldest first. */
export interface AuditRun {
  workflowId: string;
  runId: string;
  events: readonly HistoryEventLike[];
}

/** The parts of a history event the audit reads (SDK objects and recorded JSON both fit). */
export interface HistoryEventLike {
  eventId?: unknown;
  eventTime?: unknown;
  workflowExecutionUpdateAcceptedEventAttributes?: { acceptedRequest?: UpdateRequestLike | null } | null;
  workflowExecutionUpdateRejectedEventAttributes?: { rejectedRequest?: UpdateRequestLike | null; failure?: FailureLike | null } | null;
  workflowExecutionUpdateCompletedEventAttributes?: {
    meta?: { updateId?: string | null; identity?: string | null } | null;
    outcome?: { success?: PayloadsLike | null; failure?: FailureLike | null } | null;
  } | null;
  workflowExecutionSignaledEventAttributes?: { signalName?: string | null; input?: PayloadsLike | null; identity?: string | null } | null;
}
interface UpdateRequestLike {
  meta?: { updateId?: string | null; identity?: string | null } | null;
  input?: { name?: string | null; args?: PayloadsLike | null } | null;
}
interface FailureLike { message?: string | null; cause?: FailureLike | null }
interface PayloadsLike { payloads?: Array<{ metadata?: Record<string, unknown> | null; data?: unknown }> | null }

/** Keys whose values never leave the history: tokens, secrets, passwords, keys. */
export const SECRET_KEY = /token|secret|password|passwd|key|credential|authorization/i;

/** `value` with every property named like a secret replaced by "[redacted]", at any depth. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 20) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)]));
  }
  return value;
}

function bytes(data: unknown): Buffer | undefined {
  if (data === undefined || data === null) return undefined;
  if (typeof data === 'string') return Buffer.from(data, 'base64');
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/** Decodes JSON payloads; binary/null is null; anything else is said, not guessed. */
export function decodePayloads(p: PayloadsLike | null | undefined): unknown[] {
  return (p?.payloads ?? []).map((payload) => {
    const encoding = bytes(payload.metadata?.encoding)?.toString('utf8') ?? 'json/plain';
    if (encoding === 'binary/null') return null;
    if (encoding !== 'json/plain') return `[${encoding} payload]`;
    const text = bytes(payload.data)?.toString('utf8');
    if (text === undefined || text === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return '[undecodable payload]';
    }
  });
}

function eventTime(t: unknown): string {
  if (typeof t === 'string') return new Date(t).toISOString();
  if (t instanceof Date) return t.toISOString();
  const ts = t as { seconds?: unknown; nanos?: number | null } | null | undefined;
  const raw = ts?.seconds;
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : raw && typeof (raw as { toNumber?: unknown }).toNumber === 'function' ? (raw as { toNumber(): number }).toNumber() : 0;
  return new Date(seconds * 1000 + Math.floor((ts?.nanos ?? 0) / 1e6)).toISOString();
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(typeof v === 'object' && v !== null && 'toString' in v ? String(v) : v ?? 0));

function failureMessage(f: FailureLike | null | undefined): string {
  return f?.message || f?.cause?.message || 'failed (no message)';
}

/**
 * Every decision in the runs, oldest first: an update appears once (accepted, then completed or
 * failed when its handler finished), a rejection or a signal once each.
 */
export function auditEntries(runs: readonly AuditRun[]): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (const run of runs) {
    const byUpdate = new Map<string, AuditEntry>();
    for (const e of run.events) {
      const at = eventTime(e.eventTime);
      const base = { workflowId: run.workflowId, runId: run.runId, eventId: num(e.eventId), at };
      const accepted = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
      if (accepted) {
        const entry: AuditEntry = {
          ...base, kind: 'update', name: accepted.input?.name ?? '?', args: redact(decodePayloads(accepted.input?.args)) as unknown[],
          who: accepted.meta?.identity || null, outcome: 'accepted',
        };
        if (accepted.meta?.updateId) byUpdate.set(accepted.meta.updateId, entry);
        out.push(entry);
        continue;
      }
      const rejected = e.workflowExecutionUpdateRejectedEventAttributes;
      if (rejected) {
        const req = rejected.rejectedRequest;
        out.push({
          ...base, kind: 'update', name: req?.input?.name ?? '?', args: redact(decodePayloads(req?.input?.args)) as unknown[],
          who: req?.meta?.identity || null, outcome: 'rejected', message: failureMessage(rejected.failure),
        });
        continue;
      }
      const completed = e.workflowExecutionUpdateCompletedEventAttributes;
      if (completed) {
        const entry = completed.meta?.updateId ? byUpdate.get(completed.meta.updateId) : undefined;
        if (!entry) continue; // accepted in a run we did not read
        entry.completedAt = at;
        if (completed.outcome?.failure) {
          entry.outcome = 'failed';
          entry.message = failureMessage(completed.outcome.failure);
        } else {
          entry.outcome = 'completed';
          const [result] = decodePayloads(completed.outcome?.success);
          if (result !== undefined && result !== null) entry.result = redact(result);
        }
        continue;
      }
      const signal = e.workflowExecutionSignaledEventAttributes;
      if (signal) {
        out.push({
          ...base, kind: 'signal', name: signal.signalName ?? '?', args: redact(decodePayloads(signal.input)) as unknown[],
          who: signal.identity || null, outcome: 'signalled',
        });
      }
    }
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/** One line of an entry for people: when, who, what, outcome. */
export function describeEntry(e: AuditEntry): string {
  const args = e.args.length === 0 ? '' : ` ${JSON.stringify(e.args.length === 1 ? e.args[0] : e.args)}`;
  const outcome = e.outcome === 'rejected' || e.outcome === 'failed' ? `${e.outcome}: ${e.message ?? ''}` : e.outcome;
  return `${e.at.slice(0, 19).replace('T', ' ')}  ${(e.who ?? 'unknown').padEnd(20)} ${e.kind} ${e.name}${args.length > 200 ? `${args.slice(0, 199)}…` : args}  → ${outcome}`;
}
