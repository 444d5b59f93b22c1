import { type ActivityDeps } from '../activities/index.js';
import { type LoadedConfig } from '../config/load.js';
import { buildImageActivityDeps, ImageWiringError } from './image-streams.js';
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
  const deps: ActivityDeps = {
    ...buildImageActivityDeps(loaded, env),
    ...buildLifecycleActivityDeps(loaded, env),
    ...buildReleaseActivityDeps(loaded, env),
  };
  const glanceStream = (loaded.config.images?.streams ?? []).findIndex((s) => s.glance?.enabled);
  if (glanceStream >= 0 && deps.images) {
    const { openstack } = loaded.config;
    if (!openstack || !deps.openstack) {
      throw new ImageWiringError(`images.streams[${glanceStream}].glance: uploading to Glance needs the openstack: section (authUrl, auth)`);
    }
    deps.imageGlance = {
      cloud: deps.openstack.cloud,
      workDir: deps.images.workDir,
      siteDir: deps.images.site.siteDir,
      cloudLabel: openstack.region ?? new URL(openstack.authUrl).host,
    };
  }
  return deps;
}
