// The files the first-run demo writes: its build and test scripts and its stratus.yaml (the
// release and images sections on local origins and scripts, the openstack and lifecycle sections
// on the simulated cloud and mailbox of cli/demo-cloud.ts).
import { join } from 'node:path';
import { DEMO_CLOUD_CREDENTIAL, DEMO_CLOUD_SECRET_ENV, type DemoCloud } from './demo-cloud.js';

export const DEMO_STREAM = 'demo';

export const BUILD = `#!/bin/sh
# Demo image build: writes a small "disk image" into the output dir stratus gives it.
set -e
echo "building $STRATUS_BUILD_ID on $STRATUS_BASE_RELEASE"
printf 'demo disk image %s\\n' "$STRATUS_BUILD_ID" > "$STRATUS_OUTPUT_DIR/demo.qcow2"
`;
export const BOOT_TEST = `#!/bin/sh
# Demo test: the image file exists and is not empty.
test -s "$STRATUS_IMAGE_DIR/demo.qcow2" || { echo "no image file in $STRATUS_IMAGE_DIR"; exit 1; }
echo "boots fine"
`;
export const LINT_TEST = `#!/bin/sh
# Demo advisory test: always complains, which shows as "advisory fail" without failing the image.
echo "lint: the demo image has no release notes"
exit 1
`;

function cloudYaml(cloud: DemoCloud): string {
  return `# The lifecycle runs against a SIMULATED OpenStack cloud (in memory, 127.0.0.1) and a local
# mailbox: nothing real is shelved, deleted or emailed. The ports change at every start.
openstack:
  authUrl: ${JSON.stringify(cloud.authUrl)}
  region: DemoRegion
  auth: { applicationCredentialId: ${DEMO_CLOUD_CREDENTIAL}, applicationCredentialSecretEnv: ${DEMO_CLOUD_SECRET_ENV} }
  protectedProjects: [admin-project]
lifecycle:
  enforce: true
  maxActionsPerSweep: 3
  maxActionsPercent: 100
  allocations: { file: allocations.csv }
  eol:
    - { distro: ubuntu, version: "18.04", eol: ${cloud.eolDate} }
  notify:
    smtp: { host: ${cloud.smtp.host}, port: ${cloud.smtp.port} }
    from: lifecycle@demo-cloud.example.org
    fallbackTo: [cloud-admins@demo-cloud.example.org]
    cloudName: Demo Cloud (simulated)
    helpContact: https://demo-cloud.example.org/help
  rules:
    - { kind: shelve-stopped }
    - { kind: delete-shelved }
    - { kind: expire-allocation }
    - { kind: retire-eol-images, warn: [30d] }
`;
}

/** The demo's stratus.yaml: local origins and scripts under `dir`, and the simulated cloud when it runs. */
export function demoYaml(dir: string, cloud: DemoCloud | undefined): string {
  const url = (name: string) => JSON.stringify(`file://${join(dir, 'origins', `${name}.git`)}`);
  return `# Written by \`stratus dev\` on its first run (no ./stratus.yaml). Everything is local.
dev:
  dbFile: ../dev.db
dashboard:
  operatorsFile: operators.yaml
release:
  cacheDir: git-cache
  trickleDown: never
  repos:
    - { name: atmosphere, url: ${url('atmosphere')}, target: release-branch }
    - { name: clank, url: ${url('clank')}, target: master }
images:
  site: { outDir: site, title: Demo image downloads }
  workDir: images
  streams:
    - name: ${DEMO_STREAM}
      base: demo-1
      build: { command: [sh, scripts/build.sh], timeout: 5m }
      tests:
        - { name: boot, command: [sh, scripts/test-boot.sh], timeout: 5m }
        - { name: lint, command: [sh, scripts/test-lint.sh], timeout: 5m, advisory: true }
${cloud ? cloudYaml(cloud) : ''}`;
}
