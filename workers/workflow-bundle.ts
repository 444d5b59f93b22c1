import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

/** The single workflowsPath, resolved from this file (not the working directory). */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Workflow code ready for `Worker.create({ workflowBundle })`. */
export interface WorkflowBundle {
  code: string;
}

/**
 * Bundles workflows/index.ts once (webpack, 1–2 s) so several workers can share it instead of
 * each bundling on its own.
 */
export async function bundleWorkflows(): Promise<WorkflowBundle> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  return { code };
}

/** Reads a prebuilt bundle (e.g. from `bundleWorkflowCode` at image-build time). */
export async function readWorkflowBundle(file: string): Promise<WorkflowBundle> {
  return { code: await readFile(file, 'utf8') };
}

const noop = (): void => undefined;
const quietLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: (message: string) => console.error(message),
  error: (message: string) => console.error(message),
  log: noop,
};
