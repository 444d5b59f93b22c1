// Loading allocations for a sweep. Bad data is a non-retryable failure naming the row (a sweep
// with bad input must do nothing destructive); an unreachable endpoint is retried.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type AllocationLoader, type AllocationSource, AllocationsError } from '../clients/allocations.js';
import { type Allocation } from '../workflows/lifecycle-types.js';

export type { AllocationSource } from '../clients/allocations.js';

/** What the allocation activities need. */
export interface AllocationActivityDeps {
  allocations: AllocationLoader;
}

const FAILURE_TYPES = {
  invalid: 'AllocationsInvalid',
  'not-found': 'AllocationsNotFound',
  denied: 'AllocationsDenied',
  unavailable: 'AllocationsUnavailable',
} as const;

export function createAllocationActivities(deps: AllocationActivityDeps) {
  return {
    /** Loads and validates the allocations (sorted by project id). */
    async loadAllocations(source: AllocationSource): Promise<Allocation[]> {
      if (!source || typeof source !== 'object' || (!('file' in source) && !('url' in source))) {
        throw ApplicationFailure.nonRetryable('allocations source must be { file } or { url }', 'InvalidAllocationsSource');
      }
      try {
        return await deps.allocations.load(source, activitySignal());
      } catch (error) {
        if (!(error instanceof AllocationsError)) throw error;
        const type = FAILURE_TYPES[error.kind];
        if (error.kind === 'unavailable') {
          throw ApplicationFailure.create({
            message: error.message, type, nonRetryable: false,
            ...(error.retryAfterMs ? { nextRetryDelay: error.retryAfterMs } : {}),
          });
        }
        throw ApplicationFailure.nonRetryable(error.message, type, { source: error.source, problems: error.problems });
      }
    },
  };
}

function activitySignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}
