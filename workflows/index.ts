// The single workflowsPath: every workflow stratus runs is exported from here.
export {};
