#!/usr/bin/env node
// Checks the system programs the test suite drives for real (git, ansible-playbook, chromium).
// Where one is missing it installs the Debian package when it can (root on Debian with apt-get),
// otherwise it stops with the exact command to run. Nothing here is hidden from the README.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needs = [
  { program: 'git', pkg: 'git' },
  { program: 'ansible-playbook', pkg: 'ansible-core' },
  { program: 'chromium', pkg: 'chromium', path: '/usr/bin/chromium' },
];

const has = (n) => (n.path ? existsSync(n.path) : spawnSync('sh', ['-c', `command -v ${n.program}`]).status === 0);
const missing = needs.filter((n) => !has(n));
if (missing.length === 0) process.exit(0);

const pkgs = missing.map((n) => n.pkg);
const command = `apt-get update && apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
if (!isRoot || !hasApt || process.env.STRATUS_NO_APT === '1') {
  console.error(`stratus tests need: ${missing.map((n) => n.program).join(', ')}.\nInstall them with:\n  sudo ${command}`);
  process.exit(1);
}
console.error(`installing system packages for the tests: ${pkgs.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...pkgs]]) {
  const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`apt-get ${args.join(' ')} failed; run it by hand:\n  ${command}`);
    process.exit(1);
  }
}
const still = needs.filter((n) => !has(n));
if (still.length > 0) {
  console.error(`still missing after install: ${still.map((n) => n.program).join(', ')}`);
  process.exit(1);
}
