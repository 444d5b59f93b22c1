import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AllocationsError, createAllocationLoader } from '../../clients/allocations.js';

let dir: string;
let server: Server;
let base: string;
/** What the endpoint answers next, per path; and the requests it saw. */
const routes = new Map<string, { status: number; body: string; headers?: Record<string, string>; delayMs?: number }>();
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-alloc-'));
  server = createServer((req, res) => {
    seen.push(req);
    const route = routes.get(new URL(req.url ?? '/', 'http://x').pathname) ?? { status: 404, body: '{"error":"no such path"}' };
    setTimeout(() => {
      res.writeHead(route.status, { 'content-type': 'application/json', ...route.headers });
      res.end(route.body);
    }, route.delayMs ?? 0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

const loader = () => createAllocationLoader({ baseDir: dir, env: { ALLOC_TOKEN: 'tok-123' }, timeoutMs: 2000 });

async function failure(p: Promise<unknown>): Promise<AllocationsError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof AllocationsError) return error;
    throw error;
  }
  throw new Error('expected an AllocationsError');
}

describe('allocations from files', () => {
  it('reads a CSV with a header, quotes, comments and snake_case columns', async () => {
    await writeFile(join(dir, 'a.csv'), [
      '# exported from the allocation system', 'project_id,end_date,contact_email,notes',
      'proj-b,2026-06-30,pi@example.org,"renewal pending, ask Bob"', '', '"proj-a",2025-12-31T12:00:00+01:00,,',
    ].join('\r\n'));
    expect(await loader().load({ file: 'a.csv' })).toEqual([
      { projectId: 'proj-a', endDate: '2025-12-31T11:00:00.000Z' },
      { projectId: 'proj-b', endDate: '2026-06-30', contactEmail: 'pi@example.org' },
    ]);
  });

  it('names the line and field of every bad CSV row', async () => {
    await writeFile(join(dir, 'allocations.csv'), [
      'projectId,endDate,contactEmail', 'p1,2026-01-01,', 'p2,2026-02-30,', 'p3,2026-13-01,x@y.org', 'p1,2026-05-01,', 'p 4,2026-05-01,nobody',
    ].join('\n'));
    const e = await failure(loader().load({ file: 'allocations.csv' }));
    expect(e.kind).toBe('invalid');
    expect(e.problems).toEqual([
      'allocations.csv line 3: endDate "2026-02-30" is not a date (use YYYY-MM-DD)',
      'allocations.csv line 4: endDate "2026-13-01" is not a date (use YYYY-MM-DD)',
      'allocations.csv line 5: projectId "p1" is already listed at line 2',
      'allocations.csv line 6: projectId "p 4" is not a project id (letters, digits, "_", ".", "-")',
      'allocations.csv line 6: contactEmail "nobody" is not an email address',
    ]);
    expect(e.message).toContain('allocations.csv line 4: endDate "2026-13-01" is not a date');
  });

  it('refuses a CSV without the required columns', async () => {
    await writeFile(join(dir, 'cols.csv'), 'project,owner\np1,alice\n');
    const e = await failure(loader().load({ file: 'cols.csv' }));
    expect(e.message).toBe('cols.csv line 1: the header has no endDate column (expected projectId,endDate[,contactEmail])');
  });

  it('reads YAML lists and names the line of a bad item', async () => {
    await writeFile(join(dir, 'a.yaml'), 'allocations:\n  - { projectId: p1, endDate: "2026-01-31", contactEmail: a@example.org }\n  - projectId: p2\n    endDate: 2026-02-01\n');
    expect(await loader().load({ file: 'a.yaml' })).toEqual([
      { projectId: 'p1', endDate: '2026-01-31', contactEmail: 'a@example.org' }, { projectId: 'p2', endDate: '2026-02-01' },
    ]);
    await writeFile(join(dir, 'bad.yml'), '- projectId: p1\n  endDate: 2026-01-31\n- projectId: p2\n- projectId: p3\n  endDate: 20260101\n');
    const e = await failure(loader().load({ file: 'bad.yml' }));
    expect(e.problems).toEqual(['bad.yml line 3 (item 2): endDate is missing', 'bad.yml line 4 (item 3): endDate must be text, got 20260101']);
  });

  it('says which file is missing or of an unknown format', async () => {
    expect((await failure(loader().load({ file: 'nope.csv' }))).kind).toBe('not-found');
    await writeFile(join(dir, 'a.txt'), 'x');
    expect((await failure(loader().load({ file: 'a.txt' }))).message).toBe('a.txt: unknown allocations format ".txt": use .csv, .yaml, .yml or .json');
  });
});

describe('allocations from an HTTP JSON endpoint', () => {
  it('fetches with the bearer token and validates the rows', async () => {
    routes.set('/api/allocations', { status: 200, body: JSON.stringify({ allocations: [{ project_id: 'p9', end_date: '2026-03-01' }] }) });
    expect(await loader().load({ url: `${base}/api/allocations?key=secret` })).toEqual([{ projectId: 'p9', endDate: '2026-03-01' }]);
    await loader().load({ url: `${base}/api/allocations`, tokenEnv: 'ALLOC_TOKEN' });
    expect(seen[seen.length - 1].headers.authorization).toBe('Bearer tok-123');
  });

  it('names the item of a bad row and never shows the query string', async () => {
    routes.set('/bad', { status: 200, body: JSON.stringify([{ projectId: 'p1', endDate: '2026-01-01' }, { projectId: 'p2', endDate: 'soon' }]) });
    const e = await failure(loader().load({ url: `${base}/bad?token=hunter2` }));
    expect(e.message).toBe(`${base}/bad item 2: endDate "soon" is not a date (use YYYY-MM-DD)`);
    expect(e.message).not.toContain('hunter2');
  });

  it('tells retryable outages from permanent refusals', async () => {
    routes.set('/busy', { status: 503, body: '{}', headers: { 'retry-after': '7' } });
    routes.set('/denied', { status: 403, body: '{}' });
    routes.set('/html', { status: 200, body: '<html>login</html>' });
    const busy = await failure(loader().load({ url: `${base}/busy` }));
    expect([busy.kind, busy.retryAfterMs, busy.message]).toEqual(['unavailable', 7000, `${base}/busy: allocations endpoint answered 503 Service Unavailable`]);
    expect((await failure(loader().load({ url: `${base}/denied` }))).kind).toBe('denied');
    expect((await failure(loader().load({ url: `${base}/html` }))).message).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/html: not valid JSON/);
    const unset = await failure(createAllocationLoader({ baseDir: dir, env: {} }).load({ url: `${base}/api/allocations`, tokenEnv: 'ALLOC_TOKEN' }));
    expect(unset.message).toBe(`${base}/api/allocations: environment variable ALLOC_TOKEN (lifecycle.allocations.tokenEnv) is not set`);
  });

  it('gives up on a slow endpoint after the timeout', async () => {
    routes.set('/slow', { status: 200, body: '[]', delayMs: 1500 });
    const e = await failure(loader().load({ url: `${base}/slow`, timeoutMs: 200 }));
    expect([e.kind, e.message]).toEqual(['unavailable', `${base}/slow: allocations endpoint unreachable: no answer within 200 ms`]);
  });
});
