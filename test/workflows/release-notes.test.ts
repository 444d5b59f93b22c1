import { escapeMarkdown, groupIssuesByType, renderReleaseNotes } from '../../workflows/release-notes.js';

const issues = [
  { key: 'ATMO-10', summary: 'Quota page shows NaN', type: 'Bug' },
  { key: 'ATMO-2', summary: 'Login loops', type: 'bug' },
  { key: 'ATMO-7', summary: 'Faster image list', type: 'Improvement' },
  { key: 'ATMO-3', summary: 'Add dark mode', type: 'New Feature' },
  { key: 'ATMO-5', summary: 'Bump deps', type: 'Task' },
  { key: 'ATMO-9', summary: 'Write runbook', type: 'Sub-task' },
  { key: 'ATMO-8', summary: 'Epic thing', type: 'Epic' },
];

describe('release notes', () => {
  it('renders a heading with version and codename, and sections in a stable order', () => {
    expect(renderReleaseNotes({ version: 'v31', codename: 'zesty-zapdos', issues })).toBe([
      '# v31 (zesty-zapdos)',
      '',
      '## Bugs',
      '',
      '- ATMO-2: Login loops',
      '- ATMO-10: Quota page shows NaN',
      '',
      '## Improvements',
      '',
      '- ATMO-7: Faster image list',
      '',
      '## New Features',
      '',
      '- ATMO-3: Add dark mode',
      '',
      '## Tasks',
      '',
      '- ATMO-5: Bump deps',
      '',
      '## Other',
      '',
      '- ATMO-8: Epic thing',
      '- ATMO-9: Write runbook',
      '',
    ].join('\n'));
  });

  it('does not depend on the order the issues arrive in', () => {
    const reversed = renderReleaseNotes({ version: 'v31', issues: [...issues].reverse() });
    expect(reversed).toBe(renderReleaseNotes({ version: 'v31', issues }));
    expect(reversed.split('\n')[0]).toBe('# v31');
  });

  it('leaves out empty sections and says so when nothing was resolved', () => {
    expect(groupIssuesByType([{ key: 'A-1', summary: 's', type: 'Task' }]).map((s) => s.title)).toEqual(['Tasks']);
    expect(renderReleaseNotes({ version: 'v32', codename: 'able-auk', issues: [] })).toBe('# v32 (able-auk)\n\n_No issues were resolved in this release._\n');
  });

  it('links issue keys to JIRA when a base URL is given', () => {
    const md = renderReleaseNotes({ version: 'v31', issues: [issues[0]], jiraUrl: 'https://jira.example.org/' });
    expect(md).toContain('- [ATMO-10](https://jira.example.org/browse/ATMO-10): Quota page shows NaN');
  });

  it('escapes Markdown in summaries so they render as the text people typed', () => {
    const md = renderReleaseNotes({
      version: 'v31',
      issues: [{ key: 'ATMO-1', summary: 'Fix *bold* _x_ [link](http://evil) <script>alert(1)</script> `code` a|b #12 @alice\nsecond line', type: 'Bug' }],
    });
    expect(md).toContain('- ATMO-1: Fix \\*bold\\* \\_x\\_ \\[link\\](http://evil) \\<script\\>alert(1)\\</script\\> \\`code\\` a\\|b \\#12 \\@alice second line');
    expect(md).not.toContain('<script>');
    expect(escapeMarkdown('C:\\path')).toBe('C:\\\\path');
  });
});
