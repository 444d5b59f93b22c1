// `stratus server` and `stratus dev` as real subprocesses: they print the Temporal address,
// a real SDK client can talk to it, and SIGTERM shuts them down cleanly (exit 0).
import { Connection } from '@temporalio/client';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmbeddedServer, startEmbeddedServer } from '../../devserver/index.js';
import { cleanEnv, runStratus } from './run-stratus.js';
import { type RunningStratus, spawnStratus } from './spawn-stratus.js';

let cwd: string;
let env: NodeJS.ProcessEnv;
const running: RunningStratus[] = [];

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'stratus-cli-long-'));
  // Reuse the bundle jest's global setup made, so `dev` skips webpack (it bundles itself otherwise).
  const bundle = process.env.STRATUS_WORKFLOW_BUNDLE;
  env = cleanEnv(cwd, bundle ? { STRATUS_WORKFLOW_BUNDLE: bundle } : {});
});
afterAll(async () => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  rmSync(cwd, { recursive: true, force: true });
});

async function systemInfo(address: string) {
  const connection = await Connection.connect({ address });
  try {
    return await connection.workflowService.getSystemInfo({});
  } finally {
    await connection.close();
  }
}

describe('stratus server', () => {
  it('serves Temporal on the printed address until SIGTERM, then exits 0', async () => {
    const server = spawnStratus(['--json', 'server', '--port', '0'], { cwd, env });
    running.push(server);
    const ready = await server.waitForEvent('server');
    expect(ready).toMatchObject({ namespace: 'default', dbFile: null });
    expect(ready.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(ready.address).toBe(`127.0.0.1:${String(ready.port)}`);

    const info = await systemInfo(ready.address as string);
    expect(info.capabilities).toBeDefined();

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    await server.waitForEvent('stopped');
  });
});

describe('stratus dev', () => {
  it('runs the embedded server (state file under .stratus/dev.db by default) and the workers, and stops on SIGTERM', async () => {
    const dev = spawnStratus(['dev', '--port', '0', '--json'], { cwd, env });
    running.push(dev);
    const server = await dev.waitForEvent('server');
    expect(server).toMatchObject({ namespace: 'default', dbFile: join(cwd, '.stratus', 'dev.db') });
    expect(existsSync(join(cwd, '.stratus'))).toBe(true);

    const ready = await dev.waitForEvent('ready', 60_000);
    expect(ready).toEqual({
      event: 'ready',
      temporal: { address: server.address, addressSource: 'embedded', namespace: 'default', tls: false, apiKey: false },
      taskQueues: ['stratus-release', 'stratus-images', 'stratus-lifecycle'],
    });
    await systemInfo(server.address as string);

    dev.child.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
    await dev.waitForEvent('stopped');
  });
});

describe('stratus worker', () => {
  let server: EmbeddedServer;
  let workerCwd: string;
  beforeAll(async () => {
    server = await startEmbeddedServer({ port: 0 });
    workerCwd = mkdtempSync(join(tmpdir(), 'stratus-cli-worker-'));
    writeFileSync(join(workerCwd, 'stratus.yaml'), 'worker:\n  taskQueues: [stratus-release]\n');
  });
  afterAll(async () => {
    await server?.close();
    rmSync(workerCwd, { recursive: true, force: true });
  });

  it('connects to TEMPORAL_ADDRESS, serves the configured queues, and exits 0 on SIGTERM', async () => {
    const worker = spawnStratus(['worker', '--json'], {
      cwd: workerCwd,
      env: { ...env, TEMPORAL_ADDRESS: server.address, TEMPORAL_API_KEY: '' },
    });
    running.push(worker);
    const ready = await worker.waitForEvent('ready', 60_000);
    expect(ready).toEqual({
      event: 'ready',
      temporal: { address: server.address, addressSource: 'environment', namespace: 'default', tls: false, apiKey: false },
      taskQueues: ['stratus-release'],
    });
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('names a namespace the server does not have and exits 2', async () => {
    const run = await runStratus(['worker'], {
      cwd: workerCwd,
      env: { ...env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'no-such-namespace' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'error: Temporal namespace "no-such-namespace" does not exist on this server: create it, or set TEMPORAL_NAMESPACE / temporal.namespace\n',
    );
  });

  it('says which address it could not reach, without the API key, and exits 1', async () => {
    const run = await runStratus(['worker'], {
      cwd: workerCwd,
      env: { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_API_KEY: 'sekrit-api-key-123', TEMPORAL_TLS: 'false' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: cannot connect to Temporal at 127.0.0.1:1: ');
    expect(run.stdout + run.stderr).not.toContain('sekrit-api-key-123');
  });
});
