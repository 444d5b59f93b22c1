// GitHub App authentication in the fake: checks the App's JWT (RS256 over header.payload,
// verified with the public key the test registered, `iss` = app id, not expired) and mints
// installation tokens, as `POST /app/installations/{id}/access_tokens` does.
import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';

/** An App the fake knows: its id, slug (the bot login is `<slug>[bot]`), public key and installations. */
export interface FakeAppSpec {
  id: number;
  slug: string;
  /** PEM (SPKI) or KeyObject of the App's public key. */
  publicKey: string | KeyObject;
  /** installation id → account and the repositories ("owner/name") it was granted. */
  installations: Record<number, { account: string; repos: string[] }>;
}

export interface InstallationToken { token: string; app: FakeAppSpec; installationId: number; expiresAt: number }

/** Returns the App a `Bearer <jwt>` belongs to, or why the JWT is refused (GitHub's 401 wording). */
export function verifyAppJwt(apps: FakeAppSpec[], jwt: string, nowSeconds = Date.now() / 1000): FakeAppSpec | string {
  const parts = jwt.split('.');
  if (parts.length !== 3) return 'A JSON web token could not be decoded';
  const [h, p, s] = parts;
  let header: { alg?: string };
  let payload: { iss?: unknown; exp?: number; iat?: number };
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header;
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as typeof payload;
  } catch {
    return 'A JSON web token could not be decoded';
  }
  if (header.alg !== 'RS256') return `'alg' must be RS256`;
  const app = apps.find((a) => String(a.id) === String(payload.iss));
  if (!app) return 'Integration not found';
  const key = typeof app.publicKey === 'string' ? createPublicKey(app.publicKey) : app.publicKey;
  if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) return 'A JSON web token could not be decoded';
  if (typeof payload.exp !== 'number' || payload.exp < nowSeconds) return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
  if (typeof payload.iat === 'number' && payload.exp - payload.iat > 600) return "'Expiration time' claim ('exp') is too far in the future";
  return app;
}

export function mintInstallationToken(app: FakeAppSpec, installationId: number): InstallationToken {
  return { token: `ghs_${randomBytes(18).toString('hex')}`, app, installationId, expiresAt: Date.now() + 3600_000 };
}
