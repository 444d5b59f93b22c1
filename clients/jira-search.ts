// JQL search, the one place that knows the two deployments' search APIs. Data Center:
// `POST /rest/api/2/search` paged by startAt/total. Cloud removed that (410) for
// `POST /rest/api/3/search/jql`: paged by `nextPageToken` until `isLast`, no `total`, `startAt`
// ignored, and eventually consistent (a just-created issue may be missing for a while), so a
// lookup that must see a fresh write uses `searchUntilFound`.
import { type JiraSession } from './jira-connection.js';

/** A search hit; `fields` holds the fields asked for. */
export interface JiraSearchIssue {
  id: string;
  key: string;
  fields: Record<string, unknown> & {
    summary?: string;
    issuetype?: { name?: string };
    status?: { name?: string; statusCategory?: { key?: string; name?: string } };
  };
}

interface DcPage { startAt?: number; total: number; issues: JiraSearchIssue[] }
interface CloudPage { issues: JiraSearchIssue[]; nextPageToken?: string | null; isLast?: boolean }

/** Every issue matching `jql` (up to `limit`), with `fields`. */
export async function searchIssues(session: JiraSession, jql: string, fields: string[], limit = Infinity): Promise<JiraSearchIssue[]> {
  const pageSize = Math.min(100, limit);
  const all: JiraSearchIssue[] = [];
  if (session.deployment === 'cloud') {
    let nextPageToken: string | undefined;
    for (;;) {
      const page = await session.rest<CloudPage>('POST', '/rest/api/3/search/jql', {
        body: { jql, fields, maxResults: pageSize, ...(nextPageToken ? { nextPageToken } : {}) },
      });
      all.push(...page.issues);
      nextPageToken = page.nextPageToken ?? undefined;
      if (page.isLast !== false || !nextPageToken || page.issues.length === 0 || all.length >= limit) return all.slice(0, limit);
    }
  }
  for (;;) {
    const page = await session.rest<DcPage>('POST', '/rest/api/2/search', { body: { jql, fields, startAt: all.length, maxResults: pageSize } });
    all.push(...page.issues);
    if (page.issues.length === 0 || all.length >= page.total || all.length >= limit) return all.slice(0, limit);
  }
}

/**
 * Searches until something matches, for a lookup right after a write whose answer was lost:
 * Cloud's index may not have it yet. Data Center's search is consistent: one try.
 */
export async function searchUntilFound(
  session: JiraSession, jql: string, fields: string[], retry: { retries: number; delayMs: number },
): Promise<JiraSearchIssue[]> {
  const tries = session.deployment === 'cloud' ? retry.retries + 1 : 1;
  for (let n = 1; ; n++) {
    const found = await searchIssues(session, jql, fields, 10);
    if (found.length > 0 || n >= tries) return found;
    await new Promise((resolve) => setTimeout(resolve, n * retry.delayMs));
  }
}

/** Quotes a value for JQL (names are validated before; this only escapes). */
export const jqlString = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
