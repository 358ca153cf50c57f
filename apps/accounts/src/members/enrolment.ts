import { Queryable } from '@jifen/event-store';
import { memberStreamId } from './member-streams';

/** A member is enrolled once their stream exists (its first event is the enrolment). */
export async function enrolledAmong(
  db: Queryable,
  memberIds: readonly string[],
): Promise<Set<string>> {
  if (memberIds.length === 0) return new Set();
  const { rows } = await db.query<{ stream_id: string }>(
    'SELECT stream_id FROM messages WHERE stream_id = ANY($1::text[]) AND stream_position = 1',
    [memberIds.map(memberStreamId)],
  );
  return new Set(rows.map((row) => row.stream_id.slice('member-'.length)));
}

/** Every enrolled member, in id order (the jobs command each of them). */
export async function enrolledMembers(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ member_id: string }>(
    `SELECT substr(stream_id, 8) AS member_id FROM messages
     WHERE stream_position = 1 AND starts_with(stream_id, 'member-') ORDER BY stream_id`,
  );
  return rows.map((row) => row.member_id);
}
