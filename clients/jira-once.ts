// Find-then-create for JIRA writes. The transport does not repeat a POST that got a 5xx or no
// answer (JIRA may have done it); this looks for what the write would have made, and writes
// again only when it is really missing.
import { isUncertainWrite } from './jira-errors.js';

/** How one create is looked up and made. */
export interface CreateOnce<T> {
  /** What the create would have made (its marker found), if it exists. */
  find: () => Promise<T | undefined>;
  create: () => Promise<T>;
  /** A create rejected because it exists already (e.g. a version name) is looked up, not an error. */
  exists?: (err: unknown) => boolean;
  /** Creates after an uncertain failure whose result was not found (default 2; 0: fail instead). */
  retries?: number;
}

/** Returns what exists, or creates it once; `created` says which. */
export async function createOnce<T>(spec: CreateOnce<T>): Promise<{ value: T; created: boolean }> {
  const existing = await spec.find();
  if (existing !== undefined) return { value: existing, created: false };
  const retries = spec.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    try {
      return { value: await spec.create(), created: true };
    } catch (err) {
      const uncertain = isUncertainWrite(err);
      if (!uncertain && !spec.exists?.(err)) throw err;
      const found = await spec.find();
      if (found !== undefined) return { value: found, created: uncertain };
      if (!uncertain || attempt >= retries) throw err;
    }
  }
}
