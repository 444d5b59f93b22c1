// The first run: `stratus dev` (`npm start`) with no ./stratus.yaml and no Temporal address sets up
// a demo that needs nothing outside the machine — bare git origins and tiny build/test scripts
// under .stratus/demo/, a simulated OpenStack cloud and a local mailbox (cli/demo-cloud.ts), a
// demo operator token for the dashboard, a config pointing at them — then starts release train
// v1, one image build, a lifecycle plan and an enforcing sweep (which warns, then waits for
// approval: it is over the demo's cap), and prints what to try next. No time speed-up.
import { type Client } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { hashToken } from '../dashboard/auth.js';
import { type TemporalTarget } from '../workers/temporal-connection.js';
import { DEMO_CLOUD_SECRET_ENV, type DemoCloud } from './demo-cloud.js';
import { BOOT_TEST, BUILD, DEMO_STREAM, demoYaml, LINT_TEST } from './demo-config.js';
import { resolveOperator } from './operator.js';
import { type CliIo, type Output } from './output.js';

/** Where the demo lives, relative to the working directory. */
export const DEMO_DIR = '.stratus/demo';
/** The demo's release train and image stream. */
export const DEMO_VERSION = 1;
export { DEMO_STREAM };
/** The demo operator's dashboard token, relative to the demo dir (mode 0600). */
export const DEMO_TOKEN_FILE = 'operator-token';
/** The client identity of what the demo itself starts. */
export const DEMO_IDENTITY = 'stratus-dev-demo';

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

/** The demo: its loaded config, and the simulated cloud and mailbox when they started. */
export interface Demo {
  loaded: LoadedConfig;
  cloud?: DemoCloud;
  /** The demo operator (login) whose token is in {@link DEMO_TOKEN_FILE}. */
  operator?: string;
}

/**
 * Creates (or reuses) the demo under `<cwd>/.stratus/demo`, starts its cloud and mailbox (unless
 * `cloud: false`) and loads its config; on failure warns and keeps `fallback`.
 */
export async function prepareDemo(io: CliIo, out: Output, fallback: LoadedConfig, options: { cloud?: boolean } = {}): Promise<Demo> {
  let cloud: DemoCloud | undefined;
  if (options.cloud !== false) {
    try {
      const { startDemoCloud } = await import('./demo-cloud.js');
      cloud = await startDemoCloud();
      // the workers of this process read the cloud's secret from the environment, as from any config
      process.env[DEMO_CLOUD_SECRET_ENV] = cloud.secret;
    } catch (error) {
      out.event('demo-cloud-failed', { error: (error as Error).message }, `warning: no demo cloud, so no lifecycle in the demo: ${(error as Error).message}`);
    }
  }
  try {
    return { ...(await writeDemo(io, out, cloud)), ...(cloud ? { cloud } : {}) };
  } catch (error) {
    await cloud?.close();
    out.event('demo-failed', { error: (error as Error).message }, `warning: the demo could not be set up: ${(error as Error).message}`);
    return { loaded: fallback };
  }
}

/** The demo operator's token (created once, kept across restarts) and the operators file with its hash. */
async function demoOperator(io: CliIo, dir: string): Promise<string> {
  const login = resolveOperator(undefined, io).login;
  const tokenFile = join(dir, DEMO_TOKEN_FILE);
  let token = await readFile(tokenFile, 'utf8').then((t) => t.trim(), () => '');
  if (token.length < 16) {
    token = randomBytes(24).toString('base64url');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  }
  await writeFile(join(dir, 'operators.yaml'), `# Dashboard operators of the demo: login: sha256(token). The token is in ${DEMO_TOKEN_FILE}.\n${login}: ${hashToken(token)}\n`);
  return login;
}

async function writeDemo(io: CliIo, out: Output, cloud: DemoCloud | undefined): Promise<{ loaded: LoadedConfig; operator: string }> {
  const dir = resolve(io.cwd, DEMO_DIR);
  await mkdir(join(dir, 'scripts'), { recursive: true });
  await origin(dir, 'atmosphere');
  await origin(dir, 'clank');
  for (const [file, text] of [['build.sh', BUILD], ['test-boot.sh', BOOT_TEST], ['test-lint.sh', LINT_TEST]] as const) {
    await writeFile(join(dir, 'scripts', file), text);
    await chmod(join(dir, 'scripts', file), 0o755);
  }
  if (cloud) await writeFile(join(dir, 'allocations.csv'), `${cloud.allocationsCsv}\n`);
  const operator = await demoOperator(io, dir);
  const file = join(dir, 'stratus.yaml');
  await writeFile(file, demoYaml(dir, cloud));
  out.event('demo', { config: file, cloud: cloud ? { authUrl: cloud.authUrl, servers: cloud.servers } : null },
    `No ./stratus.yaml: running the demo (config ${relative(io.cwd, file)}; local git origins and build scripts under ${DEMO_DIR}/` +
    `${cloud ? `; a simulated OpenStack cloud with ${cloud.servers} servers and a local mailbox` : ''})`);
  return { loaded: loadConfig(file), operator };
}

/** What {@link startDemo} started. */
export interface DemoStarted {
  train: string;
  build: string | null;
  /** The lifecycle plan run now (shown on the dashboard) and the enforcing sweep, when the demo has a cloud. */
  plan: string | null;
  sweep: string | null;
}

/**
 * Starts release train v1 (unless it exists), one image build (unless the stream built already)
 * and, with the demo cloud, a lifecycle plan and an enforcing sweep (unless one is running).
 */
export async function startDemo(client: Client, loaded: LoadedConfig): Promise<DemoStarted> {
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
  let build: string | null = null;
  if (status.buildsStarted === 0) ({ imageId: build } = await stream.executeUpdate<{ imageId: string }, [object]>(IMAGE_STREAM.buildUpdate, { args: [{}] }));
  const lifecycle = loaded.config.lifecycle;
  if (!lifecycle || !loaded.config.openstack) return { train, build, plan: null, sweep: null };
  const { ensureLifecycle, runPlan } = await import('./lifecycle.js');
  const { LIFECYCLE_WORKFLOW_ID } = await import('../workflows/lifecycle-sweep-types.js');
  await ensureLifecycle(client, lifecycle);
  const plan = await runPlan(client, lifecycle);
  const entity = client.workflow.getHandle(LIFECYCLE_WORKFLOW_ID);
  let sweep: string | null;
  try {
    ({ sweepId: sweep } = await entity.executeUpdate<{ sweepId: string }, [{ enforce: boolean }]>('sweepNow', { args: [{ enforce: true }] }));
  } catch {
    // a sweep from an earlier start is still running (waiting for approval): show that one
    sweep = (await entity.query<{ running?: { sweepId: string } }>('status')).running?.sweepId ?? null;
  }
  return { train, build, plan: plan.sweepId, sweep };
}

/**
 * Before the workers start it: the `lifecycle` workflow with the demo cloud's earlier warnings in
 * its memory (a restarted demo keeps the memory it has: the start arguments are then ignored).
 */
export async function startDemoLifecycle(client: Client, demo: Demo): Promise<void> {
  const lifecycle = demo.loaded.config.lifecycle;
  if (!lifecycle || !demo.cloud) return;
  const { lifecycleSettings } = await import('../config/lifecycle-settings.js');
  const { LIFECYCLE_TASK_QUEUE, LIFECYCLE_WORKFLOW_ID } = await import('../workflows/lifecycle-sweep-types.js');
  const settings = lifecycleSettings(lifecycle);
  await client.workflow.signalWithStart('lifecycle', {
    workflowId: LIFECYCLE_WORKFLOW_ID, taskQueue: LIFECYCLE_TASK_QUEUE, signal: 'configure', signalArgs: [settings],
    args: [{ settings, memory: { noticesSent: demo.cloud.earlierNotices, exemptions: [], reports: [], sweeps: 0 } }],
  });
}

/** After the workers are up: start the demo's work and print what to try next. Never throws. */
export async function runDemo(demo: Demo, target: TemporalTarget, out: Output, dashboardUrl: string | undefined): Promise<void> {
  const { loaded } = demo;
  try {
    const { Client } = await import('@temporalio/client');
    const { connectClient } = await import('../workers/temporal-connection.js');
    const connection = await connectClient(target);
    try {
      const started = await startDemo(new Client({ connection, namespace: target.namespace, identity: DEMO_IDENTITY }), loaded);
      out.event('demo-started', { ...started, dashboard: dashboardUrl ?? null, operator: demo.operator ?? null }, demoLines(demo, started, dashboardUrl).join('\n'));
    } finally {
      await connection.close();
    }
  } catch (error) {
    out.event('demo-failed', { error: (error as Error).message }, `warning: the demo could not start: ${(error as Error).message}`);
  }
}

/** What the demo prints: each command works as pasted in this directory (the CLI finds this `stratus dev` in .stratus/dev.json). */
export function demoLines(demo: Demo, started: DemoStarted, dashboardUrl: string | undefined): string[] {
  const cfg = relative(process.cwd(), demo.loaded.file) || demo.loaded.file;
  const cmd = (args: string) => `  npx stratus -c ${cfg} ${args}`;
  const lines = [
    `Demo: release train ${started.train} on local origins; image stream "${DEMO_STREAM}"${started.build ? ` building ${started.build}` : ''}` +
      `${started.sweep ? `; lifecycle on a simulated cloud of ${demo.cloud?.servers ?? 40} servers, sweep ${started.sweep} warning its users and waiting for approval` : ''}.`,
    ...(dashboardUrl ? [`Open ${dashboardUrl}/ (releases, images, lifecycle, mailbox, download page).`] : []),
    ...(dashboardUrl && demo.operator ? [`Dashboard actions as ${demo.operator}: paste the token from ${join(DEMO_DIR, DEMO_TOKEN_FILE)} into the token box.`] : []),
    'Try next (in another terminal, in this directory):',
    cmd(`release status ${DEMO_VERSION}`),
    `${cmd(`release advance ${DEMO_VERSION}`)}      # end the running sprint now (twice to reach "Release")`,
    `${cmd(`release approve ${DEMO_VERSION}`)}      # tag v${DEMO_VERSION}-1 in the demo origins`,
    cmd(`image build ${DEMO_STREAM} --wait`),
    cmd(`image list ${DEMO_STREAM}`),
    cmd(`image publish ${DEMO_STREAM}`),
  ];
  if (started.sweep) {
    lines.push(
      `${cmd('lifecycle report')}      # the newest sweep: over its cap, waiting for approval`,
      cmd('lifecycle plan'),
      `${cmd(`lifecycle approve ${started.sweep}`)}      # it shelves the stopped servers now`,
      cmd('audit lifecycle'),
    );
  }
  lines.push(cmd(`audit ${started.train}`), 'Write a ./stratus.yaml (see stratus.example.yaml) to run against your own systems.');
  return lines;
}
