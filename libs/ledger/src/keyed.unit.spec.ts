import fc from 'fast-check';
import { keyedEntries, keyedGet, keyedHas, keyedSet, keyedValues, type Keyed } from './keyed';

describe('Keyed records', () => {
  it('given keys set in turn, answers like a plain record, and leaves every earlier version as it was', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.integer()), { maxLength: 200 }), (sets) => {
        let keyed: Keyed<number> = {};
        let plain: Record<string, number> = {};
        const versions: Array<[Keyed<number>, Record<string, number>]> = [[keyed, plain]];
        for (const [key, value] of sets) {
          keyed = keyedSet(keyed, key, value);
          plain = { ...plain, [key]: value };
          versions.push([keyed, plain]);
        }
        for (const [k, p] of versions) {
          for (const [key] of sets) {
            expect(keyedGet(k, key)).toBe(Object.hasOwn(p, key) ? p[key] : undefined);
            expect(keyedHas(k, key)).toBe(Object.hasOwn(p, key));
          }
          expect(new Map(keyedEntries(k))).toEqual(new Map(Object.entries(p)));
          expect(keyedValues(k).sort()).toEqual(Object.values(p).sort());
        }
      }),
    );
  });

  it('finds nothing inherited: "constructor" or "__proto__" is a key like any other', () => {
    const keyed = keyedSet<true>({}, 'a', true);
    expect(keyedHas(keyed, 'constructor')).toBe(false);
    expect(keyedHas(keyed, 'toString')).toBe(false);
    expect(keyedHas(keyedSet(keyed, 'constructor', true), 'constructor')).toBe(true);
  });

  it('survives JSON, as snapshots store it', () => {
    let keyed: Keyed<{ points: number }> = {};
    for (let i = 0; i < 1_000; i++) keyed = keyedSet(keyed, `r-${i}`, { points: i });
    const back = JSON.parse(JSON.stringify(keyed)) as Keyed<{ points: number }>;
    expect(keyedGet(back, 'r-737')).toEqual({ points: 737 });
    expect(keyedEntries(back)).toHaveLength(1_000);
  });
});
