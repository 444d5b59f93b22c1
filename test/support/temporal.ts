// One call for a time-skipping TestWorkflowEnvironment backed by the embedded server.
//   STRATUS_TEST_SERVER unset / "embedded": the server runs in this process (fastest)
//   STRATUS_TEST_SERVER=executable: the SDK launches bin/stratus-temporal as an existing-path server
//   STRATUS_TEST_SERVER=sdk: the SDK's own downloaded test server (where a download is possible)
// so the same tests can run against both servers.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, Worker, makeTelemetryFilterString, type WorkerOptions } from '@temporalio/worker';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { fileURLToPath } from 'node:url';
import { startEmbeddedServer, type EmbeddedServer } from '../../devserver/index.js';

export interface TestEnv {
  env: TestWorkflowEnvironment;
  /** the in-process server, when the embedded mode is used */
  server?: EmbeddedServer;
  /** a worker on `taskQueue` with the pre-bundled workflows of `bundle` */
  worker(opts: Partial<WorkerOptions> & { taskQueue: string }, bundle?: 'stratus' | 'conformance'): Promise<Worker>;
  teardown(): Promise<void>;
}

let runtimeInstalled = false;
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), forward: {} } },
    });
  } catch {
    // already installed by another helper in this process
  }
}

const bundles = new Map<string, { code: string }>();
export function workflowBundle(kind: 'stratus' | 'conformance'): { code: string } {
  let b = bundles.get(kind);
  if (!b) {
    const file = process.env[kind === 'stratus' ? 'STRATUS_WORKFLOW_BUNDLE' : 'STRATUS_CONFORMANCE_BUNDLE'];
    if (!file) throw new Error(`no ${kind} workflow bundle: run the tests through jest (globalSetup bundles them)`);
    b = { code: readFileSync(file, 'utf8') };
    bundles.set(kind, b);
  }
  return b;
}

export async function createTestEnv(opts: { searchAttributes?: Record<string, string> } = {}): Promise<TestEnv> {
  quietRuntime();
  const mode = process.env.STRATUS_TEST_SERVER ?? 'embedded';
  let env: TestWorkflowEnvironment;
  let server: EmbeddedServer | undefined;
  if (mode === 'embedded') {
    server = await startEmbeddedServer({ port: 0, timeSkipping: true, searchAttributes: opts.searchAttributes, log: () => undefined });
    // createFromExistingServer turns time skipping off; the generic factory keeps it on.
    const create = (TestWorkflowEnvironment as unknown as { create(o: object): Promise<TestWorkflowEnvironment> }).create.bind(TestWorkflowEnvironment);
    env = await create({ server: { type: 'existing' }, address: server.address, supportsTimeSkipping: true, namespace: 'default' });
  } else if (mode === 'executable') {
    const path = fileURLToPath(new URL('../../bin/stratus-temporal', import.meta.url));
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  } else if (mode === 'sdk') {
    env = await TestWorkflowEnvironment.createTimeSkipping();
  } else {
    throw new Error(`STRATUS_TEST_SERVER must be embedded, executable or sdk, not ${JSON.stringify(mode)}`);
  }
  if (mode !== 'embedded' && opts.searchAttributes) {
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(Object.entries(opts.searchAttributes).map(([k, v]) => [k, indexedValueTypeNumber(v)])),
    });
  }
  return {
    env,
    server,
    worker: (wopts, bundle = 'conformance') =>
      Worker.create({
        connection: env.nativeConnection,
        workflowBundle: workflowBundle(bundle),
        namespace: 'default',
        ...wopts,
      }),
    async teardown() {
      if (process.env.STRATUS_RECORD_HISTORIES) await recordHistories(env, process.env.STRATUS_RECORD_HISTORIES);
      await env.teardown();
      await server?.close();
    },
  };
}

function indexedValueTypeNumber(name: string): number {
  const order = ['unspecified', 'text', 'keyword', 'int', 'double', 'bool', 'datetime', 'keywordlist'];
  const i = order.indexOf(name.toLowerCase());
  if (i <= 0) throw new Error(`unknown search attribute type ${name}`);
  return i;
}

/** Workflow types whose closed histories are kept as replay fixtures (test/replay/). */
const STRATUS_WORKFLOW_TYPES = ['releaseTrain', 'imageStream', 'nightlyBuild', 'lifecycle', 'lifecycleSweep', 'deployInstance'];
const MAX_FIXTURE_BYTES = 400_000;

/**
 * STRATUS_RECORD_HISTORIES=DIR: before an environment is torn down, write the histories
 * of stratus workflows (one per type and test file, the longest that fits) as replay fixtures.
 */
async function recordHistories(env: TestWorkflowEnvironment, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const best = new Map<string, { id: string; json: string }>();
  // open runs too: replaying a history that has not closed yet is as valid a check
  for await (const wf of env.client.workflow.list()) {
    if (!STRATUS_WORKFLOW_TYPES.includes(wf.type)) continue;
    const json = historyToJSON(await env.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory());
    if (json.length > MAX_FIXTURE_BYTES) continue;
    const current = best.get(wf.type);
    if (!current || json.length > current.json.length) best.set(wf.type, { id: wf.workflowId, json });
  }
  const testFile = (expect.getState().testPath ?? 'unknown').split('/').pop()!.replace(/\.test\.ts$/, '');
  for (const [type, { json }] of best) writeFileSync(join(dir, `${type}--${testFile}.json`), json);
}
