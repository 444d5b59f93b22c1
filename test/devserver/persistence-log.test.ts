// --db as an append log: one record per changed run, closed runs never rewritten, a torn last
// line tolerated and reported, unknown files and versions refused, compaction.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedServer } from '../../devserver/index.js';
import { quietRuntime } from '../support/temporal.js';
import { historyInDb, readDb, recordsPerWorkflow, withServer, withWorker } from './persistence-support.js';

const dir = mkdtempSync(join(tmpdir(), 'stratus-dblog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => quietRuntime());

const q = 'persist-log';

/** A db with three completed greetings and a counter waiting for signals. */
async function seed(dbFile: string): Promise<void> {
  await withServer(dbFile, async (server, client) => {
    await withWorker(server, q, async () => {
      for (const name of ['a', 'b', 'c']) {
        await client.workflow.execute('greeting', { taskQueue: q, workflowId: `greet-${name}`, args: [name] });
      }
      const counter = await client.workflow.start('counter', { taskQueue: q, workflowId: 'count', args: [1] });
      expect(await counter.query('count')).toBe(1);
    });
  });
}

/** Signals the seeded counter and waits until the change is in the file; the bytes appended. */
async function increment(client: Client, dbFile: string): Promise<number> {
  const size = statSync(dbFile).size;
  await client.workflow.getHandle('count').signal('increment', 1);
  // each signal is its own commit
  while (statSync(dbFile).size === size) await new Promise((r) => setTimeout(r, 10));
  return statSync(dbFile).size - size;
}

/** Restarts on the db, ends the seeded counter and checks the total it read back. */
async function expectCountAfterRestart(dbFile: string, total: number): Promise<void> {
  await withServer(dbFile, async (server, client) => {
    await withWorker(server, q, async () => {
      const counter = client.workflow.getHandle('count');
      await counter.signal('done');
      expect(await counter.result()).toBe(total);
    });
  });
}

test('the file is a versioned log; only changed runs get a record, closed runs are never rewritten', async () => {
  const dbFile = join(dir, 'grow', 'dev.db');
  await seed(dbFile);
  const { header, records } = readDb(dbFile);
  expect(header.stratusDevDb).toBe(3);
  expect(records.filter((r) => r.t === 'ns').map((r) => r.k)).toContain('ns:default');
  expect(records.filter((r) => r.t === 'sa')).toHaveLength(1);
  const before = recordsPerWorkflow(dbFile);
  expect([...before.keys()].sort()).toEqual(['count', 'greet-a', 'greet-b', 'greet-c']);
  // the last record of a run is its state; its history is in the pieces written with each change
  const lastA = records.filter((r) => r.run?.workflowId === 'greet-a').pop()!;
  expect(lastA.run!.status).toBe('WORKFLOW_EXECUTION_STATUS_COMPLETED');
  expect(lastA.run!.history).toBeUndefined();
  const historyA = historyInDb(records, lastA.run!.runId);
  expect(historyA).toHaveLength(lastA.historyLength!);
  expect(historyA.map((e) => e.eventId)).toEqual(historyA.map((_, i) => i + 1));
  expect(historyA.at(-1)!.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');

  // a restart, and a signal to the one open run while no worker runs: one record, for that run
  await withServer(dbFile, async (_server, client) => {
    await client.workflow.getHandle('count').signal('increment', 5);
  });
  const after = recordsPerWorkflow(dbFile);
  expect(after.get('count')).toBe(before.get('count')! + 1);
  for (const id of ['greet-a', 'greet-b', 'greet-c']) expect(after.get(id)).toBe(before.get(id));

  // a restart that changes nothing appends nothing
  const size = statSync(dbFile).size;
  await withServer(dbFile, async (_server, client) => {
    expect(await client.workflow.getHandle('greet-b').result()).toBe('hello, b');
  });
  expect(statSync(dbFile).size).toBe(size);

  await withServer(dbFile, async (server, client) => {
    const counter = client.workflow.getHandle('count');
    await withWorker(server, q, async () => {
      await counter.signal('done');
      expect(await counter.result()).toBe(6);
    });
  });
}, 60_000);

test('a torn last line (a crash in the middle of a write) is ignored with a warning, and cut off', async () => {
  const dbFile = join(dir, 'torn', 'dev.db');
  await seed(dbFile);
  const lines = readFileSync(dbFile, 'utf8').split('\n').length - 1;
  appendFileSync(dbFile, '{"t":"run","k":"run:half-written","run":{"namespace":"defa');
  const logged: string[] = [];
  await withServer(dbFile, async (_server, client) => {
    expect(await client.workflow.getHandle('greet-c').result()).toBe('hello, c');
    await client.workflow.getHandle('count').signal('increment', 1);
  }, (m) => logged.push(m));
  expect(logged.join('\n')).toContain(`warning: ${dbFile}: line ${lines + 1} is incomplete (the server stopped in the middle of a write); it is ignored`);
  // the next append started a new line: the file reads clean
  const again: string[] = [];
  await withServer(dbFile, async () => undefined, (m) => again.push(m));
  expect(again.join('\n')).not.toContain('warning');
  expect(readFileSync(dbFile, 'utf8')).not.toContain('half-written');
}, 60_000);

test('a corrupt line before the end is an error naming the file and the line', async () => {
  const dbFile = join(dir, 'corrupt.db');
  writeFileSync(dbFile, '{"stratusDevDb":2}\n{"t":"sa","k":"sa","custom":{}}\n{oops\n{"t":"sa","k":"sa","custom":{}}\n');
  await expect(startEmbeddedServer({ port: 0, dbFile, log: () => undefined })).rejects.toThrow(
    `cannot read the state file ${dbFile}: line 3 is corrupt (not a db record)`,
  );
});

test('an unknown version, or a file that is not a stratus db, is refused with what to do', async () => {
  const future = join(dir, 'future.db');
  writeFileSync(future, '{"stratusDevDb":4}\n');
  await expect(startEmbeddedServer({ port: 0, dbFile: future, log: () => undefined })).rejects.toThrow(
    `cannot read the state file ${future}: db version 4 is not supported (this stratus reads versions 2 and 3); use the stratus that wrote it, or move it away (or pass another --db FILE) to start with an empty db`,
  );
  const other = join(dir, 'package.json');
  writeFileSync(other, '{"name":"something else"}\n');
  await expect(startEmbeddedServer({ port: 0, dbFile: other, log: () => undefined })).rejects.toThrow(
    `cannot read the state file ${other}: it is not a stratus db (its first line is not a {"stratusDevDb":3} header); move it away`,
  );
  expect(readFileSync(other, 'utf8')).toBe('{"name":"something else"}\n');
});

test('a file mostly of replaced records is compacted at start: every run kept, the file smaller', async () => {
  const dbFile = join(dir, 'compact', 'dev.db');
  await seed(dbFile);
  // the same records twice more, as if each had been rewritten: three times the live size
  const [header, ...records] = readFileSync(dbFile, 'utf8').split('\n').filter((l) => l !== '');
  writeFileSync(dbFile, `${[header, ...records, ...records, ...records].join('\n')}\n`);
  const bloated = statSync(dbFile).size;
  await withServer(dbFile, async (_server, client) => {
    for (const name of ['a', 'b', 'c']) expect(await client.workflow.getHandle(`greet-${name}`).result()).toBe(`hello, ${name}`);
  });
  expect(statSync(dbFile).size).toBeLessThan(bloated / 2);
  expect(Object.fromEntries(recordsPerWorkflow(dbFile))).toEqual({ 'greet-a': 1, 'greet-b': 1, 'greet-c': 1, count: 1 });
  await withServer(dbFile, async (server, client) => {
    const counter = client.workflow.getHandle('count');
    await withWorker(server, q, async () => {
      await counter.signal('done');
      expect(await counter.result()).toBe(1);
    });
  });
}, 60_000);

test('a run rewritten many times keeps the file within twice its live size', async () => {
  const dbFile = join(dir, 'running', 'dev.db');
  await withServer(dbFile, async (server, client) => {
    const counter = await client.workflow.start('counter', { taskQueue: q, workflowId: 'busy', args: [0] });
    await withWorker(server, q, async () => {
      for (let i = 0; i < 30; i++) {
        await counter.signal('increment', 1);
        expect(await counter.query('count')).toBe(i + 1);
        await new Promise((r) => setTimeout(r, 110)); // let each signal be its own commit
      }
      await counter.signal('done');
      expect(await counter.result()).toBe(30);
    });
  });
  const text = readFileSync(dbFile, 'utf8');
  const lines = text.split('\n').filter((l) => l !== '');
  const last = new Map<string, number>();
  for (const l of lines.slice(1)) last.set((JSON.parse(l) as { k: string }).k, Buffer.byteLength(l) + 1);
  const live = Buffer.byteLength(lines[0]!) + 1 + [...last.values()].reduce((a, b) => a + b, 0);
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2 * live);
  expect(recordsPerWorkflow(dbFile).get('busy')).toBeGreaterThanOrEqual(1);
}, 90_000);

test('a version-1 snapshot of an earlier stratus is read and rewritten as a log', async () => {
  const dbFile = join(dir, 'legacy', 'dev.json');
  await seed(dbFile);
  // the same state as the whole-state JSON snapshot earlier versions wrote
  const lines = readFileSync(dbFile, 'utf8').split('\n').filter((l) => l !== '').slice(1).map((l) => JSON.parse(l) as Record<string, unknown>);
  const last = new Map(lines.map((r) => [r.k as string, r]));
  const records = [...last.values()];
  writeFileSync(dbFile, JSON.stringify({
    version: 1,
    savedAt: new Date().toISOString(),
    namespaces: records.filter((r) => r.t === 'ns').map((r) => r.ns),
    searchAttributes: records.find((r) => r.t === 'sa')!.custom,
    runs: records.filter((r) => r.t === 'run').map((r) => ({ ...(r.run as object), history: historyInDb(lines as never, (r.run as { runId: string }).runId) })),
  }));
  const logged: string[] = [];
  await withServer(dbFile, async (_server, client) => {
    expect(await client.workflow.getHandle('greet-a').result()).toBe('hello, a');
  }, (m) => logged.push(m));
  expect(logged.join('\n')).toContain('(a version 1 snapshot, now rewritten as a log)');
  expect(readDb(dbFile).header.stratusDevDb).toBe(3);
  expect(Object.fromEntries(recordsPerWorkflow(dbFile))).toEqual({ 'greet-a': 1, 'greet-b': 1, 'greet-c': 1, count: 1 });
}, 60_000);

test('a change to a run with a long history appends its new events, not the history again', async () => {
  const dbFile = join(dir, 'long', 'dev.db');
  await seed(dbFile);
  const appended: number[] = [];
  await withServer(dbFile, async (server, client) => {
    for (let i = 0; i < 300; i++) appended.push(await increment(client, dbFile));
    expect(server.engine.findRun('default', { workflowId: 'count' }).history.length).toBeGreaterThan(300);
  });
  // the 300th signal (history over 300 events) costs what the first did (a few events' worth);
  // a commit followed by a compaction shrinks the file, so those are left out of the averages
  const grown = appended.filter((n) => n > 0);
  const first = grown.slice(0, 10).reduce((a, b) => a + b) / 10;
  const last = grown.slice(-10).reduce((a, b) => a + b) / 10;
  expect(last).toBeLessThan(first * 1.5);
  expect(last).toBeLessThan(4000);
  // and the history reads back whole
  await expectCountAfterRestart(dbFile, 301);
}, 120_000);

test('a version-2 db (each run record holding its whole history) is read and rewritten as version 3', async () => {
  const dbFile = join(dir, 'v2', 'dev.db');
  await seed(dbFile);
  const { records } = readDb(dbFile);
  const last = new Map(records.map((r) => [r.k, r]));
  const v2 = [...last.values()].filter((r) => r.t !== 'ev').map((r) => {
    if (r.t !== 'run') return r;
    const { historyLength: _n, epoch: _e, ...rest } = r;
    return { ...rest, run: { ...(r.run as object), history: historyInDb(records, r.run!.runId) } };
  });
  writeFileSync(dbFile, ['{"stratusDevDb":2}', ...v2.map((r) => JSON.stringify(r))].join('\n') + '\n');
  await withServer(dbFile, async (server, client) => {
    expect(await client.workflow.getHandle('greet-a').result()).toBe('hello, a');
    const counter = client.workflow.getHandle('count');
    await withWorker(server, q, async () => {
      await counter.signal('increment', 2);
      await counter.signal('done');
      expect(await counter.result()).toBe(3);
    });
  });
  const after = readDb(dbFile);
  expect(after.header.stratusDevDb).toBe(3);
  expect(after.records.filter((r) => r.t === 'run').every((r) => r.run!.history === undefined)).toBe(true);
}, 60_000);

test('a compaction that cannot write (its temp file cannot be made) leaves the log as it was; a later one succeeds', async () => {
  const dbFile = join(dir, 'compact-fails', 'dev.db');
  await seed(dbFile);
  // the rewrite's temp file is `.dev.db.<pid>.tmp` beside the db: a directory there makes it fail
  const blocker = join(dir, 'compact-fails', `.dev.db.${process.pid}.tmp`);
  mkdirSync(blocker);
  const logged: string[] = [];
  const busy = async (client: Client, n: number) => {
    for (let i = 0; i < n; i++) await increment(client, dbFile);
  };
  await withServer(dbFile, async (_server, client) => {
    // each signal replaces the run's state record: the file is soon mostly replaced records
    await busy(client, 60);
    expect(logged.join('\n')).toContain(`cannot compact the state file ${dbFile}: `);
    rmdirSync(blocker);
    const failures = logged.length;
    const bloated = statSync(dbFile).size;
    await busy(client, 60);
    expect(logged.length).toBe(failures); // the next compaction went through
    expect(statSync(dbFile).size).toBeLessThan(bloated);
  }, (m) => logged.push(m));
  // nothing was lost on the way: 120 increments after the seed's 1
  await expectCountAfterRestart(dbFile, 121);
}, 120_000);

test('a signal retried with the same request id after a restart is not written twice', async () => {
  const dbFile = join(dir, 'signal-ids', 'dev.db');
  await seed(dbFile);
  const payload = { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('2') }] };
  const send = (client: Client) =>
    client.workflowService.signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'count' }, signalName: 'increment', input: payload, requestId: 'retried-signal' });
  const signals = (client: Client) =>
    client.workflow.getHandle('count').fetchHistory().then((h) => h.events!.filter((e) => e.workflowExecutionSignaledEventAttributes).length);
  await withServer(dbFile, async (_server, client) => {
    await send(client);
    await send(client);
    expect(await signals(client)).toBe(1);
  });
  // the id is read back from the signal event: the state record does not carry a growing list
  expect(readDb(dbFile).records.some((r) => r.t === 'run' && 'signalRequestIds' in (r.run as unknown as object))).toBe(false);
  await withServer(dbFile, async (_server, client) => {
    await send(client);
    expect(await signals(client)).toBe(1);
  });
  await expectCountAfterRestart(dbFile, 3);
}, 60_000);
