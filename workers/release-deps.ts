// The release train's adapters from the `release:` section: the git mirror cache (relative to
// the config file), GitHub and JIRA when configured, with tokens read from the environment
// variables the config names. A missing token does not stop the worker: the step that needs it
// fails naming the variable, and the train waits for an operator.
import { type ReleaseActivityDeps, notConfigured } from '../activities/release.js';
import { createGitVcs } from '../clients/git.js';
import { type CodeHost, createGithubCodeHost } from '../clients/github.js';
import { type ReleaseTracker, createJiraReleaseTracker } from '../clients/jira.js';
import { type LoadedConfig, resolveConfigPath } from '../config/load.js';
import { jiraConnectionFromEnv } from './jira-connection.js';
import { activityTimeLeftMs } from '../activities/github.js';
import { githubCredentials } from './github-connection.js';

/** `{ release }` for ActivityDeps; `{}` when the config has no `release:` section. */
export function buildReleaseActivityDeps(
  loaded: Pick<LoadedConfig, 'config' | 'baseDir'>,
  env: Record<string, string | undefined>,
): { release?: ReleaseActivityDeps } {
  const release = loaded.config.release;
  if (!release) return {};
  const vcs = createGitVcs({
    cacheDir: resolveConfigPath(loaded, release.cacheDir),
    repos: release.repos.map((r) => ({ name: r.name, url: r.url })),
    committer: release.committer,
  });
  let codeHost: CodeHost | undefined;
  if (release.github) {
    const credentials = githubCredentials(release.github, env, loaded, release.repos.find((r) => r.github)?.github);
    codeHost = 'missing' in credentials
      ? notConfigured<CodeHost>('the GitHub credentials', credentials.missing)
      : createGithubCodeHost({ ...credentials, baseUrl: release.github.apiUrl, remainingMs: activityTimeLeftMs });
  }
  let releaseTracker: ReleaseTracker | undefined;
  if (release.jira) {
    const wiring = jiraConnectionFromEnv(release.jira, env);
    releaseTracker = wiring.ok
      ? createJiraReleaseTracker(wiring.connection)
      : notConfigured<ReleaseTracker>('the JIRA credentials', `${wiring.problem} for the worker`);
  }
  return { release: { vcs, codeHost, releaseTracker, releaseNotesDir: resolveConfigPath(loaded, '.stratus/release-notes') } };
}
