// Recorded histories of every stratus workflow replay on the current workflow code. A change that
// alters the order or number of commands of a shipped workflow fails here unless it is behind
// patched(). Fixtures are recorded from the end-to-end tests:
//   STRATUS_RECORD_HISTORIES=test/replay/histories npm run jest -- test/workflows
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { quietRuntime, workflowBundle } from '../support/temporal.js';

const dir = fileURLToPath(new URL('./histories', import.meta.url));
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const EXPECTED_TYPES = ['releaseTrain', 'imageStream', 'nightlyBuild', 'lifecycle', 'lifecycleSweep', 'deployInstance'];

beforeAll(() => quietRuntime());

test('there is a recorded history for every stratus workflow type', () => {
  const types = new Set(fixtures.map((f) => f.split('--')[0]));
  expect([...types].sort()).toEqual([...EXPECTED_TYPES].sort());
});

test.each(fixtures)('%s replays without nondeterminism', async (file) => {
  const history = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
  await Worker.runReplayHistory({ workflowBundle: workflowBundle('stratus') }, history, file);
});
