import { CloudEvent } from '@jifen/contracts';

/**
 * The retail-chain scenario of CONTRACT.md section 6 as data: members signing up over a
 * simulated year (some referred), purchases with realistic baskets and seasonality, refunds,
 * shares, reviews, check-ins, redemptions and partner credits. A seeded generator: the same
 * seed gives the same scenario, whatever the run's member-id prefix.
 */
export interface ScenarioOptions {
  seed: number;
  members: number;
  year: number;
  /** Prefixes every member id and event source, so a run never meets an earlier one's data. */
  runId: string;
}

export type Redemption =
  | { kind: 'points'; memberId: string; itemId: string; redemptionId: string }
  | { kind: 'cash_offset'; memberId: string; orderId: string; points: number; redemptionId: string }
  | {
      kind: 'points_plus_cash';
      memberId: string;
      itemId: string;
      points: number;
      paid: boolean;
      redemptionId: string;
    };

export interface PartnerCredit {
  memberId: string;
  messageId: string;
  points: number;
  occurredAt: string;
}

export interface Month {
  /** 1–12 */
  month: number;
  label: string;
  events: CloudEvent[];
  redemptions: Redemption[];
  partnerCredits: PartnerCredit[];
  /** The month's last instant in program time (Asia/Shanghai, UTC+8): the jobs' asOf. */
  endsAt: string;
}

/** mulberry32: small, fast, good enough for a simulation, and the same everywhere. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Shopping across the year: the Spring Festival month is quiet, Double 11 and December busy.
const seasonality = [0.9, 0.75, 1.0, 1.0, 1.05, 1.1, 1.0, 1.0, 1.05, 1.1, 1.6, 1.4];
const pointsItems = [
  'voucher-10',
  'coffee-cup',
  'delivery-free',
  'car-wash',
  'movie-ticket',
  'donation-school-meals',
];
const cashItems = ['rice-5kg', 'cooking-oil-5l', 'kettle', 'towel-set', 'power-bank'];
const cashPrices: Record<string, number> = {
  'rice-5kg': 4_990,
  'cooking-oil-5l': 8_990,
  kettle: 15_900,
  'towel-set': 6_900,
  'power-bank': 11_900,
};

const pad = (n: number) => String(n).padStart(2, '0');
/** An instant in program time (UTC+8) as RFC 3339 with its offset. */
const at = (year: number, month: number, day: number, hour: number, minute: number) =>
  `${year}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:00+08:00`;
const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

export function scenario(options: ScenarioOptions): Month[] {
  const rand = random(options.seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)];
  const { year, runId } = options;
  let sequence = 0;
  const id = () => `${runId}-${++sequence}`;
  const event = (
    type: string,
    time: string,
    memberId: string,
    data: Record<string, unknown>,
    store: number,
  ): CloudEvent => ({
    specversion: '1.0',
    id: id(),
    source: `demo/${runId}/store-${store}`,
    type,
    time,
    subject: memberId,
    datacontenttype: 'application/json',
    data: { memberId, ...data },
  });

  interface Member {
    memberId: string;
    store: number;
    /** How keen a shopper: scales visits and baskets. */
    appetite: number;
    joinedMonth: number;
    points: number;
    reviewed: boolean;
    orders: Array<{ orderId: string; amountMinor: number }>;
  }
  const members: Member[] = [];
  // Sign-ups over the year, more in the first months of the program.
  const joinWeights = Array.from({ length: 12 }, (_, m) => 1.8 - m * 0.1);
  const joinTotal = joinWeights.reduce((a, b) => a + b, 0);

  const months: Month[] = [];
  for (let month = 1; month <= 12; month++) {
    const events: CloudEvent[] = [];
    const redemptions: Redemption[] = [];
    const partnerCredits: PartnerCredit[] = [];
    const days = daysIn(year, month);
    const when = () => {
      const day = 1 + Math.floor(rand() * days);
      return {
        day,
        time: at(year, month, day, 8 + Math.floor(rand() * 14), Math.floor(rand() * 60)),
      };
    };

    const earlier = [...members];
    const joining = Math.round((options.members * joinWeights[month - 1]) / joinTotal);
    for (let i = 0; i < joining && members.length < options.members; i++) {
      const memberId = `${runId}-m${members.length + 1}`;
      const member: Member = {
        memberId,
        store: 1 + Math.floor(rand() * 50),
        appetite: 0.4 + rand() * 1.6,
        joinedMonth: month,
        points: 50,
        reviewed: false,
        orders: [],
      };
      const { day, time } = when();
      // Referrers joined in an earlier month, so their sign-up is applied before this one is
      // (members sit on different partitions): the run's figures do not depend on timing.
      const referrer = earlier.length > 10 && rand() < 0.15 ? pick(earlier) : undefined;
      const birthday = `${pad(1 + Math.floor(rand() * 12))}-${pad(1 + Math.floor(rand() * 28))}`;
      events.push(
        event(
          'member.signed_up',
          time,
          memberId,
          { birthday, ...(referrer && { referrerId: referrer.memberId }) },
          member.store,
        ),
      );
      if (referrer) {
        referrer.points += 50;
        member.points += 50;
      }
      if (rand() < 0.6) {
        const later = Math.min(days, day + Math.floor(rand() * 5));
        events.push(
          event(
            'member.profile_completed',
            at(year, month, later, 21, 30),
            memberId,
            {},
            member.store,
          ),
        );
        member.points += 30;
      }
      members.push(member);
    }

    for (const member of members) {
      const isNew = member.joinedMonth === month;
      if (!isNew && rand() > 0.55 * member.appetite) continue;
      const visits = 1 + Math.floor(rand() * 3 * member.appetite * seasonality[month - 1]);
      for (let v = 0; v < visits; v++) {
        const { time } = when();
        // Baskets of 30 to 900 CNY, most under 200, bigger in busy months.
        const amountMinor = Math.round((30 + 870 * rand() ** 3) * seasonality[month - 1] * 100);
        const orderId = `${member.memberId}-o${member.orders.length + 1}`;
        member.orders.push({ orderId, amountMinor });
        member.points += Math.floor(amountMinor / 100);
        const channel = rand() < 0.3 ? 'online' : 'offline';
        events.push(
          event(
            'purchase.completed',
            time,
            member.memberId,
            { orderId, amountMinor, currency: 'CNY', storeId: `store-${member.store}`, channel },
            member.store,
          ),
        );
        if (rand() < 0.04) {
          const refund =
            rand() < 0.5 ? amountMinor : Math.round(amountMinor * (0.2 + rand() * 0.5));
          const later = time.replace(
            /T(\d\d)/,
            (_, h: string) => `T${pad(Math.min(23, Number(h) + 1))}`,
          );
          events.push(
            event(
              'purchase.refunded',
              later,
              member.memberId,
              { orderId, refundId: `${orderId}-r`, amountMinor: refund },
              member.store,
            ),
          );
        }
      }
      if (!member.reviewed && rand() < 0.3) {
        member.reviewed = true;
        events.push(
          event(
            'review.posted',
            when().time,
            member.memberId,
            { reviewId: `${member.memberId}-rv` },
            member.store,
          ),
        );
      }
      if (rand() < 0.25) {
        const checkIns = 1 + Math.floor(rand() * 8);
        for (let c = 0; c < checkIns; c++)
          events.push(event('member.checked_in', when().time, member.memberId, {}, member.store));
      }
      if (rand() < 0.15)
        events.push(
          event(
            'content.shared',
            when().time,
            member.memberId,
            { shareId: id(), channel: 'wechat' },
            member.store,
          ),
        );

      // Redemptions: a member with points to spend sometimes does.
      const r = rand();
      if (member.points >= 1_500 && r < 0.06) {
        redemptions.push({
          kind: 'points',
          memberId: member.memberId,
          itemId: pick(pointsItems),
          redemptionId: id(),
        });
        member.points -= 1_500;
      } else if (member.points >= 500 && r < 0.1) {
        const points = 100 * (1 + Math.floor(rand() * 5));
        redemptions.push({
          kind: 'cash_offset',
          memberId: member.memberId,
          orderId: `${member.memberId}-checkout-${month}`,
          points,
          redemptionId: id(),
        });
        member.points -= points;
      } else if (member.points >= 1_000 && r < 0.12) {
        const itemId = pick(cashItems);
        const points = Math.max(100, Math.floor((cashPrices[itemId] * 30) / 100 / 2));
        redemptions.push({
          kind: 'points_plus_cash',
          memberId: member.memberId,
          itemId,
          points,
          paid: rand() < 0.85,
          redemptionId: id(),
        });
        member.points -= points;
      }
      if (rand() < 0.01) {
        const points = 500 * (1 + Math.floor(rand() * 6));
        partnerCredits.push({
          memberId: member.memberId,
          messageId: id(),
          points,
          occurredAt: when().time,
        });
        member.points += points;
      }
    }
    events.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    months.push({
      month,
      label: `${year}-${pad(month)}`,
      events,
      redemptions,
      partnerCredits,
      endsAt: at(year, month, days, 23, 59).replace(':00+08:00', ':59+08:00'),
    });
  }
  return months;
}
