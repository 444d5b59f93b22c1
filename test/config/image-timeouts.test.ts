// The `timeouts:` key of an image stream: how soon a dead worker's build or publish is retried.
import { parse } from 'yaml';
import { imagesConfigSchema, imageStreamSettings } from '../../config/images.js';
import { validateConfig } from '../../config/load.js';

const config = (timeouts: string): unknown => parse(`
images:
  site: { outDir: ./site }
  streams:
    - name: atomic-host
      base: fedora-42
      build: { command: ["./build.sh"] }
${timeouts}
`);

it('turns timeouts into the activity timeouts of the stream workflow, and leaves them out when unset', () => {
  const set = validateConfig(config('      timeouts: { heartbeat: 2m, publish: 10m }')).images!;
  expect(imageStreamSettings(set.streams[0]!).activityTimeouts).toEqual({ heartbeatMs: 120_000, publishMs: 600_000 });
  const unset = imagesConfigSchema.parse((config('') as { images: unknown }).images);
  expect(imageStreamSettings(unset.streams[0]!)).not.toHaveProperty('activityTimeouts');
});

it('names the field of a bad duration or an unknown timeout', () => {
  expect(() => validateConfig(config('      timeouts: { heartbeat: 2s }'))).toThrow(/images\.streams\.0\.timeouts\.heartbeat: .*invalid duration "2s"/);
  expect(() => validateConfig(config('      timeouts: { publish: soon }'))).toThrow(/images\.streams\.0\.timeouts\.publish: /);
  expect(() => validateConfig(config('      timeouts: { build: 1h }'))).toThrow(/images\.streams\.0\.timeouts.*build/);
});
