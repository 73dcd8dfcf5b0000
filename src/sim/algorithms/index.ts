/**
 * The algorithm registry: the six base algorithms and, for the five seed algorithms and the
 * reference, a `+no-idempotency` variant whose server applies every delivered op again (no op-key
 * ledger), as a server without idempotency keys does.
 */
import { UsageError } from '../../errors.js';
import { fieldMerge } from './field-merge.js';
import { hlcLww } from './hlc-lww.js';
import { lwwWallclock } from './lww-wallclock.js';
import { mobileWins } from './mobile-wins.js';
import { serverWins } from './server-wins.js';
import type { Algorithm } from './types.js';
import { vectorClock } from './vector-clock.js';

export type { Algorithm, Declaration } from './types.js';

export interface AlgorithmVariant {
  name: string;
  algorithm: Algorithm;
  idempotent: boolean;
}

const BASE: readonly Algorithm[] = [lwwWallclock, serverWins, mobileWins, fieldMerge, vectorClock, hlcLww];
export const NO_IDEMPOTENCY = '+no-idempotency';

/** Every algorithm name, in report order. */
export const ALGORITHM_NAMES: readonly string[] = BASE.flatMap((a) => [a.name, a.name + NO_IDEMPOTENCY]);

export function getAlgorithm(name: string): AlgorithmVariant {
  const idempotent = !name.endsWith(NO_IDEMPOTENCY);
  const baseName = idempotent ? name : name.slice(0, -NO_IDEMPOTENCY.length);
  const algorithm = BASE.find((a) => a.name === baseName);
  if (algorithm === undefined) {
    throw new UsageError(`unknown algorithm ${JSON.stringify(name)}`, { hint: `algorithms: ${ALGORITHM_NAMES.join(', ')}` });
  }
  return { name, algorithm, idempotent };
}
