// ExecuteMultiOperation (update-with-start) failures as the real server reports them
// (serviceerror.MultiOperationExecution): the top-level status has the failing operation's code and
// the message "Update-with-Start could not be executed."; its details hold a
// MultiOperationExecutionFailure with one status per operation — the failing one with its own code,
// message and details, the others ABORTED with a MultiOperationExecutionAborted detail. The SDK
// reads the first status that is not aborted (WorkflowExecutionAlreadyStartedError, …).
import { GrpcError, packAny } from './proto.js';

const OPERATIONS = 2; // [startWorkflow, updateWorkflow]
const ABORTED = 10;

/** Runs `fn`; a GrpcError it throws becomes the multi-operation failure of operation `index`. */
export function failingOperation<T>(index: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof GrpcError)) throw err;
    const statuses = Array.from({ length: OPERATIONS }, (_, i) => i === index
      ? { code: err.code, message: err.message, details: err.detail ? [packAny(err.detail.typeName, err.detail.value)] : [] }
      : { code: ABORTED, message: 'Operation was aborted.', details: [packAny('temporal.api.failure.v1.MultiOperationExecutionAborted', {})] });
    throw new GrpcError(err.code, 'Update-with-Start could not be executed.', {
      typeName: 'temporal.api.errordetails.v1.MultiOperationExecutionFailure',
      value: { statuses },
    });
  }
}
