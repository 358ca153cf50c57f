import type { ProgramVersion } from './program';

/**
 * FNV-1a (32 bit) of the member id: stable across processes, runtimes and releases, so a
 * member stays on the same side of the ROI experiment for as long as the share is unchanged.
 */
export function memberIdHash(memberId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < memberId.length; i++) {
    hash ^= memberId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Control-group members earn no behaviour points (every section 4 row but purchase). */
export function isInControlGroup(memberId: string, program: ProgramVersion): boolean {
  return memberIdHash(memberId) % 10_000 < program.controlGroupShareBasisPoints;
}
