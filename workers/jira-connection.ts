// The JIRA connection options from the `release.jira` section and the worker's environment:
// which deployment, and the credentials by the environment-variable names the config gives.
// Problems name the config key and the variable, never a value.
import { type JiraConnectionOptions } from '../clients/jira-connection.js';
import { type ReleaseConfig } from '../config/release.js';

/** Connection options, or the message saying which variable to set. */
export type JiraWiring = { ok: true; connection: JiraConnectionOptions } | { ok: false; problem: string };

export function jiraConnectionFromEnv(jira: NonNullable<ReleaseConfig['jira']>, env: Record<string, string | undefined>): JiraWiring {
  const token = env[jira.tokenEnv];
  const email = env[jira.userEnv];
  const emailSource = `the environment variable ${jira.userEnv} (release.jira.userEnv) to the Atlassian account e-mail`;
  if (!token) {
    const what = jira.deployment === 'cloud' ? 'the Jira Cloud API token' : jira.deployment === 'datacenter' ? 'the personal access token' : 'the API token (Cloud) or personal access token (Data Center)';
    return { ok: false, problem: `set the environment variable ${jira.tokenEnv} (release.jira.tokenEnv) to ${what}` };
  }
  if (jira.deployment === 'cloud' && !email) {
    return { ok: false, problem: `Jira Cloud takes the API token only with the account e-mail: set ${emailSource}` };
  }
  return { ok: true, connection: { baseUrl: jira.url, deployment: jira.deployment, token, ...(email ? { email } : {}), emailSource } };
}
