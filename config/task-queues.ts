/**
 * The Temporal task queues stratus serves. Plain constants with no imports, so the CLI, the
 * config schema and the workers agree on one spelling.
 */
export const TASK_QUEUES = ['stratus-release', 'stratus-images', 'stratus-lifecycle'] as const;

/** One of the stratus task queues. */
export type TaskQueue = (typeof TASK_QUEUES)[number];
