import { randomBytes } from 'node:crypto';

/** Time-ordered ids: `<prefix>_<ms base36><random hex>`, so lists sort by creation. */
export function newId(kind: 'run' | 'timer' | 'ticket'): string {
  const prefix = kind === 'run' ? 'run' : kind === 'timer' ? 'tmr' : 'tkt';
  return `${prefix}_${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
}
