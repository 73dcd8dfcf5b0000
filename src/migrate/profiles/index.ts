/**
 * The built-in profiles, in the order `--profile auto` tries them (the most specific layout first:
 * a triple-layer database also looks like a plain SQLite app), and the choice itself. The choice
 * always comes with its reason, printed in the report.
 */
import { UsageError } from '../../errors.js';
import { loadCustomProfile } from './custom.js';
import { drizzleExpo } from './drizzle-expo.js';
import type { ProfileDefinition, SnapshotFingerprint } from './fingerprint.js';
import { hybridQueue } from './hybrid-queue.js';
import { reduxPersist } from './redux-persist.js';
import { tripleLayer } from './triple-layer.js';
import { watermelonDb } from './watermelondb.js';
import { InputError } from '../../errors.js';

export const PROFILES: readonly ProfileDefinition[] = [tripleLayer, hybridQueue, watermelonDb, drizzleExpo, reduxPersist];
export const PROFILE_NAMES = PROFILES.map((p) => p.name);

/** A built-in name, `auto`, or a path to a JSON profile file. */
export function isProfileFile(name: string): boolean {
  return name.endsWith('.json');
}

export function chooseProfile(name: string, fp: SnapshotFingerprint, snapshotInput: string): { profile: ProfileDefinition; reason: string } {
  if (isProfileFile(name)) {
    const profile = loadCustomProfile(name);
    return { profile, reason: `custom profile file ${name}` };
  }
  if (name !== 'auto') {
    const profile = PROFILES.find((p) => p.name === name);
    if (profile === undefined) {
      throw new UsageError(`unknown profile "${name}"`, { code: 'E_PROFILE_UNKNOWN', hint: `use one of: auto, ${PROFILE_NAMES.join(', ')}, or a .json profile file` });
    }
    const evidence = profile.detect(fp);
    return { profile, reason: `given with --profile${evidence === null ? ' (its fingerprint was not found)' : `; fingerprint: ${evidence.join('; ')}`}` };
  }
  for (const profile of PROFILES) {
    const evidence = profile.detect(fp);
    if (evidence !== null) return { profile, reason: `auto: ${evidence.join('; ')}` };
  }
  throw new InputError('no migration profile matches this snapshot', {
    code: 'E_PROFILE_NONE',
    subject: snapshotInput,
    hint: `run \`syncdoc inspect\` to see its stores, then pass --profile ${PROFILE_NAMES.join('|')} or a JSON profile file`,
  });
}
