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
  _loaded: Pick<LoadedConfig, 'config' | 'baseDir'>,
  _env: Record<string, string | undefined> = process.env,
): ActivityDeps {
  // INTEGRATOR: construct each adapter here as its section lands, e.g.
  //   vcs: createGitVcs({ cacheDir: resolveConfigPath(loaded, config.release.cacheDir), ... })
  return {
    ...buildImageActivityDeps(_loaded, _env),
    ...buildLifecycleActivityDeps(_loaded, _env),
    ...buildReleaseActivityDeps(_loaded, _env),
  };
}
