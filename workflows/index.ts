// The single workflowsPath: every workflow stratus runs is exported from here.
export {};
export { imageStream } from './image-stream.js';
export { nightlyBuild } from './nightly-build.js';
export { releaseTrain } from './release-train.js';
