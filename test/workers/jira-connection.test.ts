// The JIRA wiring from release.jira and the environment: the deployment's credentials, and
// messages naming the config key and variable (never a value) when one is missing.
import { releaseConfigSchema } from '../../config/release.js';
import { jiraConnectionFromEnv } from '../../workers/jira-connection.js';

const jira = (extra: Record<string, unknown> = {}) => releaseConfigSchema.parse({
  repos: [{ name: 'clank', url: '/srv/git/clank.git', target: 'master' }],
  jira: { url: 'https://example.atlassian.net', project: 'ATMO', ...extra },
}).jira!;

it('passes the e-mail and token on, with the deployment', () => {
  expect(jiraConnectionFromEnv(jira({ deployment: 'cloud' }), { JIRA_USER: 'rel@example.org', JIRA_TOKEN: 'tok-1' })).toEqual({
    ok: true,
    connection: expect.objectContaining({ baseUrl: 'https://example.atlassian.net', deployment: 'cloud', email: 'rel@example.org', token: 'tok-1' }),
  });
  expect(jiraConnectionFromEnv(jira({ deployment: 'datacenter', tokenEnv: 'DC_PAT' }), { DC_PAT: 'pat-2' })).toMatchObject({ ok: true, connection: { deployment: 'datacenter', token: 'pat-2' } });
});

it('names the missing jira.userEnv variable for Cloud, and the token variable when that is missing', () => {
  expect(jiraConnectionFromEnv(jira({ deployment: 'cloud', userEnv: 'ATLASSIAN_EMAIL' }), { JIRA_TOKEN: 'tok-secret-3' })).toEqual({
    ok: false,
    problem: 'Jira Cloud takes the API token only with the account e-mail: set the environment variable ATLASSIAN_EMAIL (release.jira.userEnv) to the Atlassian account e-mail',
  });
  expect(jiraConnectionFromEnv(jira(), {})).toEqual({
    ok: false, problem: 'set the environment variable JIRA_TOKEN (release.jira.tokenEnv) to the API token (Cloud) or personal access token (Data Center)',
  });
});

it('leaves the e-mail check to the first request when the deployment is auto (Cloud is only known then)', () => {
  const wiring = jiraConnectionFromEnv(jira(), { JIRA_TOKEN: 'tok-4' });
  expect(wiring).toMatchObject({ ok: true, connection: { deployment: 'auto', emailSource: 'the environment variable JIRA_USER (release.jira.userEnv) to the Atlassian account e-mail' } });
});
