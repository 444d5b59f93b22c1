import { ConfigError, formatProblem } from '../../config/errors.js';
import { parseConfig, validateConfig } from '../../config/load.js';
import { stratusConfigSchema } from '../../config/schema.js';
import { TASK_QUEUES } from '../../config/task-queues.js';

/** The lines a user reads for a bad config. */
function problemsOf(yaml: string): string[] {
  try {
    parseConfig(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem);
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('stratus config schema', () => {
  it('fills every default from an empty file', () => {
    expect(parseConfig('')).toEqual({
      temporal: {},
      dev: { port: 7233, host: '127.0.0.1', dbFile: '.stratus/dev.db', dashboardPort: 8080 },
      worker: { taskQueues: [...TASK_QUEUES] },
    });
    expect(parseConfig('# only a comment\n')).toEqual(parseConfig(''));
  });

  it('keeps what the user wrote and defaults the rest of the section', () => {
    const config = parseConfig('temporal:\n  address: temporal.internal:7233\n  namespace: ci\ndev:\n  port: 0\nworker:\n  taskQueues: [stratus-images]\n');
    expect(config.temporal).toEqual({ address: 'temporal.internal:7233', namespace: 'ci' });
    expect(config.dev).toEqual({ port: 0, host: '127.0.0.1', dbFile: '.stratus/dev.db', dashboardPort: 8080 });
    expect(config.worker.taskQueues).toEqual(['stratus-images']);
  });

  it('accepts IPv6 addresses in brackets', () => {
    expect(parseConfig('temporal:\n  address: "[::1]:7233"\n').temporal.address).toBe('[::1]:7233');
  });

  it('names an unknown key by its dotted path and suggests the likely one', () => {
    expect(problemsOf('dev:\n  prot: 7234\n')).toEqual(['dev.prot: unknown key (did you mean "port"?)']);
    expect(problemsOf('temporal:\n  namespce: ci\n')).toEqual(['temporal.namespce: unknown key (did you mean "namespace"?)']);
  });

  it('lists the allowed keys when an unknown key resembles none', () => {
    // The root lists every section, including the domain sections as they join the schema.
    const sections = Object.keys(stratusConfigSchema.shape);
    expect(sections.slice(0, 3)).toEqual(['temporal', 'dev', 'worker']);
    expect(problemsOf('colour: blue\n')).toEqual([`colour: unknown key (allowed: ${sections.join(', ')})`]);
    expect(problemsOf('worker:\n  flavour: x\n')).toEqual(['worker.flavour: unknown key (allowed: taskQueues)']);
  });

  it('reports every problem at once, each with its path', () => {
    expect(
      problemsOf(
        [
          'temporal:',
          '  address: https://temporal.example.org:7233',
          'dev:',
          '  port: 70000',
          '  dashboardPort: web',
          '  dbFile: ""',
          'worker:',
          '  taskQueues: [stratus-release, stratus-nightly]',
        ].join('\n'),
      ),
    ).toEqual([
      'temporal.address: must be host:port, e.g. temporal.example.org:7233 (no scheme, no path)',
      'dev.port: must be between 0 and 65535 (0 picks a free port)',
      'dev.dbFile: must not be empty',
      'dev.dashboardPort: must be a whole number (the dashboard port), got a string',
      'worker.taskQueues.1: must be one of stratus-release, stratus-images, stratus-lifecycle',
    ]);
  });

  it('rejects a fractional port, showing the number given', () => {
    expect(problemsOf('dev:\n  port: 7233.5\n')).toEqual(['dev.port: must be a whole number (the Temporal gRPC port), got 7233.5']);
  });

  it('rejects an empty or duplicated task queue list', () => {
    expect(problemsOf('worker:\n  taskQueues: []\n')).toEqual([
      'worker.taskQueues: must name at least one task queue (stratus-release, stratus-images, stratus-lifecycle)',
    ]);
    expect(problemsOf('worker:\n  taskQueues: [stratus-images, stratus-images]\n')).toEqual([
      'worker.taskQueues: must not name a task queue twice',
    ]);
  });

  it('rejects a bad namespace name', () => {
    expect(problemsOf('temporal:\n  namespace: "my ns"\n')).toEqual([
      'temporal.namespace: must be a Temporal namespace name: letters, digits, ".", "_" or "-", starting with a letter or digit',
    ]);
  });

  it('says a section left empty is not a mapping', () => {
    expect(problemsOf('dev:\n')).toEqual(['dev: expected a mapping (key: value pairs), got an empty value']);
    expect(problemsOf('worker: [a]\n')).toEqual(['worker: expected a mapping (key: value pairs), got a list']);
  });

  it('never echoes a string value back (it could be a misplaced secret)', () => {
    const lines = problemsOf('dev:\n  port: ghp_supersecrettoken\n');
    expect(lines).toEqual(['dev.port: must be a whole number (the Temporal gRPC port), got a string']);
  });

  it('rejects a top level that is not a mapping', () => {
    expect(problemsOf('- a\n- b\n')).toEqual(['the config must be a YAML mapping (key: value pairs) at the top level, got a list']);
    expect(() => validateConfig(42)).toThrow(ConfigError);
  });
});
