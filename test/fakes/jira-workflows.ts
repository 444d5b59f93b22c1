// The issue workflows the JIRA fake can run, as real projects configure them:
// - classic: JIRA Server's default (Open → Resolved/Closed); the transitions set a resolution.
// - simple: To Do → In Progress → Done, as Cloud's team-managed projects: Done sets NO resolution,
//   so a closed bug stays "Unresolved" (`resolution is EMPTY` still finds it).
// - resolution-screen: as simple, but Done has a screen whose resolution field is required
//   (400 `{"errors":{"resolution":"Resolution is required."}}` without it).
// - reopens: as simple, but an automation rule sends every issue reaching Done back to To Do.

/** A status category as JIRA reports it. */
export interface StatusCategory { id: number; key: 'new' | 'indeterminate' | 'done'; name: string }
export const CATEGORY = {
  new: { id: 2, key: 'new', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', name: 'In Progress' },
  done: { id: 3, key: 'done', name: 'Done' },
} as const satisfies Record<string, StatusCategory>;

export type WorkflowName = 'classic' | 'simple' | 'resolution-screen' | 'reopens';

export interface FakeTransition {
  id: string;
  name: string;
  to: string;
  from: string[];
  /** classic: the post function sets this resolution; `null` clears it; undefined leaves it. */
  setsResolution?: string | null;
  /** The transition screen requires a resolution. */
  requiresResolution?: boolean;
}

export interface FakeWorkflow {
  statuses: Record<string, StatusCategory>;
  initial: string;
  /** The status and resolution of an issue seeded as done. */
  done: { status: string; resolution: string | null };
  transitions: FakeTransition[];
  /** Where an automation rule moves an issue after it reached `status` (reopens). */
  automation?: (status: string) => string | undefined;
}

/** Resolutions a transition screen offers (real JIRA's defaults, "Won't Do" first). */
export const RESOLUTIONS = [
  { id: '10001', name: "Won't Do" }, { id: '10000', name: 'Done' }, { id: '10002', name: 'Duplicate' }, { id: '10003', name: 'Cannot Reproduce' },
];

const SIMPLE_STATUSES = { 'To Do': CATEGORY.new, 'In Progress': CATEGORY.indeterminate, Done: CATEGORY.done };
const ALL = ['To Do', 'In Progress', 'Done'];
const simpleTransitions = (doneRequiresResolution: boolean): FakeTransition[] => [
  { id: '11', name: 'To Do', to: 'To Do', from: ALL, setsResolution: null },
  { id: '21', name: 'In Progress', to: 'In Progress', from: ALL, setsResolution: null },
  { id: '31', name: 'Done', to: 'Done', from: ALL, ...(doneRequiresResolution ? { requiresResolution: true } : {}) },
];

export const WORKFLOWS: Record<WorkflowName, FakeWorkflow> = {
  classic: {
    statuses: { Open: CATEGORY.new, 'In Progress': CATEGORY.indeterminate, Reopened: CATEGORY.new, Resolved: CATEGORY.done, Closed: CATEGORY.done },
    initial: 'Open',
    done: { status: 'Resolved', resolution: 'Fixed' },
    transitions: [
      { id: '5', name: 'Resolve Issue', to: 'Resolved', from: ['Open', 'In Progress', 'Reopened'], setsResolution: 'Fixed' },
      { id: '2', name: 'Close Issue', to: 'Closed', from: ['Open', 'In Progress', 'Reopened', 'Resolved'], setsResolution: 'Fixed' },
      { id: '3', name: 'Reopen Issue', to: 'Reopened', from: ['Resolved', 'Closed'], setsResolution: null },
    ],
  },
  simple: { statuses: SIMPLE_STATUSES, initial: 'To Do', done: { status: 'Done', resolution: null }, transitions: simpleTransitions(false) },
  'resolution-screen': { statuses: SIMPLE_STATUSES, initial: 'To Do', done: { status: 'Done', resolution: 'Done' }, transitions: simpleTransitions(true) },
  reopens: {
    statuses: SIMPLE_STATUSES, initial: 'To Do', done: { status: 'Done', resolution: null }, transitions: simpleTransitions(false),
    automation: (status) => (status === 'Done' ? 'To Do' : undefined),
  },
};

/** A transition as `GET …/transitions?expand=transitions.fields` shows it. */
export function transitionJson(w: FakeWorkflow, t: FakeTransition): Record<string, unknown> {
  return {
    id: t.id, name: t.name, hasScreen: t.requiresResolution === true,
    to: { name: t.to, statusCategory: w.statuses[t.to] },
    fields: t.requiresResolution
      ? { resolution: { required: true, hasDefaultValue: false, name: 'Resolution', schema: { type: 'resolution', system: 'resolution' }, operations: ['set'], allowedValues: RESOLUTIONS } }
      : {},
  };
}
