// Release notes from the JIRA issues resolved in a fixVersion: pure, deterministic, no Temporal
// import, so workflows and activities can both use it and tests need no server.

/** One resolved issue (the shape the JIRA adapter's `resolvedIssues` returns). */
export interface ReleaseNoteIssue {
  key: string;
  summary: string;
  /** JIRA issue type name: Bug, Improvement, New Feature, Task, anything else goes to "Other". */
  type: string;
}

/** Input of {@link renderReleaseNotes}. */
export interface ReleaseNotesInput {
  /** e.g. "v31" */
  version: string;
  /** e.g. "zesty-zapdos"; omitted from the heading when absent. */
  codename?: string;
  issues: ReleaseNoteIssue[];
  /** JIRA base URL; when given, issue keys link to `<url>/browse/<KEY>`. */
  jiraUrl?: string;
}

export interface ReleaseNotesSection {
  title: string;
  issues: ReleaseNoteIssue[];
}

/** Section order is fixed; types are matched case-insensitively. */
const SECTIONS: Array<{ title: string; types: string[] }> = [
  { title: 'Bugs', types: ['bug'] },
  { title: 'Improvements', types: ['improvement'] },
  { title: 'New Features', types: ['new feature'] },
  { title: 'Tasks', types: ['task'] },
];
const OTHER = 'Other';

/** Groups issues by type in a stable order (Bugs, Improvements, New Features, Tasks, Other); empty groups are left out; issues sorted by key. */
export function groupIssuesByType(issues: ReleaseNoteIssue[]): ReleaseNotesSection[] {
  const byTitle = new Map<string, ReleaseNoteIssue[]>();
  for (const issue of issues) {
    const type = issue.type.trim().toLowerCase();
    const title = SECTIONS.find((s) => s.types.includes(type))?.title ?? OTHER;
    byTitle.set(title, [...(byTitle.get(title) ?? []), issue]);
  }
  return [...SECTIONS.map((s) => s.title), OTHER]
    .filter((title) => byTitle.has(title))
    .map((title) => ({ title, issues: [...(byTitle.get(title) ?? [])].sort(compareKeys) }));
}

/** Markdown: `# v31 (zesty-zapdos)`, one `##` section per issue type, one bullet per issue. */
export function renderReleaseNotes(input: ReleaseNotesInput): string {
  const heading = input.codename ? `${input.version} (${input.codename})` : input.version;
  const lines = [`# ${escapeMarkdown(heading)}`, ''];
  const sections = groupIssuesByType(input.issues);
  if (sections.length === 0) lines.push('_No issues were resolved in this release._', '');
  const base = input.jiraUrl?.replace(/\/+$/, '');
  for (const section of sections) {
    lines.push(`## ${section.title}`, '');
    for (const issue of section.issues) {
      const key = escapeMarkdown(issue.key);
      const ref = base && /^[A-Z][A-Z0-9_]*-\d+$/.test(issue.key) ? `[${key}](${base}/browse/${issue.key})` : key;
      lines.push(`- ${ref}: ${escapeMarkdown(issue.summary)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * Backslash-escapes what is significant inside a line (emphasis, code, links, HTML, tables,
 * strikethrough, "#123"/"@user" autolinks, entities) and folds newlines, so a summary renders as
 * the plain text it is. Line-start markers ("-", "+", "1.") need no escape: text never starts a line.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\`*_[\]<>|~#&@]/g, (c) => `\\${c}`);
}

function compareKeys(a: ReleaseNoteIssue, b: ReleaseNoteIssue): number {
  const [pa, na] = splitKey(a.key);
  const [pb, nb] = splitKey(b.key);
  return pa < pb ? -1 : pa > pb ? 1 : na - nb || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function splitKey(key: string): [string, number] {
  const m = /^(.*)-(\d+)$/.exec(key);
  return m ? [m[1], Number(m[2])] : [key, 0];
}
