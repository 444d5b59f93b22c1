// Benchmark: tag a release across 5 repos of 20,000 commits each through the git adapter
// (first run with a cold mirror cache, second run warm) against a plain shell script doing the
// minimal git commands (clone --mirror, tag -a, push), sequential and parallel. A warm run is
// three git commands per repo, all repos at once: ls-remote (the mirror's refs are known in
// memory, so no for-each-ref when they match), tag -a, push (the tag's name read alongside).
// Target: the warm run within 1.3x of the parallel script measured in the same run.
// Run: node --import tsx bench/release-tagging.ts
import { execFile } from 'node:child_process';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createGitActivities } from '../activities/git.js';
import { createGitVcs } from '../clients/git.js';
import { fastImportRepo, tempDir } from '../test/support/git-repos.js';

const SHELL_SCRIPT = `#!/bin/bash
# usage: tag.sh <workdir> <tag> <message> <parallel:0|1> <origin>...
set -euo pipefail
work=$1; tag=$2; msg=$3; parallel=$4; shift 4
one() {
  local origin=$1 dir="$work/$(basename "$1")"
  git clone --mirror -q "$origin" "$dir"
  git -C "$dir" -c user.name=bench -c user.email=bench@example.org tag -a -m "$msg" "$tag" master
  git -C "$dir" push -q "$origin" "refs/tags/$tag"
}
if [ "$parallel" = 1 ]; then
  pids=(); for o in "$@"; do one "$o" & pids+=($!); done
  for p in "\${pids[@]}"; do wait "$p"; done
else
  for o in "$@"; do one "$o"; done
fi
`;

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 << 20 }, (error, _stdout, stderr) => (error ? reject(new Error(`${cmd} failed: ${stderr}`)) : resolve()));
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return Math.round(performance.now() - start);
}

/** Options of the benchmark (defaults: 5 repos × 20,000 commits). */
export interface ReleaseTaggingBenchOptions {
  repos?: number;
  commits?: number;
}

/** Runs the benchmark and returns its figures (milliseconds, and ratios as strings). */
export async function benchReleaseTagging(options: ReleaseTaggingBenchOptions = {}): Promise<Record<string, number | string>> {
  const repoCount = options.repos ?? 5;
  const commits = options.commits ?? 20_000;
  const root = await tempDir('stratus-bench-tagging-');
  try {
    const names = Array.from({ length: repoCount }, (_, i) => `repo${i + 1}`);
    const origins = names.map((n) => join(root.path, 'origins', `${n}.git`));
    // One history imported once and copied: the repos are alike, which does not matter here.
    const setupMs = await timed(async () => {
      await fastImportRepo(origins[0], commits);
      await Promise.all(origins.slice(1).map((o) => cp(origins[0], o, { recursive: true })));
    });

    const vcs = createGitVcs({
      cacheDir: join(root.path, 'cache'),
      committer: { name: 'bench', email: 'bench@example.org' },
      repos: names.map((name, i) => ({ name, url: origins[i] })),
    });
    const { tagRelease } = createGitActivities({ vcs });
    const tag = (n: number) => tagRelease({ version: 1, n, message: 'v{version} release {n}.', repos: names.map((repo) => ({ repo, ref: 'master' })) });

    // Per-repo timing of the cold run shows the work is parallel: wall time near the slowest repo.
    const perRepo: number[] = [];
    const coldVcs = createGitVcs({
      cacheDir: join(root.path, 'cache-cold-per-repo'),
      committer: { name: 'bench', email: 'bench@example.org' },
      repos: names.map((name, i) => ({ name, url: origins[i] })),
    });
    const coldMs = await timed(() => tag(1));
    const warmMs = await timed(() => tag(2));
    const idempotentMs = await timed(() => tag(2));
    const parallelWallMs = await timed(() =>
      Promise.all(names.map(async (repo) => perRepo.push(await timed(() => coldVcs.ensureAnnotatedTag(repo, 'v1-9', 'master', 'per-repo timing'))))),
    );

    const script = join(root.path, 'tag.sh');
    await writeFile(script, SHELL_SCRIPT, { mode: 0o755 });
    const shellSequentialMs = await timed(() => run('bash', [script, join(root.path, 'shell-seq'), 'v1-3', 'v1 release 3.', '0', ...origins]));
    const shellParallelMs = await timed(() => run('bash', [script, join(root.path, 'shell-par'), 'v1-4', 'v1 release 4.', '1', ...origins]));

    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    return {
      repos: repoCount,
      commitsPerRepo: commits,
      setupFastImportMs: setupMs,
      adapterColdMs: coldMs,
      adapterWarmMs: warmMs,
      adapterRerunSameTagMs: idempotentMs,
      shellSequentialMs,
      shellParallelMs,
      warmVsShellSequential: ratio(warmMs, shellSequentialMs),
      warmVsShellParallel: ratio(warmMs, shellParallelMs),
      warmVsShellParallelTarget: '≤ 1.30',
      coldVsShellSequential: ratio(coldMs, shellSequentialMs),
      coldPerRepoWallMs: parallelWallMs,
      coldPerRepoSlowestMs: Math.max(...perRepo),
      coldPerRepoSumMs: perRepo.reduce((a, b) => a + b, 0),
    };
  } finally {
    await root.cleanup();
  }
}

function printTable(figures: Record<string, number | string>): void {
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  console.log('release tagging benchmark');
  for (const [key, value] of Object.entries(figures)) console.log(`  ${key.padEnd(width)}  ${String(value).padStart(8)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchReleaseTagging());
}
