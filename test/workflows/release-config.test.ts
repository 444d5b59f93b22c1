// Tests of config/release.ts (kept beside the release planning tests it shares rules with).
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { releaseConfigSchema } from '../../config/release.js';

const ISSUE_YAML = `
release:
  masterBranch: master
  sprints: [{ name: "Sprint 1", length: 2w, focus: bugs }, { name: "Sprint 2", length: 2w, focus: features }, { name: "Release", length: 1w, focus: release }]
  trickleDown: weekdays          # or: never, daily, weekly
  tagMessage: "v{version} ({codename}) release {n}."
  autoApprove: false
  repos:
    - { name: atmosphere, url: /srv/git/atmosphere.git, target: release-branch, github: cyverse/atmosphere }
    - { name: clank, url: "file:///srv/git/clank.git", target: master }
`;

const section = (): Record<string, unknown> => (parse(ISSUE_YAML) as { release: Record<string, unknown> }).release;

/** The issues zod reports, as "dotted.path: message". */
function problems(input: unknown): string[] {
  const result = releaseConfigSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

function withRepos(...repos: unknown[]): Record<string, unknown> {
  return { ...section(), repos };
}

describe('releaseConfigSchema', () => {
  it('accepts the YAML of the issue as it stands and fills in defaults', () => {
    const config = releaseConfigSchema.parse(section());
    expect(config).toEqual({
      masterBranch: 'master',
      sprints: [
        { name: 'Sprint 1', length: '2w', focus: 'bugs' },
        { name: 'Sprint 2', length: '2w', focus: 'features' },
        { name: 'Release', length: '1w', focus: 'release' },
      ],
      trickleDown: 'weekdays',
      trickleDownAt: '00:00',
      tagMessage: 'v{version} ({codename}) release {n}.',
      autoApprove: false,
      mergeVia: 'auto',
      cacheDir: '.stratus/git-cache',
      committer: { name: 'stratus', email: 'stratus@localhost' },
      repos: [
        { name: 'atmosphere', url: '/srv/git/atmosphere.git', target: 'release-branch', github: 'cyverse/atmosphere' },
        { name: 'clank', url: 'file:///srv/git/clank.git', target: 'master' },
      ],
    });
  });

  it('accepts the added keys: cache dir, committer, trickle-down time, jira, github', () => {
    const config = releaseConfigSchema.parse({
      ...section(),
      cacheDir: '/var/cache/stratus',
      committer: { name: 'Release Bot', email: 'release@example.org' },
      trickleDownAt: '06:30',
      jira: { url: 'https://jira.example.org', project: 'ATMO', board: 12, userEnv: 'JIRA_USER', tokenEnv: 'JIRA_TOKEN' },
      github: { tokenEnv: 'GH_TOKEN' },
    });
    expect(config.jira).toEqual({ url: 'https://jira.example.org', project: 'ATMO', board: 12, deployment: 'auto', userEnv: 'JIRA_USER', tokenEnv: 'JIRA_TOKEN' });
    expect(config.github).toEqual({ tokenEnv: 'GH_TOKEN', apiUrl: 'https://api.github.com' });
    expect(config.trickleDownAt).toBe('06:30');
  });

  it('mergeVia defaults to auto, takes push and pull-request, and names itself when wrong', () => {
    expect(releaseConfigSchema.parse(section()).mergeVia).toBe('auto');
    expect(releaseConfigSchema.parse({ ...section(), mergeVia: 'pull-request' }).mergeVia).toBe('pull-request');
    expect(problems({ ...section(), mergeVia: 'rebase' })).toEqual(['mergeVia: mergeVia must be one of push, pull-request, auto, got "rebase"']);
  });

  it('defaults the sprints to 2w bugs / 2w features / 1w release when left out', () => {
    const { sprints: _omit, ...rest } = section();
    expect(releaseConfigSchema.parse(rest).sprints.map((s) => s.length)).toEqual(['2w', '2w', '1w']);
  });

  it('bad sprint length 2x names the sprint', () => {
    const input = section();
    (input.sprints as Array<Record<string, unknown>>)[1].length = '2x';
    expect(problems(input)).toEqual([
      'sprints.1.length: length: invalid duration "2x": use a number followed by w, d, h or m (e.g. 2w, 3d, 12h)',
    ]);
  });

  it('bad target names the repo entry and the allowed values', () => {
    expect(problems(withRepos({ name: 'clank', url: '/srv/git/clank.git', target: 'main' }))).toEqual([
      'repos.0.target: target must be "release-branch" or "master", got "main"',
    ]);
  });

  it('duplicate repo names are refused', () => {
    expect(
      problems(withRepos({ name: 'clank', url: '/a.git', target: 'master' }, { name: 'atmo', url: '/b.git', target: 'master' }, { name: 'clank', url: '/c.git', target: 'master' })),
    ).toEqual(['repos.2.name: duplicate repo name "clank"']);
  });

  it.each(['cyverse', 'cyverse/atmosphere/extra', '-bad/repo', 'cy verse/atmo'])('bad github %j must be owner/repo', (github) => {
    expect(problems(withRepos({ name: 'atmosphere', url: '/a.git', target: 'release-branch', github }))).toEqual([
      `repos.0.github: github must be "owner/repo" (e.g. cyverse/atmosphere), got ${JSON.stringify(github)}`,
    ]);
  });

  it('repo names that would escape the cache directory are refused', () => {
    expect(problems(withRepos({ name: '../etc', url: '/a.git', target: 'master' }))).toEqual([
      'repos.0.name: repo name must be letters, digits, ".", "_" or "-" (and not start with "." or "-"), got "../etc"',
    ]);
  });

  it('unknown keys, bad cadence, bad template and bad master branch are reported by path', () => {
    expect(problems({ ...section(), autoApprov: true })).toEqual([expect.stringMatching(/^: Unrecognized key: "autoApprov"/)]);
    expect(problems({ ...section(), trickleDown: 'hourly' })).toEqual(['trickleDown: trickleDown must be one of weekdays, daily, weekly, never, got "hourly"']);
    expect(problems({ ...section(), tagMessage: 'v{version} {date}' })).toEqual([
      'tagMessage: tagMessage has unknown placeholder(s) {date} (known: {version}, {codename}, {n}), got "v{version} {date}"',
    ]);
    expect(problems({ ...section(), masterBranch: 'main..x' })).toEqual([
      'masterBranch: masterBranch is not a valid git ref name: it must not contain "..", got "main..x"',
    ]);
    expect(problems({ ...section(), trickleDownAt: '7am' })).toEqual([expect.stringContaining('trickleDownAt: trickleDownAt: invalid time of day "7am"')]);
    expect(problems({ ...section(), repos: [] })).toEqual(['repos: repos needs at least one repository']);
  });

  it('jira.deployment is cloud, datacenter or auto, and says so', () => {
    const jira = { url: 'https://example.atlassian.net', project: 'ATMO' };
    expect(releaseConfigSchema.parse({ ...section(), jira: { ...jira, deployment: 'cloud' } }).jira?.deployment).toBe('cloud');
    expect(problems({ ...section(), jira: { ...jira, deployment: 'server' } })).toEqual(['jira.deployment: jira.deployment must be "cloud", "datacenter" or "auto", got "server"']);
  });

  it('jira and github take credentials by environment-variable name only', () => {
    expect(problems({ ...section(), jira: { url: 'https://jira.example.org', project: 'ATMO', token: 'secret' } })).toEqual([
      expect.stringMatching(/^jira: Unrecognized key: "token"/),
    ]);
    expect(problems({ ...section(), github: { tokenEnv: 'ghp_abc def' } })).toEqual(['github.tokenEnv: github.tokenEnv must be an environment variable name']);
  });
});
