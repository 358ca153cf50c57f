import { ProgramVersion, RETAIL_CHAIN_V1, TIERS } from '@jifen/ledger';

type Json = unknown;

/**
 * A new program version from the latest one and the changes an admin sends: objects merge
 * field by field, arrays and numbers replace. Returns the problems found (empty when the
 * version is sound); every field must keep the shape of RETAIL_CHAIN_V1's.
 */
export function nextProgramVersion(
  latest: ProgramVersion,
  changes: Record<string, Json>,
  version: number,
  effectiveFrom: string,
): { version: ProgramVersion; problems: string[] } {
  const problems: string[] = [];
  for (const fixed of ['programId', 'version', 'effectiveFrom']) {
    if (fixed in changes) problems.push(`rules.${fixed} cannot be changed here`);
  }
  const merged = {
    ...(merge(latest, changes) as object),
    programId: latest.programId,
    version,
    effectiveFrom,
  } as ProgramVersion;
  checkShape(RETAIL_CHAIN_V1, merged, 'rules', problems);
  if (problems.length === 0) checkMeaning(merged, problems);
  return { version: merged, problems };
}

function merge(base: Json, changes: Json): Json {
  if (!isObject(base) || !isObject(changes)) return changes;
  const out: Record<string, Json> = { ...base };
  for (const [key, value] of Object.entries(changes)) out[key] = merge(base[key], value);
  return out;
}

function checkShape(template: Json, value: Json, path: string, problems: string[]): void {
  if (typeof template === 'number') {
    if (!Number.isSafeInteger(value) || (value as number) < 0) {
      problems.push(`${path} must be a non-negative integer`);
    }
  } else if (typeof template === 'string') {
    if (path.endsWith('.lot') || path.endsWith('Lot')) {
      if (value !== 'standard' && value !== 'promotional') {
        problems.push(`${path} must be "standard" or "promotional"`);
      }
    } else if (typeof value !== 'string') problems.push(`${path} must be a string`);
  } else if (Array.isArray(template)) {
    if (!Array.isArray(value) || value.length === 0) {
      problems.push(`${path} must be a non-empty array`);
      return;
    }
    value.forEach((item, i) => checkShape(template[0], item, `${path}[${i}]`, problems));
  } else if (isObject(template)) {
    if (!isObject(value)) {
      problems.push(`${path} must be an object`);
      return;
    }
    for (const key of Object.keys(value)) {
      if (!(key in template)) problems.push(`${path}.${key} is not a rule of the program`);
    }
    for (const key of Object.keys(template)) {
      if (['programId', 'version', 'effectiveFrom'].includes(key) && path === 'rules') continue;
      checkShape(template[key], value[key], `${path}.${key}`, problems);
    }
  }
}

function checkMeaning(v: ProgramVersion, problems: string[]): void {
  if (v.tiers.map((t) => t.tier).join() !== TIERS.join()) {
    problems.push(`rules.tiers must list ${TIERS.join(', ')} in that order`);
  }
  if (v.tiers[0]?.thresholdMinor !== 0) problems.push('rules.tiers[0].thresholdMinor must be 0');
  v.tiers.forEach((t, i) => {
    if (i > 0 && t.thresholdMinor <= v.tiers[i - 1].thresholdMinor) {
      problems.push(`rules.tiers[${i}].thresholdMinor must exceed the tier below's`);
    }
  });
  if (v.controlGroupShareBasisPoints > 10_000) {
    problems.push('rules.controlGroupShareBasisPoints is at most 10000 (100%)');
  }
  if (v.purchase.minorUnitsPerBasePoint < 1) {
    problems.push('rules.purchase.minorUnitsPerBasePoint must be at least 1');
  }
}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
