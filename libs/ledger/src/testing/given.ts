import { decide, fold } from '../decide';
import type { LedgerCommand } from '../commands';
import { LedgerRefusal } from '../errors';
import type { LedgerEvent } from '../events';
import { memberView, type MemberView } from '../member-view';
import { DEFAULT_CONFIG, type LedgerConfig } from '../program';
import type { MemberState } from '../state';

type History = LedgerCommand | LedgerEvent;

const isEvent = (h: History): h is LedgerEvent => 'data' in h;

/** Builds state from a history of commands (decided in turn) and events (folded as they are). */
export function stateFrom(history: readonly History[], config = DEFAULT_CONFIG): MemberState {
  let state = fold([]);
  for (const h of history) {
    const events = isEvent(h) ? [h] : decide(h, state, config);
    state = fold(events, state);
  }
  return state;
}

export interface Outcome {
  readonly events: LedgerEvent[];
  readonly state: MemberState;
  /** The member view as of an instant (default: the last command's time). */
  view(asOf?: string): MemberView;
  /** Asserts the events match, in order and number (each one partially). */
  then(expected: readonly object[]): Outcome;
  /** Asserts that the events of these types match, in order, ignoring other types. */
  thenIncludes(expected: readonly { type: LedgerEvent['type']; data?: object }[]): Outcome;
}

/** given(history).when(command).then(events) — or .thenThrows(reason). */
export function given(...history: History[]) {
  return {
    withConfig(config: LedgerConfig) {
      return { when: (command: LedgerCommand) => when(history, command, config) };
    },
    when: (command: LedgerCommand) => when(history, command, DEFAULT_CONFIG),
  };
}

function when(history: History[], command: LedgerCommand, config: LedgerConfig) {
  const before = stateFrom(history, config);
  const run = () => decide(command, before, config);
  let decided: Outcome | undefined;
  const result = () => (decided ??= outcome(run(), before, command, config));
  return {
    get events() {
      return result().events;
    },
    get state() {
      return result().state;
    },
    view: (asOf?: string) => result().view(asOf),
    then: (expected: readonly object[]) => result().then(expected),
    thenIncludes: (expected: readonly { type: LedgerEvent['type']; data?: object }[]) =>
      result().thenIncludes(expected),
    thenThrows(reason: LedgerRefusal['reason']): void {
      let caught: unknown;
      try {
        run();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(LedgerRefusal);
      expect((caught as LedgerRefusal).reason).toBe(reason);
    },
  };
}

function outcome(
  events: LedgerEvent[],
  before: MemberState,
  command: LedgerCommand,
  config: LedgerConfig,
): Outcome {
  const state = fold(events, before);
  const self: Outcome = {
    events,
    state,
    view(asOf = 'asOf' in command ? command.asOf : command.time) {
      const view = memberView(state, asOf, config);
      if (!view) throw new Error('the member is unknown');
      return view;
    },
    then(expected) {
      expect(events).toMatchObject(expected);
      return self;
    },
    thenIncludes(expected) {
      const types = new Set(expected.map((e) => e.type));
      expect(events.filter((e) => types.has(e.type))).toMatchObject(expected);
      return self;
    },
  };
  return self;
}
