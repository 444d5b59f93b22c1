import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config/load.js';
import { TASK_QUEUES } from '../../config/task-queues.js';

const example = fileURLToPath(new URL('../../stratus.example.yaml', import.meta.url));

describe('stratus.example.yaml', () => {
  it('is valid against the schema', () => {
    const { config, found } = loadConfig(example);
    expect(found).toBe(true);
    expect(config.worker.taskQueues).toEqual([...TASK_QUEUES]);
    expect(config.dev.dbFile).toBe('.stratus/dev.db');
  });

  it('carries every domain section in the shape the issues give', () => {
    const { config } = loadConfig(example);
    expect(config.release?.repos.map((r) => [r.name, r.target])).toEqual([
      ['atmosphere', 'release-branch'],
      ['clank', 'master'],
    ]);
    expect(config.images?.streams.map((s) => s.name)).toEqual(['atomic-host']);
    expect(config.openstack?.region).toBe('RegionOne');
    expect(config.lifecycle?.rules.map((r) => r.kind)).toEqual(['shelve-stopped', 'delete-shelved', 'expire-allocation']);
    expect(config.lifecycle?.enforce).toBe(false);
  });

  it('documents every key it sets with a comment', () => {
    const text = readFileSync(example, 'utf8');
    expect(text.split('\n').filter((line) => line.trim().startsWith('#')).length).toBeGreaterThan(10);
  });
});
