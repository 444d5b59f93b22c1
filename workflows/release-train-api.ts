// The release train's query, updates and signal: one definition shared by the workflow, the CLI
// and the tests (only @temporalio/workflow's define* helpers, safe to import anywhere).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Phase } from './release-calendar.js';
import type { ApproveArgs, TagArgs, TagUpdateResult, TrainStatus } from './release-train-types.js';

/** Everything a person sees: phase, dates, repos, what the train waits for and why, tags. */
export const statusQuery = defineQuery<TrainStatus>('status');
/**
 * Opens the release gate (in the last phase or after the calendar ended). Returns a message.
 * Carries who approves; with GitHub configured they must administer every repo to be tagged.
 */
export const approveUpdate = defineUpdate<string, [ApproveArgs]>('approve');
/** Ends the running phase now, pulling later phases forward. Returns the phase now running (or null). */
export const advanceUpdate = defineUpdate<Phase | null>('advance');
/** Cuts the next patch tag `v<N>-<k+1>` after the release; returns it once pushed. Carries who asks (checked like the approver). */
export const tagUpdate = defineUpdate<TagUpdateResult, [TagArgs]>('tag');
/** Retries what the train waits on (after an operator fixed it). Returns a message. */
export const resumeUpdate = defineUpdate<string>('resume');
/** Stops the train (the next one, if started, goes on). Returns a message. */
export const cancelUpdate = defineUpdate<string>('cancel');
/** Sent by train N+1 to train N once `v<N+1>-1` is out: train N stops taking patches and completes. */
export const successorReleasedSignal = defineSignal<[{ version: number; tag: string }]>('successorReleased');
