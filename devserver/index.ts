// The embedded Temporal server: in-process from code, or as bin/stratus-temporal.
import { Engine } from './engine.js';
import { addService, operatorServiceHandlers, testServiceHandlers, workflowServiceHandlers } from './service.js';
import { attachPersistence, type Persistence } from './persistence.js';
import { GrpcServer } from './grpc-server.js';

export interface EmbeddedServerOptions {
  /** 0 = ephemeral; default 7233 */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** persist state to this file and restore it on start (dev mode) */
  dbFile?: string;
  /** namespaces to create; default ['default'] */
  namespaces?: string[];
  /** @deprecated use namespaces */
  namespace?: string;
  /** virtual time that jumps to the next timer when nothing runs (the test server); default false */
  timeSkipping?: boolean;
  /** custom search attributes to register at start, name -> IndexedValueType name (e.g. 'Keyword') */
  searchAttributes?: Record<string, string>;
  log?: (msg: string) => void;
}

export interface EmbeddedServer {
  readonly address: string;
  readonly port: number;
  readonly engine: Engine;
  close(): Promise<void>;
}

export async function startEmbeddedServer(opts: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const host = opts.host ?? '127.0.0.1';
  const namespaces = opts.namespaces ?? [opts.namespace ?? 'default'];
  if (!namespaces.includes('default')) namespaces.push('default');
  const engine = new Engine({ timeSkipping: !!opts.timeSkipping, namespaces, log: opts.log });
  if (opts.searchAttributes) {
    engine.searchAttributes.add(
      Object.fromEntries(Object.entries(opts.searchAttributes).map(([k, v]) => [k, indexedValueType(v)])),
    );
  }
  let persistence: Persistence | undefined;
  if (opts.dbFile) persistence = attachPersistence(engine, opts.dbFile);

  const server = new GrpcServer({ maxReceiveMessageLength: 128 * 1024 * 1024, maxSendMessageLength: 128 * 1024 * 1024 });
  const log = engine.log;
  addService(server, 'temporal.api.workflowservice.v1.WorkflowService', workflowServiceHandlers(engine), log);
  addService(server, 'temporal.api.operatorservice.v1.OperatorService', operatorServiceHandlers(engine), log);
  if (opts.timeSkipping) addService(server, 'temporal.api.testservice.v1.TestService', testServiceHandlers(engine), log);

  let port: number;
  try {
    port = await server.listen(host, opts.port ?? 7233);
  } catch (err) {
    persistence?.stop();
    engine.shutdown();
    throw err;
  }
  let closed = false;
  return {
    address: `${host}:${port}`,
    port,
    engine,
    async close() {
      if (closed) return;
      closed = true;
      await persistence?.flush();
      persistence?.stop();
      engine.shutdown();
      await server.close(2000);
    },
  };
}

const TYPES: Record<string, string> = {
  text: 'INDEXED_VALUE_TYPE_TEXT',
  keyword: 'INDEXED_VALUE_TYPE_KEYWORD',
  int: 'INDEXED_VALUE_TYPE_INT',
  double: 'INDEXED_VALUE_TYPE_DOUBLE',
  float: 'INDEXED_VALUE_TYPE_DOUBLE',
  bool: 'INDEXED_VALUE_TYPE_BOOL',
  datetime: 'INDEXED_VALUE_TYPE_DATETIME',
  keywordlist: 'INDEXED_VALUE_TYPE_KEYWORD_LIST',
  keyword_list: 'INDEXED_VALUE_TYPE_KEYWORD_LIST',
};

export function indexedValueType(name: string): string {
  if (name.startsWith('INDEXED_VALUE_TYPE_')) return name;
  const t = TYPES[name.toLowerCase()];
  if (!t) throw new Error(`unknown search attribute type ${JSON.stringify(name)} (use Text, Keyword, Int, Double, Bool, Datetime or KeywordList)`);
  return t;
}
