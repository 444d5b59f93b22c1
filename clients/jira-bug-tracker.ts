// The BugTracker port over JIRA (Cloud or Data Center). Open/closed is the status category
// (`statusCategory != Done`), never the resolution: many workflows' Done sets none. Filing
// carries the stream label and a ref label derived from the idempotency key; comments carry a
// hidden marker. A write whose answer was lost is looked up before it is made again.
import { InvalidNameError } from './github-errors.js';
import { assertLabel } from './github-names.js';
import { createJiraConnection, type JiraConnectionOptions, type JiraSession } from './jira-connection.js';
import { JiraTransitionError, assertProjectKey, isUncertainWrite, translateJiraError } from './jira-errors.js';
import { createOnce } from './jira-once.js';
import { jqlString, searchIssues, searchUntilFound } from './jira-search.js';
import type { BugTracker, TrackerBug, TrackerOptions } from './tracker.js';

/** A JIRA project as the image pipeline's bug tracker. */
export interface JiraTrackerOptions extends TrackerOptions {
  connection: JiraConnectionOptions;
  project: string;
  /** Issue type of filed bugs (default "Bug"). */
  issueType?: string;
  /** Further fields every filed bug gets, for projects that require them (e.g. `{ components: [{ name: 'images' }] }`). */
  fields?: Record<string, unknown>;
}

interface RawTransition {
  id: string;
  name: string;
  to?: { name?: string; statusCategory?: { key?: string; name?: string } };
  fields?: Record<string, { required?: boolean; hasDefaultValue?: boolean; name?: string; allowedValues?: Array<{ id?: string; name?: string }> }>;
}
interface RawStatus { name?: string; statusCategory?: { key?: string; name?: string } }

const PREFERRED_RESOLUTIONS = ['done', 'fixed'];

export function createJiraBugTracker(options: JiraTrackerOptions): BugTracker {
  assertProjectKey(options.project);
  const conn = createJiraConnection(options.connection);
  const { baseUrl } = conn;
  const prefix = options.labelPrefix ?? 'stratus-';
  const project = jqlString(options.project);
  const labelOf = (streamKey: string): string => {
    assertLabel('stream key', streamKey);
    return `${prefix}${streamKey}`;
  };
  const refLabel = (key: string): string => `${prefix}ref-${assertKey(key)}`;
  const marker = (key: string): string => `stratus-ref: ${key}`;
  const withMarker = (text: string, key?: string): string => (key ? `${text}\n\n${marker(assertKey(key))}` : text);
  const bug = (key: string): TrackerBug => ({ id: key, url: `${baseUrl}/browse/${key}` });
  const session = (): Promise<JiraSession> => conn.session();
  const call = async <T>(what: string, fn: (s: JiraSession) => Promise<unknown>): Promise<T> => {
    try {
      return (await fn(await session())) as T;
    } catch (err) {
      throw translateJiraError(err, { baseUrl, what });
    }
  };
  const translated = (what: string) => (err: unknown): never => { throw translateJiraError(err, { baseUrl, what }); };
  const checkId = (id: string): string => {
    if (!/^[A-Z][A-Z0-9_]*-\d+$/.test(id)) throw new InvalidNameError('JIRA issue key', id, 'expected PROJECT-123');
    return id;
  };
  const statusOf = async (id: string): Promise<RawStatus> =>
    (await call<{ fields: { status?: RawStatus } }>(`issue ${id}`, (s) => s.api.findIssue(id, '', 'status'))).fields.status ?? {};
  const done = (status: RawStatus): boolean => status.statusCategory?.key === 'done';
  const retry = { retries: conn.consistencyRetries, delayMs: conn.consistencyDelayMs };

  async function comments(id: string): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const page = await call<{ total?: number; comments: Array<{ body: string }> }>(`the comments of ${id}`, (s) =>
        s.rest('GET', `/rest/api/2/issue/${id}/comment`, { qs: { startAt: out.length, maxResults: 100 } }));
      out.push(...page.comments.map((c) => c.body));
      if (page.comments.length === 0 || out.length >= (page.total ?? out.length)) return out;
    }
  }

  const tracker: BugTracker = {
    kind: 'jira',
    async findOpen(streamKey) {
      const jql = `project = ${project} AND labels = ${jqlString(labelOf(streamKey))} AND statusCategory != Done ORDER BY created DESC`;
      const [first] = await call<Array<{ key: string }>>(`the search for the open bug of ${streamKey}`, (s) => searchIssues(s, jql, ['summary'], 1));
      return first && bug(first.key);
    },
    async file(streamKey, title, body, key) {
      const labels = [labelOf(streamKey), ...(key ? [refLabel(key)] : [])];
      const what = `filing a bug for ${streamKey} in ${options.project}`;
      const create = (s: JiraSession): Promise<{ key: string }> => s.api.addNewIssue({
        fields: {
          ...options.fields, project: { key: options.project }, summary: title.slice(0, 250), description: withMarker(body, key),
          issuetype: { name: options.issueType ?? 'Bug' }, labels,
        },
      }) as Promise<{ key: string }>;
      if (!key) return bug((await call<{ key: string }>(what, create)).key);
      const s = await session();
      const jql = `project = ${project} AND labels = ${jqlString(refLabel(key))} ORDER BY created ASC`;
      const { value, created } = await createOnce<{ key: string }>({
        // Cloud's index may not show a bug filed moments ago (by a lost answer or an earlier
        // attempt): there, the ref label is searched a few times before a bug is filed.
        find: async () => (await searchUntilFound(s, jql, ['summary'], retry))[0],
        create: () => create(s),
        // On Cloud a miss after a lost answer is not proof: fail (retryable) rather than file twice.
        retries: s.deployment === 'cloud' ? 0 : 2,
      }).catch(translated(what));
      return created ? bug(value.key) : { ...bug(value.key), existed: true };
    },
    async mentions(id, key) {
      checkId(id);
      const issue = await call<{ fields: { description?: string | null } }>(`issue ${id}`, (s) => s.api.findIssue(id, '', 'description'));
      if ((issue.fields.description ?? '').includes(marker(key))) return true;
      return (await comments(id)).some((c) => c.includes(marker(key)));
    },
    async comment(id, body, key) {
      checkId(id);
      if (!key) {
        await call(`a comment on ${id}`, (s) => s.api.addComment(id, body));
        return true;
      }
      const { created } = await createOnce<true>({
        find: async () => ((await tracker.mentions(id, assertKey(key))) ? true : undefined),
        create: async () => {
          await (await session()).api.addComment(id, withMarker(body, key));
          return true;
        },
      }).catch(translated(`a comment on ${id}`));
      return created;
    },
    async close(id, comment, key) {
      checkId(id);
      if (done(await statusOf(id))) return false;
      const { transitions } = await call<{ transitions: RawTransition[] }>(`the transitions of ${id}`, (s) => s.api.listTransitions(id));
      const toDone = transitions.filter((t) => t.to?.statusCategory?.key === 'done');
      const pick = toDone.find((t) => /clos/i.test(t.name)) ?? toDone.find((t) => /done|resolv/i.test(t.name)) ?? toDone[0];
      if (!pick) {
        const list = transitions.map((t) => `${t.name} → ${t.to?.name ?? '?'} (${t.to?.statusCategory?.name ?? '?'})`).join(', ') || 'none';
        throw new JiraTransitionError(id, `JIRA issue ${id} has no transition to a Done-category status; available: ${list}`);
      }
      const fields = transitionFields(id, pick);
      // Everything checkable is checked before the comment; the comment is deduplicated by its marker.
      await tracker.comment(id, comment, key);
      await call(`closing ${id} with transition "${pick.name}"`, (s) =>
        s.api.transitionIssue(id, { transition: { id: pick.id }, ...(fields ? { fields } : {}) } as never).catch(async (err: unknown) => {
          if (isUncertainWrite(err) && done(await statusOf(id))) return undefined;
          throw err;
        }));
      const after = await statusOf(id);
      if (!done(after)) {
        throw new JiraTransitionError(id, `transition "${pick.name}" (id ${pick.id}) left JIRA issue ${id} in status "${after.name ?? '?'}" (category ${after.statusCategory?.name ?? '?'}), not in a Done-category status`);
      }
      return true;
    },
  };
  return tracker;
}

/** The fields the transition screen requires: a resolution is chosen ("Done"/"Fixed", else the first). */
function transitionFields(id: string, t: RawTransition): Record<string, unknown> | undefined {
  const required = Object.entries(t.fields ?? {}).filter(([, f]) => f.required && !f.hasDefaultValue);
  const unknown = required.filter(([name]) => name !== 'resolution');
  if (unknown.length) {
    throw new JiraTransitionError(id, `transition "${t.name}" of JIRA issue ${id} requires fields stratus cannot fill: ${unknown.map(([n, f]) => f.name ?? n).join(', ')}`);
  }
  const resolution = required.find(([name]) => name === 'resolution')?.[1];
  if (!resolution) return undefined;
  const values = resolution.allowedValues ?? [];
  const chosen = PREFERRED_RESOLUTIONS.map((p) => values.find((v) => v.name?.toLowerCase() === p)).find(Boolean) ?? values[0];
  if (!chosen) throw new JiraTransitionError(id, `transition "${t.name}" of JIRA issue ${id} requires a resolution but offers none`);
  return { resolution: chosen.id ? { id: chosen.id } : { name: chosen.name } };
}

function assertKey(key: string): string {
  assertLabel('idempotency key', key);
  return key;
}
