// The BuildIds system search attribute, as the real server keeps it: server-managed (a workflow
// cannot set it, continue-as-new does not carry it), written when a workflow task completes.
// This server offers no worker versioning (buildIdBasedVersioning: false), so the SDK sends no
// version stamp and every run is "unversioned", the sentinel the real server uses; a stamp with
// a build id adds "unversioned:<build id>" as the real server's unversioned path does.
import type { Msg } from './proto.js';
import type { Run } from './types.js';
import { searchAttributePayload } from './visibility.js';

export const BUILD_IDS = 'BuildIds';
const UNVERSIONED = 'unversioned';

/** Records the build ids of a completed workflow task on its run. */
export function recordBuildIds(run: Run, stamp: Msg | undefined): void {
  // every workflow task completes through here: without a stamp, once set it stays as it is
  if (!stamp?.buildId && run.searchAttributes[BUILD_IDS]) return;
  const values = [UNVERSIONED];
  if (stamp?.buildId && !stamp.useVersioning) values.push(`${UNVERSIONED}:${escape(String(stamp.buildId))}`);
  const current = run.searchAttributes[BUILD_IDS];
  if (current && String(current.data) === JSON.stringify(values)) return;
  run.searchAttributes[BUILD_IDS] = searchAttributePayload('INDEXED_VALUE_TYPE_KEYWORD_LIST', values);
}

/** The search attributes a continued run inherits: without the server-managed ones. */
export function inheritedSearchAttributes(fields: Record<string, Msg>): Record<string, Msg> {
  const { [BUILD_IDS]: _buildIds, ...rest } = fields;
  return rest;
}

// the real server escapes its delimiter ':' and escape character '|' in build ids
function escape(id: string): string {
  return id.replaceAll('|', '||').replaceAll(':', '|:');
}
