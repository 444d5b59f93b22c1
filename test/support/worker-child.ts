// A stratus worker in its own process, for tests that kill it with SIGKILL. The child builds its
// activities the way `stratus worker` does (workers/activity-deps.ts over a real stratus config,
// secrets from its environment) and runs the pre-bundled stratus workflows on one task queue.
//
// Parent side: `startWorkerChild(spec)` spawns `node --import tsx worker-child.ts <spec JSON>` and
// waits for WORKER_READY. The child prints `ACTIVITY_STARTED <name>` when an activity starts, so a
// test can kill it at a known step. `stallSiteAfter` makes the download site hang right after one
// of its writes (the write itself is real), to kill a worker between the writes of a publish.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What the child worker runs. Plain JSON: it travels on the command line. */
export interface WorkerChildSpec {
  /** host:port of the Temporal server. */
  address: string;
  taskQueue: string;
  /** The stratus workflow bundle (jest's globalSetup writes it; default: STRATUS_WORKFLOW_BUNDLE). */
  bundlePath?: string;
  /** A stratus.yaml as plain data (validated by the real schema in the child). */
  config: unknown;
  /** Directory relative paths in `config` resolve against. */
  baseDir: string;
  /** Heartbeat interval of build/test commands (the real default is 5 s). */
  imageHeartbeatIntervalMs?: number;
  /** Hang forever right after this site write completed (first call only). */
  stallSiteAfter?: 'installImage' | 'writeFeed' | 'writeIndex';
}

/** A running child worker. */
export interface WorkerChild {
  readonly pid: number;
  /** Everything the child printed on stdout so far. */
  output(): string;
  /** Resolves once the child printed `line` (rejects if it exits first or after `timeoutMs`). */
  waitFor(line: string, timeoutMs?: number): Promise<void>;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
}

/** Spawns a child worker (environment: the test's plus `env`, e.g. tokens) and waits until it polls. */
export async function startWorkerChild(spec: WorkerChildSpec, env: Record<string, string> = {}): Promise<WorkerChild> {
  const bundlePath = spec.bundlePath ?? process.env.STRATUS_WORKFLOW_BUNDLE;
  if (!bundlePath) throw new Error('no stratus workflow bundle: run the tests through jest (globalSetup bundles them)');
  const script = fileURLToPath(import.meta.url);
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify({ ...spec, bundlePath })], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
  });
  let out = '';
  let exited = false;
  const listeners = new Set<() => void>();
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    listeners.forEach((l) => l());
  });
  const gone = new Promise<void>((resolve) => proc.once('exit', () => {
    exited = true;
    listeners.forEach((l) => l());
    resolve();
  }));
  const child: WorkerChild = {
    pid: proc.pid!,
    output: () => out,
    waitFor: (line, timeoutMs = 30_000) => new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (out.includes(line)) done(resolve);
        else if (exited) done(() => reject(new Error(`the worker child exited before printing ${line}; output: ${out}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${line}; output: ${out}`))), timeoutMs);
      const done = (fn: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        fn();
      };
      listeners.add(check);
      check();
    }),
    async kill() {
      if (!exited) proc.kill('SIGKILL');
      await gone;
    },
  };
  try {
    await child.waitFor('WORKER_READY');
  } catch (error) {
    await child.kill();
    throw error;
  }
  return child;
}

async function main(spec: WorkerChildSpec): Promise<void> {
  const { NativeConnection, Worker, Runtime, DefaultLogger, makeTelemetryFilterString } = await import('@temporalio/worker');
  const { validateConfig } = await import('../../config/load.js');
  const { buildActivityDeps } = await import('../../workers/activity-deps.js');
  const { createActivities } = await import('../../activities/index.js');
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), forward: {} } },
  });
  const deps = buildActivityDeps({ config: validateConfig(spec.config, 'worker-child config'), baseDir: spec.baseDir }, process.env);
  if (deps.images) {
    const site = deps.images.site;
    const stall = spec.stallSiteAfter;
    let stalled = false;
    const after = <A extends unknown[], R>(name: NonNullable<WorkerChildSpec['stallSiteAfter']>, fn: (...a: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        const result = await fn(...args);
        if (stall === name && !stalled) {
          stalled = true;
          process.stdout.write(`STALLED site.${name}\n`);
          await new Promise<never>(() => undefined);
        }
        return result;
      };
    deps.images = {
      ...deps.images,
      ...(spec.imageHeartbeatIntervalMs ? { heartbeatIntervalMs: spec.imageHeartbeatIntervalMs } : {}),
      site: {
        siteDir: site.siteDir,
        installImage: after('installImage', site.installImage.bind(site)),
        removeImage: site.removeImage.bind(site),
        listImages: site.listImages.bind(site),
        writeFeed: after('writeFeed', site.writeFeed.bind(site)),
        readFeeds: site.readFeeds.bind(site),
        writeIndex: after('writeIndex', site.writeIndex.bind(site)),
      },
    };
  }
  const activities = Object.fromEntries(Object.entries(createActivities(deps)).map(([name, fn]) => [name, (...args: unknown[]) => {
    process.stdout.write(`ACTIVITY_STARTED ${name}\n`);
    return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
  }]));
  const connection = await NativeConnection.connect({ address: spec.address });
  const worker = await Worker.create({
    connection,
    taskQueue: spec.taskQueue,
    workflowBundle: { code: readFileSync(spec.bundlePath!, 'utf8') },
    // the workflow task waiting on this (soon dead) worker's sticky queue moves on quickly
    stickyQueueScheduleToStartTimeout: '1s',
    activities,
  });
  process.stdout.write('WORKER_READY\n');
  await worker.run();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main(JSON.parse(process.argv[2]!) as WorkerChildSpec);
}
