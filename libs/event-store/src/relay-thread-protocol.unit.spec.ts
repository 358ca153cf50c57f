import { loadMapper } from './relay-thread-protocol';

describe("the relay's mapper, named by module and export (as its thread loads it)", () => {
  it('loads the named function', () => {
    const mapper = loadMapper({
      module: require.resolve('./relay-thread-protocol'),
      name: 'loadMapper',
    });

    expect(mapper).toBe(loadMapper);
  });

  it('refuses, naming the module, an export that is not a function', () => {
    const module = require.resolve('./relay-thread-protocol');

    expect(() => loadMapper({ module, name: 'noSuchMapper' })).toThrow(
      `${module} has no function noSuchMapper to map the relay's events`,
    );
  });
});
