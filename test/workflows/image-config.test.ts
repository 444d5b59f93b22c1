// Tests of config/images.ts (kept beside the image planning tests whose settings it produces).
import { parse } from 'yaml';
import { imagesConfigSchema, imageStreamSettings } from '../../config/images.js';

const ISSUE_YAML = `
images:
  site: { outDir: ./site, baseUrl: "https://images.example.org" }
  streams:
    - name: atomic-host
      base: fedora-42
      nightlyAt: "02:00"
      publishEvery: 14d
      onNoPass: skip            # or: rebuild-until-pass
      build: { command: ["./build-image.sh", "--compose", "nightly"], timeout: 2h }
      tests:
        - { name: boot, command: ["./tests/boot.sh"], timeout: 20m }
        - { name: docs-links, command: ["./tests/links.sh"], advisory: true }
      tracker: { kind: jira, project: ATMO }   # or { kind: github, repo: owner/name } or omitted
`;

const section = (): Record<string, unknown> => (parse(ISSUE_YAML) as { images: Record<string, unknown> }).images;
const firstStream = (): Record<string, unknown> => (section().streams as Record<string, unknown>[])[0]!;
const withStream = (over: Record<string, unknown>): Record<string, unknown> => ({ ...section(), streams: [{ ...firstStream(), ...over }] });

/** The issues zod reports, as "dotted.path: message". */
function problems(input: unknown): string[] {
  const result = imagesConfigSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('imagesConfigSchema', () => {
  it('accepts the YAML of the issue as it stands and fills in defaults', () => {
    expect(imagesConfigSchema.parse(section())).toEqual({
      site: { outDir: './site', baseUrl: 'https://images.example.org' },
      workDir: '.stratus/images',
      webhooks: [],
      streams: [
        {
          name: 'atomic-host',
          base: 'fedora-42',
          nightlyAt: '02:00',
          publishEvery: '14d',
          onNoPass: 'skip',
          build: { command: ['./build-image.sh', '--compose', 'nightly'], timeout: '2h' },
          tests: [
            { name: 'boot', command: ['./tests/boot.sh'], timeout: '20m', advisory: false },
            { name: 'docs-links', command: ['./tests/links.sh'], timeout: '30m', advisory: true },
          ],
          keepBuilds: 30,
          tracker: { kind: 'jira', project: 'ATMO' },
        },
      ],
    });
  });

  it('accepts the other tracker, no tracker, Glance, and a minimal stream', () => {
    expect(problems(withStream({ tracker: { kind: 'github', repo: 'fedora/atomic-host', label: 'image-failure' } }))).toEqual([]);
    expect(problems(withStream({ tracker: { kind: 'jira', project: 'ATMO', issueType: 'Task', components: ['images'] } }))).toEqual([]);
    expect(problems(withStream({ tracker: undefined, glance: { enabled: true }, onNoPass: 'rebuild-until-pass', keepBuilds: 5 }))).toEqual([]);
    const minimal = imagesConfigSchema.parse({ site: { outDir: 'site' }, streams: [{ name: 'cloud', base: 'f42', build: { command: ['make'] } }] });
    expect(minimal.streams[0]).toMatchObject({ nightlyAt: '02:00', publishEvery: '14d', onNoPass: 'skip', tests: [], keepBuilds: 30, build: { timeout: '2h' } });
  });

  it('turns a stream into workflow settings with durations in milliseconds', () => {
    const config = imagesConfigSchema.parse(withStream({ glance: { enabled: true }, build: { command: ['./b.sh'], timeout: '1h30m', env: { COMPOSE: 'nightly' } } }));
    expect(imageStreamSettings(config.streams[0]!)).toEqual({
      name: 'atomic-host',
      baseRelease: 'fedora-42',
      nightlyAtMs: 2 * 3_600_000,
      publishEveryMs: 14 * 86_400_000,
      onNoPass: 'skip',
      build: { command: ['./b.sh'], timeoutMs: 90 * 60_000, env: { COMPOSE: 'nightly' } },
      tests: [
        { name: 'boot', command: ['./tests/boot.sh'], advisory: false, timeoutMs: 20 * 60_000 },
        { name: 'docs-links', command: ['./tests/links.sh'], advisory: true, timeoutMs: 30 * 60_000 },
      ],
      keepBuilds: 30,
      tracker: { kind: 'jira', project: 'ATMO' },
      glance: { visibility: 'private', onRevoke: 'deactivate' },
    });
  });

  it.each([
    [{ name: '../etc' }, 'streams.0.name: stream name must be lowercase letters, digits and "-" (it becomes a directory and a workflow id), got "../etc"'],
    [{ name: 'Atomic Host' }, 'streams.0.name: stream name must be lowercase letters, digits and "-" (it becomes a directory and a workflow id), got "Atomic Host"'],
    [{ nightlyAt: '2am' }, 'streams.0.nightlyAt: invalid time of day "2am": use HH:MM in UTC (e.g. 00:00, 09:30)'],
    [{ nightlyAt: 120 }, 'streams.0.nightlyAt: must be HH:MM in UTC, e.g. "02:00" (quote it in YAML)'],
    [{ publishEvery: 'fortnight' }, 'streams.0.publishEvery: invalid duration "fortnight": use a number followed by w, d, h or m (e.g. 2w, 3d, 12h)'],
    [{ onNoPass: 'retry' }, 'streams.0.onNoPass: must be "skip" or "rebuild-until-pass"'],
    [{ build: { command: './build.sh --all' } }, 'streams.0.build.command: must be a list of strings: the program and its arguments (no shell), e.g. ["./build-image.sh", "--compose", "nightly"]'],
    [{ build: { command: [] } }, 'streams.0.build.command: must name at least the program to run'],
    [{ build: { command: ['x'], timeout: '0m' } }, 'streams.0.build.timeout: duration "0m" must be longer than zero'],
    [{ build: { command: ['x'], timout: '2h' } }, 'streams.0.build: Unrecognized key: "timout"'],
    [{ tests: [{ name: 'boot', command: ['a'] }, { name: 'boot', command: ['b'] }] }, 'streams.0.tests.1.name: duplicate test name "boot"'],
    [{ tests: [{ name: 'boot', command: ['a'], advisory: 'yes' }] }, 'streams.0.tests.0.advisory: must be true or false'],
    [{ tracker: { kind: 'bugzilla', project: 'X' } }, 'streams.0.tracker.kind: must be "jira" or "github" (or leave tracker out)'],
    [{ tracker: { kind: 'jira', project: 'atmo' } }, 'streams.0.tracker.project: must be a JIRA project key such as ATMO'],
    [{ tracker: { kind: 'jira', project: 'ATMO', components: [] } }, 'streams.0.tracker.components: must name at least one component'],
    [{ tracker: { kind: 'github', repo: 'just-a-name' } }, 'streams.0.tracker.repo: must be "owner/name", e.g. fedora/atomic-host'],
    [{ keepBuilds: 0 }, 'streams.0.keepBuilds: must be at least 1'],
    [{ glance: { enabled: 'on' } }, 'streams.0.glance.enabled: must be true or false'],
    [{ glance: { enabled: true, onRevoke: 'delete' } }, 'streams.0.glance.onRevoke: must be deactivate or keep'],
  ])('rejects %j with a message naming the field', (over, message) => {
    expect(problems(withStream(over))).toEqual([message]);
  });

  it('rejects a bad site, duplicate streams and a missing stream list', () => {
    expect(problems({ ...section(), site: { outDir: './site', baseUrl: 'javascript:alert(1)' } })).toEqual([
      'site.baseUrl: must be an http(s) URL, e.g. https://images.example.org',
    ]);
    expect(problems({ ...section(), streams: [firstStream(), firstStream()] })).toEqual(['streams.1.name: duplicate stream name "atomic-host"']);
    expect(problems({ site: { outDir: 'x' }, streams: [] })).toEqual(['streams: must list at least one stream']);
    expect(problems({ site: { outDir: 'x' } })[0]).toMatch(/^streams: /);
    expect(problems({ ...section(), siteDir: 'x' })).toEqual([': Unrecognized key: "siteDir"']);
  });
});
