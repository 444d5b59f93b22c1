// runWorkers against the real embedded Temporal server (in-process, ephemeral port).
import { NativeConnection } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { type EmbeddedServer, startEmbeddedServer } from '../../devserver/index.js';
import { validateConfig } from '../../config/load.js';
import { runWorkers } from '../../workers/run-workers.js';
import { bundleWorkflows, type WorkflowBundle } from '../../workers/workflow-bundle.js';

let server: EmbeddedServer;
let connection: NativeConnection;
let workflowBundle: WorkflowBundle;

beforeAll(async () => {
  server = await startEmbeddedServer({ port: 0 });
  connection = await NativeConnection.connect({ address: server.address });
  const prebuilt = process.env.STRATUS_WORKFLOW_BUNDLE;
  workflowBundle = prebuilt ? { code: readFileSync(prebuilt, 'utf8') } : await bundleWorkflows();
});
afterAll(async () => {
  await connection?.close();
  await server?.close();
});

describe('runWorkers', () => {
  it('serves exactly the configured task queues and returns when the signal aborts', async () => {
    const config = validateConfig({ worker: { taskQueues: ['stratus-images', 'stratus-lifecycle'] } });
    const controller = new AbortController();
    let readyQueues: readonly string[] = [];
    const done = runWorkers({
      connection,
      namespace: 'default',
      config,
      workflowBundle,
      signal: controller.signal,
      onReady: (queues) => {
        readyQueues = queues;
        controller.abort();
      },
    });
    await expect(done).resolves.toBeUndefined();
    expect(readyQueues).toEqual(['stratus-images', 'stratus-lifecycle']);
  });

  it('does not start polling when the signal is already aborted', async () => {
    let ready = false;
    await runWorkers({
      connection,
      namespace: 'default',
      config: validateConfig({}),
      workflowBundle,
      signal: AbortSignal.abort(),
      onReady: () => (ready = true),
    });
    expect(ready).toBe(false);
  });
});
