/**
 * A bounded walk of a snapshot folder. It never follows symbolic links: a link that points inside
 * the folder is skipped (its target is visited anyway), a link that points outside (or nowhere) is
 * refused with a finding, so a crafted snapshot cannot make syncdoc read `/etc/passwd` or loop
 * forever. Depth and file count are capped; hitting a cap is a finding, not a silent truncation.
 */
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { Finding } from '../findings.js';

export interface WalkedFile {
  /** POSIX path relative to the walk root. */
  rel: string;
  abs: string;
  sizeBytes: number;
}

export interface WalkResult {
  files: WalkedFile[];
  findings: Finding[];
}

export interface WalkLimits {
  maxDepth: number;
  maxFiles: number;
}

export const DEFAULT_WALK_LIMITS: WalkLimits = { maxDepth: 64, maxFiles: 200_000 };

export function walkFolder(root: string, limits: WalkLimits = DEFAULT_WALK_LIMITS): WalkResult {
  const realRoot = realpathSync(root);
  const files: WalkedFile[] = [];
  const findings: Finding[] = [];
  let capped = false;

  const visit = (dir: string, depth: number): void => {
    if (depth > limits.maxDepth) {
      if (!capped) findings.push(limitFinding(`folders nested deeper than ${limits.maxDepth} levels were not read`, rel(dir)));
      capped = true;
      return;
    }
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      findings.push({
        code: 'SNAPSHOT_UNREADABLE_ENTRY',
        severity: 'warn',
        message: `cannot list folder (${errorText(err)})`,
        ref: rel(dir),
      });
      return;
    }
    for (const name of names) {
      if (files.length >= limits.maxFiles) {
        if (!capped) findings.push(limitFinding(`more than ${limits.maxFiles} files: the rest were not read`, rel(dir)));
        capped = true;
        return;
      }
      const abs = join(dir, name);
      const st = lstatSync(abs, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isSymbolicLink()) {
        const outside = linkTargetOutside(abs, realRoot);
        if (outside !== null) {
          findings.push({
            code: 'SNAPSHOT_LINK_OUTSIDE',
            severity: 'warn',
            message: `symbolic link refused: it points ${outside}, outside the snapshot`,
            ref: rel(abs),
          });
        }
        continue;
      }
      if (st.isDirectory()) visit(abs, depth + 1);
      else if (st.isFile()) files.push({ rel: rel(abs), abs, sizeBytes: st.size });
      // sockets, FIFOs and devices are never read: opening a FIFO would block forever
    }
  };

  const rel = (abs: string): string => relative(root, abs).split(sep).join('/') || '.';
  visit(root, 0);
  return { files, findings };
}

/** Where a link leads if that is outside `realRoot` (or nowhere); null when it stays inside. */
function linkTargetOutside(link: string, realRoot: string): string | null {
  let target: string;
  try {
    target = realpathSync(link);
  } catch {
    return 'to a missing target';
  }
  const r = relative(realRoot, target);
  const inside = r === '' || (r !== '..' && !r.startsWith('..' + sep) && !isAbsolute(r));
  return inside ? null : `to ${target}`;
}

function limitFinding(message: string, ref: string): Finding {
  return { code: 'SNAPSHOT_WALK_LIMIT', severity: 'warn', message, ref };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
