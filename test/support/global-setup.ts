// Bundles the workflow code once per jest run (1-1.5 s each) and hands the paths to the tests
// through the environment, so no test pays for webpack.
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const bundles: Record<string, string> = {
  STRATUS_WORKFLOW_BUNDLE: 'workflows/index.ts',
  STRATUS_CONFORMANCE_BUNDLE: 'test/devserver/conformance-workflows.ts',
};

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-bundles-'));
  for (const [env, path] of Object.entries(bundles)) {
    const workflowsPath = resolve(path);
    if (!existsSync(workflowsPath)) continue;
    const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
    const file = join(dir, `${env}.js`);
    writeFileSync(file, code);
    process.env[env] = file;
  }
}

const noop = (): void => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop };
