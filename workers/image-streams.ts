// Image pipeline wiring: the adapters its activities need (command runner, site writer, failure
// trackers with credentials read from the env-var names the config gives, webhook poster), and the
// start-up of every configured stream's entity workflow.
import { Client } from '@temporalio/client';
import { type ActivityDeps } from '../activities/index.js';
import { createCommandRunner } from '../clients/command-runner.js';
import { activityTimeLeftMs } from '../activities/github.js';
import { createGithubCodeHost } from '../clients/github.js';
import { createSiteWriter } from '../clients/site.js';
import { type BugTracker, createGithubBugTracker, createJiraBugTracker } from '../clients/tracker.js';
import { createWebhookPoster } from '../clients/webhooks.js';
import { imageStreamSettings } from '../config/images.js';
import { type LoadedConfig, resolveConfigPath } from '../config/load.js';
import { type StratusConfig } from '../config/schema.js';
import { IMAGE_STREAM, IMAGES_TASK_QUEUE, type StreamConfiguration, streamWorkflowId } from '../workflows/image-stream-model.js';
import { jiraConnectionFromEnv } from './jira-connection.js';
import { githubCredentials } from './github-connection.js';
import { connectClient, type TemporalTarget } from './temporal-connection.js';

/** A tracker or webhook setting that cannot be used; names the config field and env var, never a secret. */
export class ImageWiringError extends Error {
  override readonly name = 'ImageWiringError';
}

/** The image pipeline's part of ActivityDeps; empty when `images:` is not configured. */
export function buildImageActivityDeps(
  loaded: Pick<LoadedConfig, 'config' | 'baseDir'>,
  env: Record<string, string | undefined>,
): Pick<ActivityDeps, 'images' | 'trackers' | 'webhooks'> {
  const images = loaded.config.images;
  if (!images) return {};
  const trackers: Record<string, BugTracker> = {};
  images.streams.forEach((stream, i) => {
    const tracker = stream.tracker;
    const field = `images.streams[${i}].tracker`;
    if (tracker?.kind === 'jira') {
      const jira = loaded.config.release?.jira;
      if (!jira) throw new ImageWiringError(`${field}: a JIRA tracker needs the JIRA connection in release.jira (url, userEnv, tokenEnv)`);
      const wiring = jiraConnectionFromEnv(jira, env);
      if (!wiring.ok) throw new ImageWiringError(`${field}: the JIRA credentials are missing: ${wiring.problem}`);
      trackers[stream.name] = createJiraBugTracker({
        project: tracker.project, connection: wiring.connection, labelPrefix: tracker.label ? `${tracker.label}-` : undefined,
        ...(tracker.issueType ? { issueType: tracker.issueType } : {}),
        ...(tracker.components ? { fields: { components: tracker.components.map((name) => ({ name })) } } : {}),
      });
    } else if (tracker?.kind === 'github') {
      const github = loaded.config.release?.github ?? { tokenEnv: 'GITHUB_TOKEN', apiUrl: 'https://api.github.com' };
      const credentials = githubCredentials(github, env, loaded, tracker.repo);
      if ('missing' in credentials) {
        const tokenEnv = github.tokenEnv;
        throw new ImageWiringError(github.app ? `${field}: ${credentials.missing}` : `${field}: the GitHub token is missing: set the environment variable ${tokenEnv}`);
      }
      const codeHost = createGithubCodeHost({ ...credentials, baseUrl: github.apiUrl, remainingMs: activityTimeLeftMs });
      trackers[stream.name] = createGithubBugTracker({
        repo: tracker.repo, codeHost, labelPrefix: tracker.label ? `${tracker.label}-` : undefined,
        log: { warn: (message) => console.warn(`stratus: ${field}: ${message}`) },
      });
    }
  });
  return {
    images: {
      runner: createCommandRunner(),
      site: createSiteWriter({ siteDir: resolveConfigPath(loaded, images.site.outDir) }),
      workDir: resolveConfigPath(loaded, images.workDir),
      commandCwd: loaded.baseDir,
      siteBaseUrl: images.site.baseUrl,
      pageTitle: images.site.title,
    },
    trackers,
    webhooks: images.webhooks.length > 0 ? createWebhookPoster({ urls: images.webhooks }) : null,
  };
}

/** What each configured stream's workflow is started (or reconfigured) with. */
export function streamConfigurations(config: Pick<StratusConfig, 'images'>): StreamConfiguration[] {
  const images = config.images;
  if (!images) return [];
  return images.streams.map((s) => ({ settings: imageStreamSettings(s), events: images.webhooks.length > 0 }));
}

/**
 * Starts every configured stream's `image-stream-<name>` workflow, or hands a running one the
 * current settings: signal-with-start of `configure`, so it is idempotent and a config change
 * reaches running streams on the next worker start. Returns the workflow ids.
 */
export async function startImageStreams(client: Client, config: Pick<StratusConfig, 'images'>): Promise<string[]> {
  const ids: string[] = [];
  for (const configuration of streamConfigurations(config)) {
    const workflowId = streamWorkflowId(configuration.settings.name);
    await client.workflow.signalWithStart('imageStream', {
      workflowId,
      taskQueue: IMAGES_TASK_QUEUE,
      args: [configuration],
      signal: IMAGE_STREAM.configureSignal,
      signalArgs: [configuration],
    });
    ids.push(workflowId);
  }
  return ids;
}

/** Connects a client to `target` and starts the configured streams (no-op without `images:` or the images queue). */
export async function startConfiguredImageStreams(target: TemporalTarget, config: StratusConfig): Promise<string[]> {
  if (!config.images || !config.worker.taskQueues.includes(IMAGES_TASK_QUEUE)) return [];
  const connection = await connectClient(target);
  try {
    return await startImageStreams(new Client({ connection, namespace: target.namespace }), config);
  } finally {
    await connection.close();
  }
}
