// The JIRA fake's own deployment switches, by raw HTTP, as the real services answer.
import { startFakeJira, type FakeJira } from './jira.js';

const EMAIL = 'someone@example.org';
const TOKEN = 'cloud-token-1';
const basic = `Basic ${Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64')}`;

let cloud: FakeJira;
let dc: FakeJira;
beforeAll(async () => {
  cloud = await startFakeJira({ deployment: 'cloud', users: { [EMAIL]: TOKEN }, projects: ['ATMO'] });
  dc = await startFakeJira({ tokens: { 'pat-1': 'bot' }, projects: ['ATMO'] });
  for (let i = 0; i < 5; i++) cloud.addIssue({ project: 'ATMO', summary: `issue ${i}` });
});
afterAll(async () => {
  await cloud.close();
  await dc.close();
});

async function call(base: string, path: string, init: { method?: string; body?: unknown; authorization?: string } = {}) {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...(init.authorization ? { authorization: init.authorization } : {}) },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

it('answers serverInfo anonymously with the deployment type', async () => {
  expect((await call(cloud.url, '/rest/api/2/serverInfo')).body).toMatchObject({ deploymentType: 'Cloud' });
  expect((await call(dc.url, '/rest/api/2/serverInfo')).body).toMatchObject({ deploymentType: 'Server' });
});

it('Cloud: 410 on the removed searches, Bearer refused, search/jql paged by token without total', async () => {
  for (const path of ['/rest/api/2/search', '/rest/api/3/search']) {
    const r = await call(cloud.url, path, { method: 'POST', body: { jql: 'project = ATMO' }, authorization: basic });
    expect(r.status).toBe(410);
    expect(r.body.errorMessages).toEqual([expect.stringContaining('Please migrate to the /rest/api/3/search/jql API')]);
  }
  expect((await call(cloud.url, '/rest/api/2/myself', { authorization: `Bearer ${TOKEN}` })).status).toBe(401);

  const first = await call(cloud.url, '/rest/api/3/search/jql', { method: 'POST', body: { jql: 'project = ATMO', fields: ['summary'], maxResults: 3, startAt: 4 }, authorization: basic });
  expect(first.body).toMatchObject({ isLast: false, nextPageToken: expect.any(String) });
  expect(first.body).not.toHaveProperty('total');
  expect((first.body.issues as unknown[]).length).toBe(3); // startAt ignored
  const second = await call(cloud.url, '/rest/api/3/search/jql', {
    method: 'POST', body: { jql: 'project = ATMO', fields: ['summary'], maxResults: 3, nextPageToken: first.body.nextPageToken }, authorization: basic,
  });
  expect(second.body).toMatchObject({ isLast: true });
  expect((second.body.issues as unknown[]).length).toBe(2);
  const unbounded = await call(cloud.url, '/rest/api/3/search/jql', { method: 'POST', body: { jql: 'ORDER BY key' }, authorization: basic });
  expect(unbounded.status).toBe(400);
});

it('Data Center: api/2 search with total, Bearer PAT accepted, no search/jql', async () => {
  const r = await call(dc.url, '/rest/api/2/search', { method: 'POST', body: { jql: 'project = ATMO' }, authorization: 'Bearer pat-1' });
  expect(r).toMatchObject({ status: 200, body: { total: 0, startAt: 0 } });
  expect((await call(dc.url, '/rest/api/3/search/jql', { method: 'POST', body: { jql: 'project = ATMO' }, authorization: 'Bearer pat-1' })).status).toBe(404);
});
