import { generateKeyPairSync } from 'node:crypto';
import { createGithubActivities } from '../../activities/github.js';
import { createGithubCodeHost, type CodeHost } from '../../clients/github.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';

const REPO = 'cyverse/atmosphere';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let gh: FakeGithub;

beforeAll(async () => {
  gh = await startFakeGithub({
    tokens: { ghp_alice: 'alice' },
    repos: { [REPO]: { admins: ['alice'] }, 'cyverse/elsewhere': { admins: ['alice'] } },
    apps: [{ id: 4242, slug: 'stratus-ci', publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), installations: { 77: { account: 'cyverse', repos: [REPO] } } }],
  });
});
afterAll(() => gh.close());

function app(extra: { installationId?: number; installationRepo?: string; privateKey?: string } = {}): CodeHost {
  return createGithubCodeHost({
    app: { appId: 4242, privateKey: extra.privateKey ?? PEM, installationRepo: REPO, ...extra },
    baseUrl: gh.url, retryBaseDelayMs: 5, rateLimitSecondMs: 5, writeSpacingMs: 0, timeoutMs: 2000,
  });
}

describe('GitHub App installation auth', () => {
  it('looks the installation up by repository, creates with an installation token, and is known as <slug>[bot]', async () => {
    const host = app();
    const issue = await host.createIssue(REPO, 'Nightly failed', 'log', []);
    expect(gh.issues(REPO).find((i) => i.number === issue.number)?.user).toBe('stratus-ci[bot]');
    await expect(host.currentUser()).resolves.toBe('stratus-ci[bot]');
    expect(gh.requests.some((r) => r.path === `/repos/${REPO}/installation`)).toBe(true);
    expect(gh.requests.some((r) => r.path === '/app/installations/77/access_tokens' && r.method === 'POST')).toBe(true);
  });

  it('passes the tagging check without GET /user, leaving who may tag to the approver rule', async () => {
    const before = gh.requests.length;
    await expect(createGithubActivities({ codeHost: app({ installationId: 77 }) }).checkAdminRights({ repos: [REPO] }))
      .resolves.toEqual({ user: 'stratus-ci[bot]', repos: [REPO] });
    expect(gh.requests.slice(before).some((r) => r.path === '/user')).toBe(false);
    await expect(app({ installationId: 77 }).collaboratorPermission(REPO, 'alice')).resolves.toBe('admin');
  });

  it('the fake models installation tokens: 403 on GET /user', async () => {
    const host = app({ installationId: 77 });
    await host.getPullRequest(REPO, 1).catch(() => undefined);
    const token = gh.requests.find((r) => r.path === '/app/installations/77/access_tokens');
    expect(token).toBeDefined();
    const res = await fetch(`${gh.url}/user`, { headers: { authorization: `token ${await installationToken()}` } });
    expect(res.status).toBe(403);
    await expect(res.json()).resolves.toMatchObject({ message: 'Resource not accessible by integration' });
    const repo = await fetch(`${gh.url}/repos/${REPO}`, { headers: { authorization: `token ${await installationToken()}` } });
    await expect(repo.json()).resolves.toMatchObject({ permissions: { admin: false, maintain: false, push: false, triage: false, pull: false } });
  });

  it('says which repository the App is not installed on', async () => {
    await expect(app({ installationRepo: 'cyverse/elsewhere' }).createIssue('cyverse/elsewhere', 't', 'b', []))
      .rejects.toThrow('GitHub App 4242 is not installed on cyverse/elsewhere (install it there, or set github.app.installationId)');
  });

  it('is refused with a key the App does not have', async () => {
    const err = await app({ installationId: 77, privateKey: other }).createIssue(REPO, 't', 'b', []).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AuthError' });
    expect((err as Error).message).toContain('A JSON web token could not be decoded');
    expect((err as Error).message).not.toContain('PRIVATE KEY');
  });
});

async function installationToken(): Promise<string> {
  const { createAppAuth } = await import('@octokit/auth-app');
  const { request } = await import('@octokit/request');
  const auth = createAppAuth({ appId: 4242, privateKey: PEM, installationId: 77, request: request.defaults({ baseUrl: gh.url }) });
  return (await auth({ type: 'installation' })).token;
}
