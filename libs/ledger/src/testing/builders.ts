import type {
  CheckIn,
  CompleteProfile,
  LedgerCommand,
  RecordPurchase,
  RefundPurchase,
  SignUp,
} from '../commands';

/** The member most tests are about. */
export const ME = 'm-1';

let seq = 0;
const source = () => `evt-${++seq}`;

/** Program time (Asia/Shanghai): "2024-03-01 10:00" → "2024-03-01T10:00:00+08:00". */
export function at(local: string): string {
  const [day, time = '12:00'] = local.split(' ');
  return `${day}T${time.length === 5 ? `${time}:00` : time}+08:00`;
}

type Extra<C> = Partial<Omit<C, 'type' | 'time'>>;

export const signUp = (time: string, extra: Extra<SignUp> = {}): SignUp => ({
  type: 'SignUp',
  memberId: ME,
  time: at(time),
  sourceEventId: source(),
  ...extra,
});

export const profile = (time: string, extra: Extra<CompleteProfile> = {}): CompleteProfile => ({
  type: 'CompleteProfile',
  memberId: ME,
  time: at(time),
  sourceEventId: source(),
  ...extra,
});

export const purchase = (
  orderId: string,
  amountMinor: number,
  time: string,
  extra: Extra<RecordPurchase> = {},
): RecordPurchase => ({
  type: 'RecordPurchase',
  memberId: ME,
  orderId,
  amountMinor,
  time: at(time),
  sourceEventId: source(),
  ...extra,
});

export const refund = (
  orderId: string,
  refundId: string,
  amountMinor: number,
  time: string,
): RefundPurchase => ({
  type: 'RefundPurchase',
  memberId: ME,
  orderId,
  refundId,
  amountMinor,
  time: at(time),
  sourceEventId: source(),
});

export const checkIn = (time: string, memberId = ME): CheckIn => ({
  type: 'CheckIn',
  memberId,
  time: at(time),
  sourceEventId: source(),
});

type Timed = Extract<LedgerCommand, { time: string }>;

/** Any other timed command: command('RecordShare', '2024-03-01 10:00', { shareId: 's1' }). */
export function command<T extends Timed['type']>(
  type: T,
  time: string,
  fields: Omit<Extract<Timed, { type: T }>, 'type' | 'time' | 'memberId' | 'sourceEventId'> & {
    memberId?: string;
  },
): Extract<Timed, { type: T }> {
  return {
    memberId: ME,
    sourceEventId: source(),
    ...fields,
    type,
    time: at(time),
  } as Extract<Timed, { type: T }>;
}

export const runExpiry = (asOf: string): LedgerCommand => ({
  type: 'RunExpiry',
  memberId: ME,
  asOf: at(asOf),
  sourceEventId: source(),
});

export const reviewTier = (asOf: string): LedgerCommand => ({
  type: 'ReviewTier',
  memberId: ME,
  asOf: at(asOf),
  sourceEventId: source(),
});
