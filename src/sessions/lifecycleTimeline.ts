import type { InspectionEvent } from 'xstate';

/** One top-level state the session's actor entered, with the epoch-millisecond time. */
export interface TimelineEntry {
  state: string;
  at: number;
}

/** The states between the first close trigger and release, whose durations the summary reports. */
export const CLOSING_STATES = ['TrackEnding', 'StoppingProcessor', 'ClosingSession', 'EmittingSummary', 'Cleanup'] as const;
export type ClosingState = (typeof CLOSING_STATES)[number];

function topLevelState(value: unknown): string {
  if (typeof value === 'string') return value;
  return Object.keys(value as object)[0] ?? 'unknown';
}

/**
 * The states an actor entered, in order. States left by an eventless transition in the same
 * step (TrackEnding always is) never show in a snapshot, so entries come from the actor's
 * microsteps (XState's inspection API), not from its subscription.
 */
export class LifecycleTimeline {
  private readonly entries: TimelineEntry[] = [];

  constructor(
    initialState: string,
    private readonly now: () => number = Date.now,
  ) {
    this.entries.push({ state: initialState, at: now() });
  }

  /** Pass to `createActor(..., { inspect })`; `isRoot` tells the session's own actor from its effects. */
  observe(event: InspectionEvent, isRoot: (actorRef: unknown) => boolean): void {
    if (event.type !== '@xstate.microstep' || !isRoot(event.actorRef)) return;
    this.enter(topLevelState(event.snapshot && (event.snapshot as { value?: unknown }).value));
  }

  /** Records `state` unless it is the state already current (a transition that only ran actions). */
  enter(state: string): void {
    if (this.entries[this.entries.length - 1]?.state === state) return;
    this.entries.push({ state, at: this.now() });
  }

  list(): TimelineEntry[] {
    return this.entries.map((entry) => ({ ...entry }));
  }

  /**
   * Milliseconds spent in each closing state that has been left (a state entered twice, as
   * TrackEnding is when a processor stop runs, adds up). With `untilNow`, the current state
   * counts too, up to now.
   */
  closeMsByState({ untilNow = false } = {}): Partial<Record<ClosingState, number>> {
    const spent: Partial<Record<ClosingState, number>> = {};
    const periods = this.entries.map((entry, i) => ({ ...entry, until: this.entries[i + 1]?.at ?? (untilNow ? this.now() : null) }));
    for (const { state, at, until } of periods) {
      if (until === null || !(CLOSING_STATES as readonly string[]).includes(state)) continue;
      const key = state as ClosingState;
      spent[key] = (spent[key] ?? 0) + (until - at);
    }
    return spent;
  }
}
