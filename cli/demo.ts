// The first run: `stratus dev` (`npm start`) with no ./stratus.yaml and no Temporal address sets up
// a demo that needs nothing outside the machine — bare git origins and tiny build/test scripts
// under .stratus/demo/, a config pointing at them — then starts release train v1 and one image
// build, and prints what to try next. No time speed-up: the train moves with `advance`.
import { type Client } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { type TemporalTarget } from '../workers/temporal-connection.js';
import { type CliIo, type Output } from './output.js';

/** Where the demo lives, relative to the working directory. */
export const DEMO_DIR = '.stratus/demo';
/** The demo's release train and image stream. */
export const DEMO_VERSION = 1;
export const DEMO_STREAM = 'demo';

const GIT_ENV = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' };
const IDENTITY = ['-c', 'user.name=stratus demo', '-c', 'user.email=demo@localhost', '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=master'];

function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile('git', [...IDENTITY, ...args], { cwd, env: GIT_ENV }, (error, stdout, stderr) => {
      if (error) reject(new Error(`git ${args[0]} failed in ${cwd}: ${stderr.trim() || error.message}`));
      else resolvePromise(stdout.trim());
    });
  });
}

/** A bare origin `<dir>/origins/<name>.git` with a first commit on master (kept when it exists). */
async function origin(dir: string, name: string): Promise<string> {
  const bare = join(dir, 'origins', `${name}.git`);
  if (existsSync(join(bare, 'HEAD'))) return bare;
  await mkdir(bare, { recursive: true });
  await git(bare, ['init', '--bare', '--quiet']);
  const work = await mkdtemp(join(dir, `.work-${name}-`));
  try {
    await git(work, ['init', '--quiet']);
    await writeFile(join(work, 'README.md'), `# ${name}\n\nA demo repository of the stratus first run.\n`);
    await git(work, ['add', 'README.md']);
    await git(work, ['commit', '--quiet', '-m', `${name}: first commit`]);
    await git(work, ['push', '--quiet', bare, 'HEAD:refs/heads/master']);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return bare;
}

const BUILD = `#!/bin/sh
# Demo image build: writes a small "disk image" into the output dir stratus gives it.
set -e
echo "building $STRATUS_BUILD_ID on $STRATUS_BASE_RELEASE"
printf 'demo disk image %s\\n' "$STRATUS_BUILD_ID" > "$STRATUS_OUTPUT_DIR/demo.qcow2"
`;
const BOOT_TEST = `#!/bin/sh
# Demo test: the image file exists and is not empty.
test -s "$STRATUS_IMAGE_DIR/demo.qcow2" || { echo "no image file in $STRATUS_IMAGE_DIR"; exit 1; }
echo "boots fine"
`;
const LINT_TEST = `#!/bin/sh
# Demo advisory test: always complains, which shows as "advisory fail" without failing the image.
echo "lint: the demo image has no release notes"
exit 1
`;

function demoYaml(dir: string): string {
  const url = (name: string) => JSON.stringify(`file://${join(dir, 'origins', `${name}.git`)}`);
  return `# Written by \`stratus dev\` on its first run (no ./stratus.yaml). Everything is local.
dev:
  dbFile: ../dev.db
release:
  cacheDir: git-cache
  trickleDown: never
  repos:
    - { name: atmosphere, url: ${url('atmosphere')}, target: release-branch }
    - { name: clank, url: ${url('clank')}, target: master }
images:
  site: { outDir: site, title: Demo image downloads }
  workDir: images
  streams:
    - name: ${DEMO_STREAM}
      base: demo-1
      build: { command: [sh, scripts/build.sh], timeout: 5m }
      tests:
        - { name: boot, command: [sh, scripts/test-boot.sh], timeout: 5m }
        - { name: lint, command: [sh, scripts/test-lint.sh], timeout: 5m, advisory: true }
`;
}

/** Creates (or reuses) the demo under `<cwd>/.stratus/demo` and loads its config; on failure warns and keeps `fallback`. */
export async function prepareDemo(io: CliIo, out: Output, fallback: LoadedConfig): Promise<LoadedConfig> {
  try {
    return await writeDemo(io, out);
  } catch (error) {
    out.event('demo-failed', { error: (error as Error).message }, `warning: the demo could not be set up: ${(error as Error).message}`);
    return fallback;
  }
}

async function writeDemo(io: CliIo, out: Output): Promise<LoadedConfig> {
  const dir = resolve(io.cwd, DEMO_DIR);
  await mkdir(join(dir, 'scripts'), { recursive: true });
  await origin(dir, 'atmosphere');
  await origin(dir, 'clank');
  for (const [file, text] of [['build.sh', BUILD], ['test-boot.sh', BOOT_TEST], ['test-lint.sh', LINT_TEST]] as const) {
    await writeFile(join(dir, 'scripts', file), text);
    await chmod(join(dir, 'scripts', file), 0o755);
  }
  const file = join(dir, 'stratus.yaml');
  await writeFile(file, demoYaml(dir));
  out.event('demo', { config: file }, `No ./stratus.yaml: running the demo (config ${relative(io.cwd, file)}; local git origins and build scripts under ${DEMO_DIR}/)`);
  return loadConfig(file);
}

/** Starts release train v1 (unless it exists) and one image build (unless the stream built already). */
export async function startDemo(client: Client, loaded: LoadedConfig): Promise<{ train: string; build: string | null }> {
  const { RELEASE_TASK_QUEUE, releaseWorkflowId, trainConfigFrom } = await import('../workflows/release-train-types.js');
  const { IMAGE_STREAM, streamWorkflowId } = await import('../workflows/image-stream-model.js');
  const train = releaseWorkflowId(DEMO_VERSION);
  try {
    await client.workflow.start('releaseTrain', {
      taskQueue: RELEASE_TASK_QUEUE, workflowId: train, args: [{ version: DEMO_VERSION, config: trainConfigFrom(loaded.config.release!) }],
    });
  } catch (error) {
    if ((error as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw error;
  }
  const stream = client.workflow.getHandle(streamWorkflowId(DEMO_STREAM));
  const status = await stream.query<{ buildsStarted: number }>(IMAGE_STREAM.statusQuery);
  if (status.buildsStarted > 0) return { train, build: null };
  const { imageId } = await stream.executeUpdate<{ imageId: string }, [object]>(IMAGE_STREAM.buildUpdate, { args: [{}] });
  return { train, build: imageId };
}

/** After the workers are up: start the demo's work and print what to try next. Never throws. */
export async function runDemo(loaded: LoadedConfig, target: TemporalTarget, out: Output, dashboardUrl: string | undefined): Promise<void> {
  try {
    const { Client } = await import('@temporalio/client');
    const { connectClient } = await import('../workers/temporal-connection.js');
    const connection = await connectClient(target);
    try {
      const started = await startDemo(new Client({ connection, namespace: target.namespace }), loaded);
      const cfg = relative(process.cwd(), loaded.file) || loaded.file;
      const env = `TEMPORAL_ADDRESS=${target.address}`;
      out.event('demo-started', { ...started, dashboard: dashboardUrl ?? null }, [
        `Demo: release train ${started.train} on local origins; image stream "${DEMO_STREAM}"${started.build ? ` building ${started.build}` : ''}.`,
        ...(dashboardUrl ? [`Open ${dashboardUrl}/ (releases, images, lifecycle, download page).`] : []),
        'Try next (in another terminal):',
        `  npx stratus -c ${cfg} release status ${DEMO_VERSION}`,
        `  npx stratus -c ${cfg} release advance ${DEMO_VERSION}      # end the running sprint now (twice to reach "Release")`,
        `  npx stratus -c ${cfg} release approve ${DEMO_VERSION}      # tag v${DEMO_VERSION}-1 in the demo origins`,
        `  ${env} npx stratus -c ${cfg} image build ${DEMO_STREAM} --wait`,
        `  ${env} npx stratus -c ${cfg} image list ${DEMO_STREAM}`,
        `  ${env} npx stratus -c ${cfg} image publish ${DEMO_STREAM}`,
        'Write a ./stratus.yaml (see stratus.example.yaml) to run against your own systems.',
      ].join('\n'));
    } finally {
      await connection.close();
    }
  } catch (error) {
    out.event('demo-failed', { error: (error as Error).message }, `warning: the demo could not start: ${(error as Error).message}`);
  }
}
