/** Thrown at start-up with one line naming the variable and what is wrong with it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
