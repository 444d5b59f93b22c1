// The Notifier port and its adapter over nodemailer's SMTP transport. Errors become a typed
// NotifierError that says whether a retry can help and never carries the password.
import { createTransport } from 'nodemailer';

/** One email: a plain-text and an HTML body of the same content. */
export interface OutgoingMessage {
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  html: string;
  /** `<…@…>`; derive it from an idempotency key so receivers can spot duplicates. */
  messageId?: string;
  headers?: Record<string, string>;
}

/** What the SMTP server accepted. */
export interface SendResult {
  messageId: string;
  accepted: string[];
  rejected: string[];
}

/** Sends email. The lifecycle activities depend on this port only. */
export interface Notifier {
  send(message: OutgoingMessage, signal?: AbortSignal): Promise<SendResult>;
  close(): void;
}

/** `auth`: bad credentials; `connection`: server unreachable or timed out; `rejected`: the server refused the message or its recipients. */
export type NotifierErrorKind = 'auth' | 'connection' | 'rejected' | 'unknown';

/** A send failed. `retryable` says whether trying again later can help. */
export class NotifierError extends Error {
  override readonly name = 'NotifierError';
  constructor(
    message: string,
    readonly kind: NotifierErrorKind,
    readonly retryable: boolean,
    /** nodemailer's code (EAUTH, ECONNECTION, EENVELOPE, …). */
    readonly code?: string,
    /** SMTP reply code (535, 550, 451, …). */
    readonly responseCode?: number,
  ) {
    super(message);
  }
}

/** Settings of the SMTP adapter (see `smtpSettings()` in config/lifecycle.ts). */
export interface SmtpNotifierSettings {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  from: string;
  replyTo?: string;
  auth?: { user: string; pass: string };
  /** Connection, greeting and socket timeout; default 30 s. */
  timeoutMs?: number;
}

/** Builds a {@link Notifier} over nodemailer's SMTP transport (one connection per message). */
export function createSmtpNotifier(settings: SmtpNotifierSettings): Notifier {
  const timeout = settings.timeoutMs ?? 30_000;
  const transport = createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    ...(settings.auth ? { auth: { user: settings.auth.user, pass: settings.auth.pass } } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    logger: false,
    debug: false,
  });
  const where = `SMTP server ${settings.host}:${settings.port}`;
  return {
    async send(message, signal) {
      if (message.to.length === 0) throw new NotifierError('no recipients', 'rejected', false);
      try {
        const info = await transport.sendMail({
          from: settings.from,
          ...(settings.replyTo ? { replyTo: settings.replyTo } : {}),
          to: message.to,
          ...(message.cc?.length ? { cc: message.cc } : {}),
          subject: message.subject,
          text: message.text,
          html: message.html,
          ...(message.messageId ? { messageId: message.messageId } : {}),
          ...(message.headers ? { headers: message.headers } : {}),
          ...(signal ? { signal } : {}),
        });
        return {
          messageId: String(info.messageId),
          accepted: (info.accepted ?? []).map(addressOf),
          rejected: (info.rejected ?? []).map(addressOf),
        };
      } catch (error) {
        throw translate(error, where, settings.auth?.pass);
      }
    },
    close() {
      transport.close();
    },
  };
}

function translate(error: unknown, where: string, secret: string | undefined): NotifierError {
  const e = error as { code?: string; responseCode?: number; response?: string; message?: string };
  const code = e.code;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const reply = scrub(firstLine(e.response ?? ''), secret);
  switch (code) {
    case 'EAUTH':
    case 'ENOAUTH':
      return new NotifierError(`${where} refused the SMTP login${responseCode ? ` (${responseCode})` : ''}: check the user and password variables of lifecycle.notify.smtp`, 'auth', false, code, responseCode);
    case 'ECONNECTION':
    case 'ETIMEDOUT':
    case 'ESOCKET':
    case 'EDNS':
    case 'ETLS':
    case 'EPROXY':
      return new NotifierError(`${where} unreachable (${code}): ${scrub(firstLine(e.message ?? ''), secret)}`, 'connection', true, code, responseCode);
    case 'EENVELOPE':
    case 'EMESSAGE': {
      const transient = responseCode !== undefined && responseCode >= 400 && responseCode < 500;
      return new NotifierError(`${where} refused the message${responseCode ? ` (${responseCode})` : ''}: ${reply || scrub(firstLine(e.message ?? ''), secret)}`,
        'rejected', transient, code, responseCode);
    }
    default:
      return new NotifierError(`${where}: sending failed${code ? ` (${code})` : ''}: ${scrub(firstLine(e.message ?? String(error)), secret)}`,
        'unknown', true, code, responseCode);
  }
}

function addressOf(a: unknown): string {
  return typeof a === 'string' ? a : String((a as { address?: string }).address ?? '');
}

function firstLine(s: string): string {
  return s.split(/\r?\n/)[0];
}

/** Removes the password and its base64 forms (AUTH PLAIN/LOGIN) from server text. */
function scrub(text: string, secret: string | undefined): string {
  if (!secret) return text;
  let out = text;
  for (const form of [secret, Buffer.from(secret).toString('base64')]) out = out.split(form).join('***');
  return out.replace(/AHT[A-Za-z0-9+/=]{8,}|[A-Za-z0-9+/]{16,}={0,2}/g, (m) => (Buffer.from(m, 'base64').toString('utf8').includes(secret) ? '***' : m));
}
