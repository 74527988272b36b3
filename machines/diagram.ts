/**
 * Diagrams and exports generated from a machine definition: the transitions of its state nodes
 * (events, `always`, `after` delays by name, invoke onDone/onError), a Mermaid stateDiagram-v2
 * and the graph the browser page draws. Pure functions of the machine, used by
 * `npm run machines:export`, by the page's routes and by the tests that check the committed
 * exports are up to date.
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { toDirectedGraph } from 'xstate/graph';

export type TransitionKind = 'event' | 'always' | 'after' | 'done' | 'error';

export interface MachineTransition {
  /** State node path below the root, e.g. "Active". */
  source: string;
  target: string;
  kind: TransitionKind;
  /** The event type, the delay name, or the invoked actor's source; null for `always`. */
  trigger: string | null;
  /** Guard name; "else" for an unguarded transition after guarded ones for the same trigger. */
  guard: string | null;
  /** e.g. "TRACK_ENDED [isLiveTrack]", "after stopTimeout", "freezeCounters done [dataChannelNotOpen]". */
  label: string;
}

export interface MachineState {
  path: string;
  type: string;
}

const pathOf = (node: AnyStateNode): string => node.path.join('.');

function nameOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'function') return value.name || 'inline';
  if (value && typeof value === 'object' && 'type' in value) return String(value.type);
  return 'inline';
}

function triggerOf(node: AnyStateNode, transition: AnyTransitionDefinition): { kind: TransitionKind; trigger: string } {
  const eventType = String(transition.eventType);
  const delayed = node.after.find((after) => after.eventType === eventType);
  if (delayed) return { kind: 'after', trigger: typeof delayed.delay === 'number' ? `${delayed.delay}ms` : nameOf(delayed.delay) };
  for (const invoke of node.invoke) {
    if (eventType === `xstate.done.actor.${invoke.id}`) return { kind: 'done', trigger: nameOf(invoke.src) };
    if (eventType === `xstate.error.actor.${invoke.id}`) return { kind: 'error', trigger: nameOf(invoke.src) };
  }
  return { kind: 'event', trigger: eventType };
}

function labelOf(kind: TransitionKind, trigger: string | null, guard: string | null): string {
  const base = kind === 'always' ? 'always' : kind === 'after' ? `after ${trigger}` : kind === 'event' ? trigger : `${trigger} ${kind}`;
  return guard ? `${base} [${guard}]` : String(base);
}

/** Guard names, with "else" for an unguarded fallback that follows guarded alternatives. */
function guardsOf(alternatives: readonly AnyTransitionDefinition[]): (string | null)[] {
  return alternatives.map((transition, index) =>
    transition.guard ? nameOf(transition.guard) : index > 0 && alternatives[index - 1]!.guard ? 'else' : null,
  );
}

/** The transitions a state node itself declares that lead to a target (targetless ones only run actions). */
export function transitionsOf(node: AnyStateNode): MachineTransition[] {
  const result: MachineTransition[] = [];
  const byEvent = new Map<string, AnyTransitionDefinition[]>();
  for (const edge of toDirectedGraph(node).edges) {
    const eventType = String(edge.transition.eventType);
    const alternatives = byEvent.get(eventType) ?? [];
    if (!alternatives.includes(edge.transition)) alternatives.push(edge.transition);
    byEvent.set(eventType, alternatives);
  }
  const add = (alternatives: readonly AnyTransitionDefinition[], describe: (t: AnyTransitionDefinition) => { kind: TransitionKind; trigger: string | null }) => {
    const guards = guardsOf(alternatives);
    alternatives.forEach((transition, index) => {
      const { kind, trigger } = describe(transition);
      for (const target of transition.target ?? []) {
        result.push({ source: pathOf(node), target: pathOf(target), kind, trigger, guard: guards[index]!, label: labelOf(kind, trigger, guards[index]!) });
      }
    });
  };
  for (const alternatives of byEvent.values()) add(alternatives, (transition) => triggerOf(node, transition));
  add(node.always ?? [], () => ({ kind: 'always', trigger: null }));
  return result;
}

/** The states directly below the root, in definition order. */
export function topLevelStates(machine: AnyStateMachine): MachineState[] {
  return Object.values(machine.root.states).map((node) => ({ path: pathOf(node), type: node.type }));
}

/** Every targeted transition declared by a state directly below the root. */
export function topLevelTransitions(machine: AnyStateMachine): MachineTransition[] {
  return Object.values(machine.root.states).flatMap(transitionsOf);
}

/** The top level of a machine as data: what the browser page draws (GET /page/machine.json). */
export interface MachineGraph {
  id: string;
  /** The state the machine starts in. */
  initial: string;
  /** In definition order; `type` is "final" for a state the machine ends in. */
  states: MachineState[];
  transitions: MachineTransition[];
}

export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const initial = machine.root.initial?.target[0];
  if (!initial) throw new Error(`machine ${machine.id} has no initial state`);
  return { id: machine.id, initial: pathOf(initial), states: topLevelStates(machine), transitions: topLevelTransitions(machine) };
}

const mermaidId = (path: string): string => path.replace(/\./g, '_');

const listOf = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Entry and exit actions as written in the config (`node.entry` also holds the timers of `after`). */
function describeState(node: AnyStateNode): string[] {
  const notes = [
    ...listOf(node.config.entry).map((action) => `entry ${nameOf(action)}`),
    ...node.invoke.map((invoke) => `invoke ${nameOf(invoke.src)}`),
    ...listOf(node.config.exit).map((action) => `exit ${nameOf(action)}`),
  ];
  return notes.map((note) => `${mermaidId(pathOf(node))} : ${note}`);
}

function mermaidLines(parent: AnyStateNode, indent: string): string[] {
  const lines: string[] = [];
  const children = Object.values(parent.states);
  const initial = parent.initial?.target[0];
  if (initial) lines.push(`${indent}[*] --> ${mermaidId(pathOf(initial))}`);
  for (const node of children) {
    if (Object.keys(node.states).length > 0) {
      lines.push(`${indent}state ${mermaidId(pathOf(node))} {`, ...mermaidLines(node, `${indent}    `), `${indent}}`);
    }
    lines.push(...describeState(node).map((line) => indent + line));
  }
  for (const node of children) {
    for (const t of transitionsOf(node)) lines.push(`${indent}${mermaidId(t.source)} --> ${mermaidId(t.target)} : ${t.label}`);
    if (node.type === 'final') lines.push(`${indent}${mermaidId(pathOf(node))} --> [*]`);
  }
  return lines;
}

/** A Mermaid stateDiagram-v2 of the machine, transitions labelled as in `MachineTransition.label`. */
export function toMermaid(machine: AnyStateMachine): string {
  return ['stateDiagram-v2', ...mermaidLines(machine.root, '    ')].join('\n') + '\n';
}

/** The files `npm run machines:export` writes into machines/, by name. */
export function exportFiles(machine: AnyStateMachine): Record<string, string> {
  const markdown = [
    `# ${machine.id} state machine`,
    '',
    `Generated from \`machines/${machine.id}.machine.ts\` by \`npm run machines:export\`; do not edit by hand.`,
    'Guards are in brackets. `always` transitions are taken at once: the first whose guard holds, in the',
    'order of the definition. `after` transitions fire when the named delay runs out; `done` and `error`',
    'follow the invoked actor. Transitions without a target (they only run actions) are left out.',
    '',
    '```mermaid',
    toMermaid(machine).trimEnd(),
    '```',
    '',
  ].join('\n');
  return {
    [`${machine.id}.machine.json`]: `${JSON.stringify(machine.config, null, 2)}\n`,
    [`${machine.id}.mermaid.md`]: markdown,
  };
}
