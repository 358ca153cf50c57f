/** The topics of CONTRACT.md section 2, and the internal ones under `loyalty.internal.`. */
export const Topics = {
  inbound: 'loyalty.inbound.v1',
  inboundDlq: 'loyalty.inbound.dlq.v1',
  accountsEvents: 'loyalty.accounts.events.v1',
  redemptionEvents: 'loyalty.redemption.events.v1',
  allianceInbound: 'loyalty.alliance.inbound.v1',
  allianceOutbound: 'loyalty.alliance.outbound.v1',
  commands: 'loyalty.internal.commands.v1',
} as const;

export type TopicKey = keyof typeof Topics;
export type TopicName = (typeof Topics)[TopicKey];
