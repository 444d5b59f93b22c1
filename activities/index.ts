// The activities every worker registers. Each outside system contributes one factory
// (createGitActivities(deps), createJiraActivities(deps) …); this file spreads them.

/**
 * The adapters activities are built from. Filled in by workers/ from the config; each
 * activity factory adds the ports it needs (e.g. `vcs: Vcs`, `codeHost: CodeHost`).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- grows as factories land
export interface ActivityDeps {}

/** All activities, keyed by name; workflows proxy `ReturnType<typeof createActivities>`. */
export function createActivities(_deps: ActivityDeps) {
  return {};
}

/** The activity functions workflows call through `proxyActivities<Activities>()`. */
export type Activities = ReturnType<typeof createActivities>;
