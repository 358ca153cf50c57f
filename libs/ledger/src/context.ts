import { commandTime, type LedgerCommand } from './commands';
import { UnknownMember } from './errors';
import type { EntryData, LedgerEvent, LotLine } from './events';
import { evolve } from './evolve';
import { programAt, type LedgerConfig, type ProgramVersion } from './program';
import { balanceOf, type EnrolledMember, type MemberState } from './state';
import { toInstant, type Instant } from './time';

/**
 * One decision in progress: the events emitted so far and the state they lead to, so each rule
 * sees what the rules before it did (a credit after a debt payoff, a tier after a purchase).
 */
export interface Decision {
  readonly config: LedgerConfig;
  readonly timeZone: string;
  readonly program: ProgramVersion;
  readonly time: Instant;
  readonly memberId: string;
  readonly sourceEventId: string;
  state: MemberState;
  readonly events: LedgerEvent[];
}

export function startDecision(
  command: LedgerCommand,
  state: MemberState,
  config: LedgerConfig,
): Decision {
  const time = toInstant(commandTime(command), 'asOf' in command ? 'asOf' : 'time');
  return {
    config,
    timeZone: config.timeZone,
    program: programAt(config.program, time),
    time,
    memberId: command.memberId,
    sourceEventId: command.sourceEventId,
    state,
    events: [],
  };
}

export function emit(d: Decision, event: LedgerEvent): void {
  d.events.push(event);
  d.state = evolve(d.state, event);
}

export function enrolled(d: Decision): EnrolledMember {
  if (d.state.status === 'unknown') {
    throw new UnknownMember(`member ${d.memberId} was never enrolled`);
  }
  return d.state;
}

export function fact(d: Decision): { occurredAt: Instant; sourceEventId: string } {
  return { occurredAt: d.time, sourceEventId: d.sourceEventId };
}

export function entryData(
  d: Decision,
  fields: {
    points: number;
    ruleId: string;
    explanation: string;
    lots?: readonly LotLine[];
    /** Defaults to the balance now plus `points`. */
    balanceAfter?: number;
  },
): EntryData {
  const member = enrolled(d);
  return {
    entryId: `${member.memberId}:${member.entrySeq + 1}`,
    points: fields.points,
    balanceAfter: fields.balanceAfter ?? balanceOf(member) + fields.points,
    occurredAt: d.time,
    ruleId: fields.ruleId,
    ruleVersion: d.program.version,
    sourceEventId: d.sourceEventId,
    explanation: fields.explanation,
    lots: fields.lots ?? [],
  };
}
