import { randomId } from './ids';

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

it('gives version 4 UUIDs, all different, across many refills of its random bytes', () => {
  const ids = Array.from({ length: 10_000 }, () => randomId());
  for (const id of ids) expect(id).toMatch(uuidV4);
  expect(new Set(ids).size).toBe(ids.length);
});

it('spreads its ids over every hex digit in every random position', () => {
  const ids = Array.from({ length: 4_000 }, () => randomId());
  // Each of the 30 random hex positions (not the dashes, the version digit or the variant
  // digit) takes all 16 values in 4,000 ids unless the bytes are not random (p < 1e-100).
  for (let position = 0; position < 36; position++) {
    if ([8, 13, 14, 18, 19, 23].includes(position)) continue;
    expect(new Set(ids.map((id) => id[position])).size).toBe(16);
  }
  expect(new Set(ids.map((id) => id[19]))).toEqual(new Set(['8', '9', 'a', 'b']));
});
