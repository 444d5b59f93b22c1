import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  requireAddress,
  resolveTemporalTarget,
  summarizeTarget,
  TemporalSettingsError,
} from '../../workers/temporal-connection.js';

let home: string;
const noConfig = { temporal: {} };

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'stratus-temporal-env-'));
  writeFileSync(join(home, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n');
  writeFileSync(
    join(home, 'temporal.toml'),
    '[profile.default]\naddress = "default-profile.example:7233"\n\n[profile.cloud]\naddress = "acme.tmprl.cloud:7233"\nnamespace = "acme.prod"\napi_key = "profile-secret-key"\n',
  );
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** An environment with no Temporal profile file in reach. */
const env = (extra: Record<string, string> = {}) => ({ HOME: home, XDG_CONFIG_HOME: join(home, 'none'), ...extra });

describe('resolveTemporalTarget', () => {
  it('has no address when nothing names a server, and says how to fix it', () => {
    const target = resolveTemporalTarget(noConfig, env());
    expect(target).toMatchObject({ address: undefined, addressSource: undefined, namespace: 'default' });
    expect(() => requireAddress(target)).toThrow(TemporalSettingsError);
    expect(() => requireAddress(target)).toThrow(/set TEMPORAL_ADDRESS \(host:port\), temporal\.address in stratus\.yaml/);
  });

  it('takes address and namespace from the environment over stratus.yaml', () => {
    const target = resolveTemporalTarget(
      { temporal: { address: 'from-config:7233', namespace: 'cfg' } },
      env({ TEMPORAL_ADDRESS: 'from-env:7233', TEMPORAL_NAMESPACE: 'envns' }),
    );
    expect(target).toMatchObject({ address: 'from-env:7233', addressSource: 'environment', namespace: 'envns' });
    expect(target.connectionOptions.address).toBe('from-env:7233');
  });

  it('falls back to stratus.yaml, and treats an empty TEMPORAL_ADDRESS as unset', () => {
    const target = resolveTemporalTarget({ temporal: { address: 'from-config:7233', namespace: 'cfg' } }, env({ TEMPORAL_ADDRESS: '' }));
    expect(target).toMatchObject({ address: 'from-config:7233', addressSource: 'config', namespace: 'cfg' });
  });

  it('reads a Temporal CLI profile chosen by TEMPORAL_PROFILE, with TLS on for an API key', () => {
    const target = resolveTemporalTarget(
      noConfig,
      env({ TEMPORAL_CONFIG_FILE: join(home, 'temporal.toml'), TEMPORAL_PROFILE: 'cloud' }),
    );
    expect(target).toMatchObject({ address: 'acme.tmprl.cloud:7233', addressSource: 'profile', namespace: 'acme.prod' });
    expect(target.connectionOptions.apiKey).toBe('profile-secret-key');
    expect(summarizeTarget(target)).toEqual({
      address: 'acme.tmprl.cloud:7233',
      addressSource: 'profile',
      namespace: 'acme.prod',
      tls: true,
      apiKey: true,
    });
  });

  it('names an unknown profile', () => {
    expect(() =>
      resolveTemporalTarget(noConfig, env({ TEMPORAL_CONFIG_FILE: join(home, 'temporal.toml'), TEMPORAL_PROFILE: 'staging' })),
    ).toThrow("cannot load the Temporal client profile: Profile 'staging' not found in config data");
  });

  it('never puts the API key in the summary', () => {
    const target = resolveTemporalTarget(noConfig, env({ TEMPORAL_ADDRESS: 'x.tmprl.cloud:7233', TEMPORAL_API_KEY: 'sekrit-123' }));
    expect(JSON.stringify(summarizeTarget(target))).not.toContain('sekrit-123');
    expect(summarizeTarget(target)).toMatchObject({ tls: true, apiKey: true });
  });

  it('loads TLS files from TEMPORAL_TLS_* paths', () => {
    const target = resolveTemporalTarget(
      noConfig,
      env({ TEMPORAL_ADDRESS: 'tls.example:7233', TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(home, 'ca.pem'), TEMPORAL_TLS_SERVER_NAME: 'tls.example' }),
    );
    const tls = target.connectionOptions.tls as { serverNameOverride?: string; serverRootCACertificate?: Uint8Array };
    expect(tls.serverNameOverride).toBe('tls.example');
    expect(Buffer.from(tls.serverRootCACertificate ?? []).toString()).toContain('BEGIN CERTIFICATE');
  });

  it('names a TLS file that does not exist', () => {
    const missing = join(home, 'missing-ca.pem');
    expect(() =>
      resolveTemporalTarget(noConfig, env({ TEMPORAL_ADDRESS: 'tls.example:7233', TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing })),
    ).toThrow(`cannot load Temporal TLS files: ENOENT: no such file or directory, open '${missing}'`);
  });

  it('rejects a client certificate without its key', () => {
    expect(() =>
      resolveTemporalTarget(noConfig, env({ TEMPORAL_ADDRESS: 'tls.example:7233', TEMPORAL_TLS_CLIENT_CERT_PATH: join(home, 'ca.pem') })),
    ).toThrow('TLS client certificate and key must be given together: set both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH');
  });
});
