// The operator token: actions need `Authorization: Bearer <token>`; compared in constant time on
// equal-length digests, so neither the content nor the length of the token leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';

/** 401: no bearer token; 403: a token that is not the operator token; ok otherwise. */
export type TokenCheck = { ok: true } | { ok: false; status: 401 | 403; message: string };

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Checks an Authorization header against the operator token. */
export function checkBearer(header: string | undefined, token: string): TokenCheck {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return { ok: false, status: 401, message: 'this action needs the operator token: send Authorization: Bearer <token>' };
  if (!timingSafeEqual(digest(match[1]!), digest(token))) return { ok: false, status: 403, message: 'the operator token is wrong' };
  return { ok: true };
}

const OPERATOR = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** The operator named by the `X-Stratus-Operator` header (or the default); null when malformed. */
export function operatorName(header: string | string[] | undefined, fallback: string): string | null {
  if (header === undefined || header === '') return fallback;
  if (Array.isArray(header) || !OPERATOR.test(header)) return null;
  return header;
}
