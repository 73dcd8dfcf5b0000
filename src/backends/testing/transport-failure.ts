/**
 * Test support: awaits a backend call that must fail in transport and returns its
 * BackendTransportError, so tests can assert its labels. A success, or any other error, throws.
 */
import { BackendTransportError } from '../types.js';

export async function transportFailure(call: Promise<unknown>): Promise<BackendTransportError> {
  let outcome: unknown;
  try {
    await call;
  } catch (err) {
    outcome = err;
  }
  if (outcome instanceof BackendTransportError) return outcome;
  throw new Error(outcome === undefined ? 'expected a BackendTransportError, the call succeeded' : `expected a BackendTransportError, got ${String(outcome)}`);
}
