import fc from 'fast-check';
import { Topics } from '@jifen/contracts';
import {
  cloudEvent,
  createTestContext,
  eventually,
  matrixKeys,
  publishCloudEvents,
  randomMemberId,
  TestContext,
} from '@jifen/testing';
import { call, RunningService, startService } from './hostile-input';

// The HTTP edge under hostile input: every answer to junk is a 4xx with a machine-readable
// `reason` and a `detail`, never a 5xx, and nothing changes. Services run in this process over
// the real broker and database.

type Service = 'accounts' | 'redemption' | 'analytics';

describe('the HTTP edge under hostile input', () => {
  let ctx: TestContext;
  const keys = matrixKeys();
  const services: Partial<Record<Service | 'ingestion', RunningService>> = {};
  const memberId = randomMemberId();
  const other = randomMemberId();
  const url = (service: Service) => services[service]!.url;

  /** Every refusal: a 4xx with `reason` (a code) and `detail` (a sentence). */
  const expectRefusal = (
    answer: Awaited<ReturnType<typeof call>>,
    what: string,
    status?: number,
  ) => {
    const shown = `${what} → ${answer.status} ${answer.text.slice(0, 200)}`;
    expect({ shown, is4xx: answer.status >= 400 && answer.status < 500 }).toEqual({
      shown,
      is4xx: true,
    });
    if (status !== undefined) expect({ shown, status: answer.status }).toEqual({ shown, status });
    expect({ shown, reason: typeof answer.json?.reason }).toEqual({ shown, reason: 'string' });
    expect(answer.json?.reason).toMatch(/^[a-z_]+$/);
    expect(typeof answer.json?.detail).toBe('string');
  };

  /** What the hostile calls must leave as it was. */
  const snapshot = async () => ({
    member: (await call(url('accounts'), 'GET', `/members/${memberId}`, keys.admin)).json,
    ledger: (await call(url('accounts'), 'GET', `/members/${memberId}/ledger`, keys.admin)).json,
    other: (await call(url('accounts'), 'GET', `/members/${other}`, keys.admin)).json,
    rules: (await call(url('accounts'), 'GET', '/rules', keys.admin)).json,
    catalogue: (await call(url('redemption'), 'GET', '/catalogue', keys.admin)).json,
  });
  let before: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    ctx = await createTestContext();
    for (const service of ['ingestion', 'accounts', 'redemption', 'analytics'] as const) {
      services[service] = await startService(ctx, service, { JIFEN_API_KEYS: keys.env });
    }
    await publishCloudEvents(ctx.producer, ctx.topic(Topics.inbound), [
      cloudEvent('member.signed_up', { memberId }),
      cloudEvent('member.signed_up', { memberId: other }),
    ]);
    await eventually(async () => {
      for (const id of [memberId, other]) {
        const answer = await call(url('accounts'), 'GET', `/members/${id}`, keys.admin);
        expect(answer.json?.balance).toBe(50);
      }
    });
    before = await snapshot();
    // The member timestamps are as of the request; compare what does not move.
    delete (before.member as Record<string, unknown>).expiringSoon;
  });

  afterAll(async () => {
    for (const service of Object.values(services).reverse()) await service?.app.close();
    await ctx?.dispose();
  });

  describe('bodies', () => {
    const posts: Array<[Service, string, string]> = [
      ['redemption', '/redemptions', keys['member-app']],
      ['accounts', `/members/${memberId}/transfers`, keys['member-app']],
      ['redemption', '/admin/catalogue', keys.admin],
      ['accounts', '/admin/rules', keys.admin],
    ];

    it.each(posts)(
      '%s POST %s: over 64 KiB is 413, whoever sends it',
      async (service, path, key) => {
        const big = JSON.stringify({ redemptionId: 'x'.repeat(70 * 1024) });
        expectRefusal(await call(url(service), 'POST', path, key, big), path, 413);
        expectRefusal(await call(url(service), 'POST', path, undefined, big), path, 413);
        // Declared small, sent large: the parser counts the bytes, not the header.
        const chunked = await call(url(service), 'POST', path, key, big, {
          'content-type': 'application/json; charset=utf-8',
        });
        expectRefusal(chunked, path, 413);
      },
    );

    it.each(posts)(
      '%s POST %s: not JSON, the wrong type, or empty is 400',
      async (service, path, key) => {
        const junk: Array<[string, Record<string, string>?]> = [
          ['{"redemptionId": '],
          ['\u0000\u0001'],
          ['null'],
          ['[1,2,3]'],
          ['"a string"'],
          ['12'],
          [''],
          ['{"a":1}', { 'content-type': 'text/plain' }],
          ['<xml/>', { 'content-type': 'application/xml' }],
          ['a=1&b=2', { 'content-type': 'application/x-www-form-urlencoded' }],
          ['{"a":1}', { 'content-type': 'application/json; charset=utf-16' }],
        ];
        for (const [body, headers] of junk) {
          const answer = await call(url(service), 'POST', path, key, body, headers);
          expectRefusal(answer, `${path} ${JSON.stringify(body)} ${JSON.stringify(headers ?? {})}`);
        }
      },
    );

    it.each(posts)(
      '%s POST %s: a body nested thousands deep is 400, not 500',
      async (service, path, key) => {
        for (const depth of [100, 5_000, 30_000]) {
          const body = `{"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
          expectRefusal(
            await call(url(service), 'POST', path, key, body),
            `${path} depth ${depth}`,
            400,
          );
        }
      },
    );

    // Each generated body has at least one field that cannot pass (so nothing may be stored),
    // and any number of hostile others.
    const hostile = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(
        null,
        '',
        '\u0000',
        'm-\u0000',
        '\ud800',
        "' OR 1=1 --",
        '"; DROP TABLE messages; --',
        '../../etc/passwd',
        '💥',
        -1,
        0,
        1.5,
        1e308,
        -1e308,
        2 ** 53 + 1,
        '100',
        true,
        [],
        {},
        'x'.repeat(5_000),
      ),
    );
    const broken = fc.constantFrom(undefined, null, '', 1.5, -1, '12', [], {}, 'x'.repeat(300));
    const bodies: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
      '/redemptions': fc.record(
        {
          redemptionId: broken,
          memberId: fc.oneof(fc.constant(memberId), hostile),
          itemId: hostile,
          mode: fc.oneof(fc.constantFrom('points', 'points_plus_cash'), hostile),
          points: hostile,
          cashOffset: fc.oneof(fc.record({ orderId: hostile, points: hostile }), hostile),
          extra: hostile,
        },
        { requiredKeys: ['redemptionId'] },
      ),
      transfers: fc.record(
        {
          transferId: fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,20}$/), hostile),
          toMemberId: fc.oneof(fc.constant(other), hostile),
          points: fc.constantFrom(undefined, null, '100', 1.5, [], {}, 'x', true),
          extra: hostile,
        },
        { requiredKeys: ['points'] },
      ),
      '/admin/catalogue': fc.record(
        {
          itemId: hostile,
          name: hostile,
          category: hostile,
          pointsPrice: broken,
          cashPriceMinor: hostile,
          unitCostMinor: hostile,
          stock: hostile,
          active: hostile,
          activeFrom: hostile,
        },
        { requiredKeys: ['pointsPrice'] },
      ),
      '/admin/rules': fc.record(
        {
          effectiveFrom: broken,
          rules: fc.oneof(fc.dictionary(fc.string({ maxLength: 20 }), hostile), hostile),
        },
        { requiredKeys: ['effectiveFrom'] },
      ),
    };

    it.each(posts)(
      '%s POST %s: fuzzed bodies are refused with a reason',
      async (service, path, key) => {
        const arbitrary = bodies[path.endsWith('/transfers') ? 'transfers' : path];
        await fc.assert(
          fc.asyncProperty(
            fc.oneof({ weight: 4, arbitrary }, fc.jsonValue({ maxDepth: 3 })),
            async (body) => {
              const answer = await call(url(service), 'POST', path, key, JSON.stringify(body));
              expectRefusal(answer, `${path} ${JSON.stringify(body).slice(0, 300)}`);
            },
          ),
          { numRuns: 60 },
        );
      },
    );
  });

  describe('path and query parameters', () => {
    // Express decodes path parameters: %2F arrives as "/", %00 as U+0000.
    const hostileIds = [
      "o'brien",
      'say-"hi"',
      '会员-001',
      '👩‍👩‍👧',
      'a%2Fb',
      '..%2F..%2Fadmin%2Fconfig',
      '%2e%2e',
      "'%20OR%201=1%20--",
      "x';%20DROP%20TABLE%20messages;%20--",
      '%00',
      'm-%00-x',
      '%ED%A0%80',
      '%FF%FE',
      '%',
      '%E4%B8',
      'x'.repeat(4_000),
      '%20',
    ];

    it.each(hostileIds.map((id) => [id.slice(0, 40), id]))(
      'member id %s: 4xx with a reason on every member route',
      async (_shown, id) => {
        const calls: Array<[Service, string, string, string, unknown?]> = [
          ['accounts', 'GET', `/members/${id}`, keys.admin],
          ['accounts', 'GET', `/members/${id}/ledger`, keys['member-app']],
          ['accounts', 'GET', `/members/${id}/transfers/${id}`, keys.admin],
          [
            'accounts',
            'POST',
            `/members/${id}/transfers`,
            keys['member-app'],
            { transferId: `t-${Date.now()}`, toMemberId: other, points: 100 },
          ],
          [
            'accounts',
            'POST',
            `/members/${memberId}/transfers`,
            keys['member-app'],
            { transferId: `t-${Date.now()}`, toMemberId: decodeSafely(id), points: 100 },
          ],
          ['redemption', 'GET', `/redemptions/${id}`, keys.admin],
          ['redemption', 'POST', `/redemptions/${id}/payment`, keys['member-app'], { paid: true }],
          ['redemption', 'GET', `/alliance/partners/${id}/statements/2026-11-20`, keys.admin],
          [
            'redemption',
            'POST',
            '/redemptions',
            keys['member-app'],
            {
              redemptionId: `r-${Date.now()}`,
              memberId: decodeSafely(id),
              itemId: 'none',
              mode: 'points',
            },
          ],
        ];
        for (const [service, method, path, key, body] of calls) {
          expectRefusal(
            await call(url(service), method, path, key, body),
            `${method} ${path.slice(0, 80)}`,
          );
        }
        const catalogue = await call(
          url('redemption'),
          'GET',
          `/catalogue?memberId=${id}`,
          keys.admin,
        );
        expect(catalogue.status < 500).toBe(true);
      },
    );

    it('refuses out-of-range limit and cursor on the ledger with 400 invalid', async () => {
      for (const query of [
        'limit=0',
        'limit=501',
        'limit=-1',
        'limit=1.5',
        'limit=abc',
        'limit=1e2',
        'limit=%00',
        'limit=99999999999999999999999',
        'limit=1&limit=2',
        'cursor=0',
        'cursor=-5',
        'cursor=abc',
        "cursor=1'%20OR%201=1",
        'cursor=99999999999999999999',
        'cursor=1&cursor=2',
        'asOf=yesterday',
      ]) {
        const path = query.startsWith('asOf')
          ? `/members/${memberId}?${query}`
          : `/members/${memberId}/ledger?${query}`;
        expectRefusal(await call(url('accounts'), 'GET', path, keys.admin), path, 400);
      }
      for (const limit of ['1', '500']) {
        const answer = await call(
          url('accounts'),
          'GET',
          `/members/${memberId}/ledger?limit=${limit}`,
          keys.admin,
        );
        expect(answer.status).toBe(200);
      }
    });

    it('refuses bad dates, periods and numbers on analytics and statements with 400', async () => {
      const analytics = [
        '/analytics/summary?from=2025-02-30',
        '/analytics/summary?from=2026-13-01',
        '/analytics/summary?to=yesterday',
        '/analytics/summary?from=2026-01-01T00:00:00Z',
        '/analytics/summary?from=%00',
        '/analytics/summary?from=2026-02-01&to=2026-01-01',
        '/analytics/summary?from=2026-01-01&from=2026-01-02',
        '/analytics/daily?from=0000-00-00',
        '/analytics/daily?to=99999-01-01',
        "/analytics/roi?from=2026-01-01'%20OR%201=1",
        '/analytics/alerts?to=2026-02-29',
        '/analytics/liability/forecast?days=0',
        '/analytics/liability/forecast?days=3651',
        '/analytics/liability/forecast?days=-1',
        '/analytics/liability/forecast?days=1.5',
        '/analytics/liability/forecast?days=abc',
        '/analytics/liability/forecast?days=1e3',
        '/analytics/segments?limit=0',
        '/analytics/segments?limit=501',
        '/analytics/segments?asOf=not-a-time',
        '/analytics/segments?asOf=2026-01-01Tgarbage',
      ];
      for (const path of analytics) {
        expectRefusal(await call(url('analytics'), 'GET', path, keys.analyst), path, 400);
      }
      for (const date of [
        '2026-02-30',
        '2026-1-1',
        '20261120',
        "2026-11-20'",
        '%00',
        '2026-11-20%2F..',
      ]) {
        const path = `/alliance/partners/airline-x/statements/${date}`;
        expectRefusal(await call(url('redemption'), 'GET', path, keys.analyst), path, 400);
      }
      for (const path of [
        '/analytics/summary?from=2026-01-01&to=2026-01-31',
        '/analytics/liability/forecast?days=3650',
        '/analytics/segments?limit=500',
      ]) {
        expect((await call(url('analytics'), 'GET', path, keys.analyst)).status).toBe(200);
      }
    });

    it('refuses a catalogue filter that is not a short string', async () => {
      for (const query of [
        `category=${'c'.repeat(65)}`,
        `memberId=${'m'.repeat(129)}`,
        'category=',
      ]) {
        const path = `/catalogue?${query}`;
        expectRefusal(await call(url('redemption'), 'GET', path, keys.admin), path, 400);
      }
    });
  });

  it('left every member, the ledger, the rules and the catalogue as they were', async () => {
    const after = await snapshot();
    delete (after.member as Record<string, unknown>).expiringSoon;
    expect(after).toEqual(before);
  });
});

function decodeSafely(id: string): string {
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
}
