// The GitHub fake cannot drift from GitHub: every endpoint the adapter calls, in its success and
// error answers, is validated against the response schema of GitHub's published REST description
// (@octokit/openapi), and the error bodies against a recorded real answer (@octokit/fixtures).
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { createAppAuth } from '@octokit/auth-app';
import { startFakeGithub, type FakeGithub } from './github.js';
import { commitFiles, createOrigin, git, tempDir } from '../support/git-repos.js';

const require = createRequire(import.meta.url);
type Op = { responses: Record<string, { content?: Record<string, { schema: object }> }> };
const spec = require('@octokit/openapi/generated/api.github.com.deref.json') as { paths: Record<string, Record<string, Op>>; components: { schemas: Record<string, object> } };
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true, validateFormats: true }));
const compiled = new Map<string, ValidateFunction>();

function validatorFor(method: string, template: string, status: number): ValidateFunction {
  const key = `${method} ${template} ${status}`;
  let v = compiled.get(key);
  if (!v) {
    const op = spec.paths[template]?.[method.toLowerCase()];
    if (!op) throw new Error(`no operation ${method} ${template} in @octokit/openapi`);
    const response = op.responses[String(status)];
    if (!response) throw new Error(`${method} ${template} documents no ${status} answer (it has ${Object.keys(op.responses).join(', ')})`);
    const schema = response.content?.['application/json']?.schema ?? spec.components.schemas['basic-error'];
    v = ajv.compile(toJsonSchema(schema) as object);
    compiled.set(key, v);
  }
  return v;
}

/** OpenAPI 3.0's `nullable: true` as JSON Schema (`type: [t, "null"]`, or anyOf with null). */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) out[k] = k === 'example' || k === 'examples' || k === 'enum' ? v : toJsonSchema(v);
  if (nullable !== true) return out;
  if (typeof out.type === 'string') {
    if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
    return { ...out, type: [out.type, 'null'] };
  }
  return { anyOf: [out, { type: 'null' }] };
}

const REPO = 'cyverse/atmosphere';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
let gh: FakeGithub;
let dir: { path: string; cleanup: () => Promise<void> };
let tagSha = '';
let headSha = '';

beforeAll(async () => {
  dir = await tempDir();
  const origin = await createOrigin(dir.path, 'atmosphere');
  headSha = await commitFiles(origin.work, { 'b.txt': 'b\n' }, 'b');
  await git(origin.work, ['push', '-q', 'origin', 'HEAD:refs/heads/feature']);
  await git(origin.work, ['tag', '-a', '-m', 'v1-1', 'v1-1', headSha]);
  await git(origin.work, ['push', '-q', 'origin', 'refs/tags/v1-1']);
  tagSha = await git(origin.path, ['rev-parse', 'refs/tags/v1-1']);
  gh = await startFakeGithub({
    tokens: { ghp_alice: 'alice', ghp_noscope: { login: 'alice', scopes: [] } },
    repos: { [REPO]: { admins: ['alice'], git: origin.path } },
    apps: [{ id: 9, slug: 'stratus-ci', publicKey, installations: { 5: { account: 'cyverse', repos: [REPO] } } }],
  });
});
afterAll(async () => {
  await gh.close();
  await dir.cleanup();
});

async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${gh.url}${path}`, { method, headers: { authorization: `token ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

async function check(method: string, template: string, path: string, status: number, token = 'ghp_alice', body?: unknown): Promise<unknown> {
  const got = await call(method, path, token, body);
  expect({ [`${method} ${path}`]: got.status }).toEqual({ [`${method} ${path}`]: status });
  const validate = validatorFor(method, template, status);
  const ok = validate(got.json);
  expect({ [`${method} ${template} ${status}`]: ok ? 'valid' : ajv.errorsText(validate.errors) }).toEqual({ [`${method} ${template} ${status}`]: 'valid' });
  return got.json;
}

const R = '/repos/{owner}/{repo}';

it('repository, permission, refs and tag objects', async () => {
  await check('GET', R, `/repos/${REPO}`, 200);
  await check('GET', R, '/repos/cyverse/missing', 404);
  await check('GET', `${R}/collaborators/{username}/permission`, `/repos/${REPO}/collaborators/alice/permission`, 200);
  await check('GET', `${R}/git/ref/{ref}`, `/repos/${REPO}/git/ref/tags/v1-1`, 200);
  await check('GET', `${R}/git/ref/{ref}`, `/repos/${REPO}/git/ref/tags/none`, 404);
  await check('GET', `${R}/git/tags/{tag_sha}`, `/repos/${REPO}/git/tags/${tagSha}`, 200);
});

it('releases: create, read, already exists, invalid target, no scope', async () => {
  await check('POST', `${R}/releases`, `/repos/${REPO}/releases`, 201, 'ghp_alice', { tag_name: 'v1-1', target_commitish: headSha, name: 'v1-1', body: 'notes' });
  await check('GET', `${R}/releases/tags/{tag}`, `/repos/${REPO}/releases/tags/v1-1`, 200);
  await check('GET', `${R}/releases/tags/{tag}`, `/repos/${REPO}/releases/tags/v9-9`, 404);
  await check('POST', `${R}/releases`, `/repos/${REPO}/releases`, 422, 'ghp_alice', { tag_name: 'v1-1' });
  await check('POST', `${R}/releases`, `/repos/${REPO}/releases`, 422, 'ghp_alice', { tag_name: 'v1-2', target_commitish: 'f'.repeat(40) });
  await check('POST', `${R}/releases`, `/repos/${REPO}/releases`, 404, 'ghp_noscope', { tag_name: 'v1-3' });
});

it('pull requests: create, list, read, already exists, merge', async () => {
  const pr = await check('POST', `${R}/pulls`, `/repos/${REPO}/pulls`, 201, 'ghp_alice', { head: 'feature', base: 'master', title: 'Feature', body: 'b' }) as { number: number };
  await check('POST', `${R}/pulls`, `/repos/${REPO}/pulls`, 422, 'ghp_alice', { head: 'feature', base: 'master', title: 'Feature' });
  await check('GET', `${R}/pulls`, `/repos/${REPO}/pulls?state=all&head=cyverse:feature`, 200);
  await check('GET', `${R}/pulls/{pull_number}`, `/repos/${REPO}/pulls/${pr.number}`, 200);
  await check('PUT', `${R}/pulls/{pull_number}/merge`, `/repos/${REPO}/pulls/${pr.number}/merge`, 200, 'ghp_alice', {});
  await check('GET', `${R}/pulls/{pull_number}`, `/repos/${REPO}/pulls/${pr.number}`, 200);
  await check('GET', `${R}/pulls/{pull_number}`, `/repos/${REPO}/pulls/999`, 404);
});

it('issues, comments and labels', async () => {
  const issue = await check('POST', `${R}/issues`, `/repos/${REPO}/issues`, 201, 'ghp_alice', { title: 'Build failed', body: 'log', labels: ['stratus-a'] }) as { number: number };
  await check('POST', `${R}/issues`, `/repos/${REPO}/issues`, 422, 'ghp_alice', { body: 'no title' });
  await check('GET', `${R}/issues`, `/repos/${REPO}/issues?labels=stratus-a&state=open`, 200);
  await check('GET', `${R}/issues`, `/repos/${REPO}/issues?state=all`, 200);
  await check('GET', `${R}/issues/{issue_number}`, `/repos/${REPO}/issues/${issue.number}`, 200);
  await check('POST', `${R}/issues/{issue_number}/comments`, `/repos/${REPO}/issues/${issue.number}/comments`, 201, 'ghp_alice', { body: 'again' });
  await check('GET', `${R}/issues/{issue_number}/comments`, `/repos/${REPO}/issues/${issue.number}/comments`, 200);
  await check('POST', `${R}/issues/{issue_number}/labels`, `/repos/${REPO}/issues/${issue.number}/labels`, 200, 'ghp_alice', { labels: ['b'] });
  await check('POST', `${R}/labels`, `/repos/${REPO}/labels`, 201, 'ghp_alice', { name: 'stratus-z', color: '00ff00' });
  await check('POST', `${R}/labels`, `/repos/${REPO}/labels`, 422, 'ghp_alice', { name: 'stratus-y', color: 'red' });
  await check('GET', `${R}/labels/{name}`, `/repos/${REPO}/labels/stratus-z`, 200);
  await check('GET', `${R}/issues/{issue_number}`, `/repos/${REPO}/issues/999`, 404);
});

it('GitHub App: app, installation lookup, installation token, and what the token may not do', async () => {
  const appAuth = createAppAuth({ appId: 9, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
  const { token: jwt } = await appAuth({ type: 'app' });
  await check('GET', '/app', '/app', 200, jwt);
  await check('GET', `${R}/installation`, `/repos/${REPO}/installation`, 200, jwt);
  const minted = await check('POST', '/app/installations/{installation_id}/access_tokens', '/app/installations/5/access_tokens', 201, jwt) as { token: string };
  await check('GET', '/user', '/user', 403, minted.token);
  await check('GET', R, `/repos/${REPO}`, 200, minted.token);
});

it('the 422 body has the shape of the recorded real answer', async () => {
  const recorded = (require('@octokit/fixtures/scenarios/api.github.com/errors/normalized-fixture.json') as Array<{ status: number; response: Record<string, unknown> }>).find((r) => r.status === 422)!.response;
  const ours = (await call('POST', `/repos/${REPO}/labels`, 'ghp_alice', { name: 'x', color: 'nope' })).json as Record<string, unknown>;
  expect(Object.keys(ours).filter((k) => k !== 'status').sort()).toEqual(Object.keys(recorded).sort());
  expect(ours.errors).toEqual(recorded.errors);
});
