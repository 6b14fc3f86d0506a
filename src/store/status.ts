/**
 * The status a run is shown with. The index records what its writer last said; the run directory
 * and its owner's lock say what is true now: a run nobody owns is not running, a finished run whose
 * files fail their check is corrupt, and a run whose directory is gone is missing.
 */
import { existsSync } from 'node:fs';
import type { RunRow, RunStatus } from './index-db.js';
import { ownerAlive } from './owner.js';
import { checkRun } from './verify.js';
import type { Identify } from './identity.js';
import { retrainFix } from './faults.js';

export function shownStatus(
  row: Pick<RunRow, 'status' | 'dir'>,
  dir: string | undefined,
  identify?: Identify,
): RunStatus {
  if (!dir || !existsSync(dir)) {
    // A row with a recorded directory that is gone; rows without one (ingested from a sweep
    // worker's store) keep what the index says, except that nothing here runs them.
    if (row.dir) return 'missing';
    return row.status === 'running' ? 'interrupted' : row.status;
  }
  if (row.status === 'running') return ownerAlive(dir) === true ? 'running' : 'interrupted';
  if (row.status === 'finished' && checkRun(dir, identify).state === 'corrupt') return 'corrupt';
  return row.status;
}

/** What to do about a run in this status (none for the ordinary ones): `runs`, `show` and the dashboard say it. */
export function statusFix(status: RunStatus, root: string): string | undefined {
  if (status === 'interrupted')
    return 'its process is gone; run the same command again to resume it from its last checkpoint';
  if (status === 'corrupt')
    return `its files fail their check (\`sprig verify --root ${root}\` names them); ${retrainFix(root)}`;
  if (status === 'missing')
    return `its directory is gone; run the command that made it again to train it, or \`sprig reindex --root ${root}\` to drop it`;
  return undefined;
}
