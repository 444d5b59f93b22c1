// Every activity of the release train (git, GitHub, JIRA, the notes file) from optional ports:
// a worker whose config has no `release:` section (or no github/jira part) still starts, and a
// train that needs the missing part fails that step non-retryably with a message saying what to
// configure (the train then waits for an operator).
import { ApplicationFailure } from '@temporalio/common';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Vcs } from '../clients/git.js';
import { type CodeHost } from '../clients/github.js';
import { type ReleaseTracker } from '../clients/jira.js';
import { createGitActivities } from './git.js';
import { createGithubActivities } from './github.js';
import { createJiraActivities } from './jira.js';
import { createReleaseGithubActivities } from './release-github.js';
import { createReleaseNotesFileActivities } from './release-notes-file.js';

/** The ports of the release activities; each is absent when its config section is. */
export interface ReleaseActivityDeps {
  vcs?: Vcs;
  codeHost?: CodeHost;
  releaseTracker?: ReleaseTracker;
  /** Where release notes files go (absolute); default a `stratus-release-notes` temp dir. */
  releaseNotesDir?: string;
}

/**
 * A stand-in for a port that is not configured: every method fails non-retryably naming what
 * to configure.
 */
export function notConfigured<T extends object>(what: string, hint: string): T {
  return new Proxy({} as T, {
    get: (_target, property) =>
      typeof property === 'string' && property !== 'then'
        ? () => Promise.reject(ApplicationFailure.nonRetryable(`${what} is not configured on this worker: ${hint}`, 'NotConfigured', { what }))
        : undefined,
  });
}

/** The release train's activities: git, GitHub, JIRA and the notes file. */
export function createReleaseActivities(deps: ReleaseActivityDeps) {
  return {
    ...createGitActivities({ vcs: deps.vcs ?? notConfigured<Vcs>('git (release.repos)', 'add a release: section with repos to stratus.yaml') }),
    ...createGithubActivities({ codeHost: deps.codeHost ?? notConfigured<CodeHost>('GitHub (release.github)', 'add release.github to stratus.yaml') }),
    ...createReleaseGithubActivities({ codeHost: deps.codeHost ?? notConfigured<CodeHost>('GitHub (release.github)', 'add release.github to stratus.yaml') }),
    ...createJiraActivities({ releaseTracker: deps.releaseTracker ?? notConfigured<ReleaseTracker>('JIRA (release.jira)', 'add release.jira to stratus.yaml') }),
    ...createReleaseNotesFileActivities({ releaseNotesDir: deps.releaseNotesDir ?? join(tmpdir(), 'stratus-release-notes') }),
  };
}

export type ReleaseActivities = ReturnType<typeof createReleaseActivities>;
