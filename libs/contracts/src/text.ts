/**
 * Characters PostgreSQL cannot store: U+0000 (not in `text`, not in `jsonb`) and unpaired
 * UTF-16 surrogates (refused by `jsonb`). JSON can carry both as `\u0000` and `\ud800`; a value
 * holding one makes the write fail, and a consumer whose batch write fails retries it forever.
 */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what is looked for
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function isStorableText(text: string): boolean {
  return !unstorable.test(text);
}

/**
 * The path of the first string (value or key) in a JSON value that PostgreSQL cannot store,
 * e.g. `data.orderId`; undefined when there is none. Iterative, so any depth is safe.
 */
export function firstUnstorableText(value: unknown, root: string): string | undefined {
  const pending: Array<[unknown, string]> = [[value, root]];
  while (pending.length > 0) {
    const [next, path] = pending.pop()!;
    if (typeof next === 'string') {
      if (!isStorableText(next)) return path;
    } else if (typeof next === 'object' && next !== null) {
      for (const [key, child] of Object.entries(next)) {
        const childPath = Array.isArray(next) ? `${path}[${key}]` : `${path}.${key}`;
        if (!isStorableText(key)) return path;
        pending.push([child, childPath]);
      }
    }
  }
  return undefined;
}
