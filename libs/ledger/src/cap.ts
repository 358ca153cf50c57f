import type { ProgramVersion } from './program';
import type { EnrolledMember } from './state';

/**
 * The monthly behaviour cap: behaviour points (every section 4 row but purchase) are credited
 * up to `behaviourCapPerMonth` per member per calendar month; the rest is withheld.
 */
export function applyBehaviourCap(
  member: EnrolledMember,
  month: string,
  points: number,
  program: ProgramVersion,
): { credited: number; withheld: number } {
  const used = member.behaviourThisMonth?.month === month ? member.behaviourThisMonth.points : 0;
  const room = Math.max(0, program.behaviourCapPerMonth - used);
  const credited = Math.min(points, room);
  return { credited, withheld: points - credited };
}
