// Keystone auth, token reuse and renewal, catalog lookup, retries and error messages of the
// OpenStack client, against the stateful fake cloud.
import { inspect } from 'node:util';
import { createCloud, OpenStackAuthError, OpenStackError, OpenStackHttpError, OpenStackRateLimitError, OpenStackResponseError, type CloudOptions } from '../../clients/openstack/index.js';
import { startFakeOpenStack, type FakeOpenStack } from '../fakes/openstack.js';

let fake: FakeOpenStack;
const fast = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5_000, timeoutMs: 2_000 };

const passwordCloud = (extra: Partial<CloudOptions> = {}) =>
  createCloud({
    authUrl: fake.authUrl,
    credentials: { kind: 'password', username: 'admin', password: 'admin-secret', projectName: 'admin-project' },
    retry: fast,
    ...extra,
  });

const tokenPosts = (): number => fake.requests.filter((r) => r.path === '/identity/v3/auth/tokens').length;

beforeAll(async () => {
  fake = await startFakeOpenStack();
  fake.addServer({ name: 'web', projectId: 'p1' });
});
afterAll(() => fake.close());
beforeEach(() => fake.faults.reset());

describe('Keystone authentication', () => {
  it('signs in with a password and reuses the token for later calls', async () => {
    const cloud = passwordCloud();
    const before = tokenPosts();
    const first = await cloud.compute.listServers();
    await cloud.compute.listServers();
    expect(first.items.map((s) => s.name)).toEqual(['web']);
    expect(tokenPosts() - before).toBe(1);
  });

  it('keeps the password and the token out of anything that prints the client', async () => {
    const cloud = passwordCloud();
    await cloud.compute.listServers();
    const printed = inspect(cloud, { depth: 20 }) + JSON.stringify(cloud);
    expect(printed).not.toContain('admin-secret');
    expect(printed).not.toMatch(/tok-[0-9a-f-]{36}/);
  });

  it('signs in with an application credential', async () => {
    const cloud = createCloud({ authUrl: fake.authUrl, credentials: { kind: 'application-credential', id: 'cred-1', secret: 'cred-secret' }, retry: fast });
    expect((await cloud.compute.listServers()).items).toHaveLength(1);
  });

  it('names the user but never the password when Keystone refuses it', async () => {
    const cloud = createCloud({ authUrl: fake.authUrl, credentials: { kind: 'password', username: 'admin', password: 'hunter2-wrong' }, retry: fast });
    const err = await cloud.compute.listServers().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackAuthError);
    expect((err as Error).message).toBe('Keystone rejected the password of user admin (HTTP 401)');
    expect(JSON.stringify(err)).not.toContain('hunter2');
  });

  it('names the application credential but never its secret', async () => {
    const cloud = createCloud({ authUrl: fake.authUrl, credentials: { kind: 'application-credential', id: 'cred-1', secret: 'wrong-secret' }, retry: fast });
    const err = (await cloud.image.listImages().catch((e: unknown) => e)) as Error;
    expect(err.message).toContain('application credential cred-1');
    expect(err.message).not.toContain('wrong-secret');
  });

  it('refuses empty credentials before any request, naming the field', () => {
    expect(() => createCloud({ authUrl: fake.authUrl, credentials: { kind: 'password', username: 'admin', password: '' } })).toThrow(
      'credentials.password is empty for user admin',
    );
    expect(() => createCloud({ authUrl: fake.authUrl, credentials: { kind: 'application-credential', id: 'c', secret: '' } })).toThrow(
      'credentials.secret is empty for application credential c',
    );
  });

  it('signs in again once when a token expires mid-use', async () => {
    const cloud = passwordCloud();
    await cloud.compute.listServers();
    fake.expireTokens();
    const before = tokenPosts();
    expect((await cloud.compute.listServers()).items).toHaveLength(1);
    expect(tokenPosts() - before).toBe(1);
  });

  it('renews a token that is about to expire instead of waiting for a 401', async () => {
    const short = await startFakeOpenStack({ tokenTtlMs: 30_000 });
    try {
      const cloud = createCloud({ authUrl: short.authUrl, credentials: { kind: 'password', username: 'admin', password: 'admin-secret' }, retry: fast });
      await cloud.compute.listServers();
      await cloud.compute.listServers();
      // 30 s of validity is inside the 60 s safety margin: every call asks for a fresh token.
      expect(short.requests.filter((r) => r.path.endsWith('/auth/tokens'))).toHaveLength(2);
    } finally {
      await short.close();
    }
  });

  it('says which service and region are missing from the catalog', async () => {
    const cloud = passwordCloud({ region: 'RegionTwo' });
    await expect(cloud.compute.listServers()).rejects.toThrow(new OpenStackError('the service catalog has no public endpoint for compute in region RegionTwo'));
  });
});

describe('retries and faults', () => {
  it('retries 500 and 502 answers and then succeeds', async () => {
    fake.faults.failNext({ count: 1, status: 500, path: /servers\/detail/ });
    fake.faults.failNext({ count: 1, status: 502, path: /servers\/detail/ });
    expect((await passwordCloud().compute.listServers()).items).toHaveLength(1);
    expect(fake.faults.pending()).toBe(0);
  });

  it('waits out a 429 with Retry-After and succeeds', async () => {
    fake.faults.failNext({ count: 1, status: 429, retryAfter: 0, path: /servers\/detail/ });
    expect((await passwordCloud().compute.listServers()).items).toHaveLength(1);
  });

  it('hands a long Retry-After back to the caller instead of sleeping for an hour', async () => {
    fake.faults.failNext({ count: 1, status: 429, retryAfter: 3600, path: /servers\/detail/ });
    const err = await passwordCloud().compute.listServers().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackRateLimitError);
    expect((err as OpenStackRateLimitError).retryAfterMs).toBe(3_600_000);
    expect((err as Error).message).toBe('compute is rate limiting requests; retry after 3600 s');
  });

  it('times out a request that hangs and retries it', async () => {
    fake.faults.failNext({ count: 1, hang: true, path: /servers\/detail/ });
    const cloud = passwordCloud({ retry: { ...fast, timeoutMs: 300 } });
    expect((await cloud.compute.listServers()).items).toHaveLength(1);
  });

  it('gives up after the retry budget with the status in the message and no token in it', async () => {
    fake.faults.failNext({ count: 10, status: 503, path: /servers\/detail/ });
    const err = (await passwordCloud().compute.listServers().catch((e: unknown) => e)) as OpenStackHttpError;
    expect(err).toBeInstanceOf(OpenStackHttpError);
    expect(err.status).toBe(503);
    expect(err.message).toBe('compute GET /servers/detail failed with HTTP 503: Injected fault: HTTP 503');
    expect(err.message).not.toMatch(/tok-/);
    fake.faults.reset();
  });

  it('stops at once when the caller cancels', async () => {
    fake.faults.failNext({ count: 1, hang: true, path: /servers\/detail/ });
    const abort = new AbortController();
    const pending = passwordCloud().compute.listServers({ signal: abort.signal });
    setTimeout(() => abort.abort(new Error('activity cancelled')), 100);
    await expect(pending).rejects.toThrow('activity cancelled');
  });

  it('reports a malformed response naming the field', async () => {
    fake.faults.failNext({ count: 1, status: 200, body: { servers: [{ id: 'x', name: 'y' }] }, path: /servers\/detail/ });
    const err = (await passwordCloud().compute.listServers().catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(OpenStackResponseError);
    expect(err.message).toMatch(/^compute \/servers\/detail returned an unexpected response: servers\.0\.status: /);
  });
});
