import { type ActivityDeps } from '../activities/index.js';
import { type LoadedConfig } from '../config/load.js';
import { buildImageActivityDeps } from './image-streams.js';
import { buildLifecycleActivityDeps } from './lifecycle.js';
import { buildReleaseActivityDeps } from './release-deps.js';

/**
 * Builds the adapters activities need from the config: the one place where clients
 * (git mirror cache, GitHub, JIRA, OpenStack, SMTP, ansible) are constructed and secrets are
 * read from the environment variables the config names.
 */
export function buildActivityDeps(
  loaded: Pick<LoadedConfig, 'config' | 'baseDir'>,
  env: Record<string, string | undefined> = process.env,
): ActivityDeps {
  return {
    ...buildImageActivityDeps(loaded, env),
    ...buildLifecycleActivityDeps(loaded, env),
    ...buildReleaseActivityDeps(loaded, env),
  };
}
