import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type ApplicationFailure } from '@temporalio/common';
import { createAllocationLoader } from '../../clients/allocations.js';
import { createAllocationActivities } from '../../activities/allocations.js';

const noop = (): void => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-alloc-act-'));
  server = createServer((req, res) => {
    if (req.url === '/busy') {
      res.writeHead(429, { 'retry-after': '3' }).end();
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ projectId: 'p1', endDate: '2026-01-31' }]));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

const { loadAllocations } = createAllocationActivities({ allocations: createAllocationLoader({ baseDir: '/nonexistent', timeoutMs: 2000 }) });
const run = (source: Parameters<typeof loadAllocations>[0]) => new MockActivityEnvironment({}, { logger: quiet }).run(loadAllocations, source);

describe('loadAllocations', () => {
  it('loads a file and an endpoint', async () => {
    await writeFile(join(dir, 'a.csv'), 'projectId,endDate\np2,2026-02-28\n');
    expect(await run({ file: join(dir, 'a.csv') })).toEqual([{ projectId: 'p2', endDate: '2026-02-28' }]);
    expect(await run({ url: `${base}/allocations` })).toEqual([{ projectId: 'p1', endDate: '2026-01-31' }]);
  });

  it('fails for good on a bad row, naming it, and for a retry (with the server\'s delay) when the endpoint is busy', async () => {
    await writeFile(join(dir, 'allocations.csv'), 'projectId,endDate\np1,2026-01-01\np2,2026-01-02\np3,2026-13-01\n');
    const bad = (await run({ file: join(dir, 'allocations.csv') }).catch((e: unknown) => e)) as ApplicationFailure;
    expect([bad.type, bad.nonRetryable, bad.message]).toEqual(['AllocationsInvalid', true, 'allocations.csv line 4: endDate "2026-13-01" is not a date (use YYYY-MM-DD)']);
    const busy = (await run({ url: `${base}/busy` }).catch((e: unknown) => e)) as ApplicationFailure;
    expect([busy.type, busy.nonRetryable, busy.nextRetryDelay]).toEqual(['AllocationsUnavailable', false, 3000]);
    const missing = (await run({ file: join(dir, 'gone.yaml') }).catch((e: unknown) => e)) as ApplicationFailure;
    expect([missing.type, missing.nonRetryable]).toEqual(['AllocationsNotFound', true]);
  });
});
