/**
 * A record that grows by a key per event (orders, redemptions, transfers...), immutable
 * without copying all of it on each event. Spreading a 5,000-key object costs about 2 ms, so
 * a member with thousands of redemptions made every further event cost that. Here keys fall
 * into 64 buckets by a hash of the key: adding one copies the bucket index and one bucket
 * (about 1/64 of the keys). It stays plain JSON, so a snapshot stores it as it is.
 */
export type Keyed<V> = Readonly<Record<string, Readonly<Record<string, V>>>>;

const buckets = 64;

/** FNV-1a over the UTF-16 code units, modulo the bucket count. */
function bucketOf(key: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return String((hash >>> 0) % buckets);
}

export function keyedGet<V>(keyed: Keyed<V>, key: string): V | undefined {
  const bucket = keyed[bucketOf(key)];
  return bucket && Object.prototype.hasOwnProperty.call(bucket, key) ? bucket[key] : undefined;
}

export function keyedHas<V>(keyed: Keyed<V>, key: string): boolean {
  return keyedGet(keyed, key) !== undefined;
}

/** A new record with `key` set to `value`; `keyed` is left as it was. */
export function keyedSet<V>(keyed: Keyed<V>, key: string, value: V): Keyed<V> {
  const b = bucketOf(key);
  return { ...keyed, [b]: { ...keyed[b], [key]: value } };
}

export function keyedEntries<V>(keyed: Keyed<V>): Array<[string, V]> {
  return Object.values(keyed).flatMap((bucket) => Object.entries(bucket));
}

export function keyedValues<V>(keyed: Keyed<V>): V[] {
  return Object.values(keyed).flatMap((bucket) => Object.values(bucket));
}
