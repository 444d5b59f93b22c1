// `npm run bench`: every benchmark, one after the other, printed as a table.
import { benchDevserver } from './devserver.js';
import { benchDevserverDb } from './devserver-db.js';
import { benchDashboard } from './dashboard.js';
import { benchImages } from './images.js';
import { benchLifecycle } from './lifecycle.js';
import { benchOpenStackReal } from './openstack-real.js';
import { benchReleaseHistory } from './release-history.js';
import { benchReleaseTagging } from './release-tagging.js';

const suites: Array<[string, () => Promise<Record<string, string | number>>]> = [['embedded Temporal server', () => benchDevserver()], ['embedded Temporal server --db (10,000 closed workflows)', () => benchDevserverDb()], ['image pipeline', () => benchImages()], ['resource lifecycle (plan 100,000; sweep 20,000 servers)', () => benchLifecycle()], ['resource lifecycle on the real OpenStack of test/openstack-real (300 servers, 30 due; a 50-resource purge)', () => benchOpenStackReal()], ['release tagging (5 repos × 20,000 commits)', () => benchReleaseTagging()], ['release train history', () => benchReleaseHistory()], ['dashboard page render (50 trains, 20 streams × 365 builds, 20,000-resource plan)', () => benchDashboard()]];

for (const [name, run] of suites) {
  console.log(`\n## ${name}`);
  const result = await run();
  for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(56)} ${v}`);
}
process.exit(0);
