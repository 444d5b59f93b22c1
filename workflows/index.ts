// The single workflowsPath: every workflow stratus runs is exported from here.
export { imageStream } from './image-stream.js';
export { nightlyBuild } from './nightly-build.js';
export { releaseTrain } from './release-train.js';
export { lifecycle } from './lifecycle.js';
export { lifecycleSweep } from './lifecycle-sweep.js';
export { deployInstance } from './deploy-instance.js';
