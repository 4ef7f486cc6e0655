import { randomBytes } from 'node:crypto';

// A random tag per process keeps processes sharing one store apart; a counter keeps ids within
// the process apart without drawing randomness for each (which showed in profiles).
const processTag = randomBytes(4).toString('hex');
let counter = 0;

/** Time-ordered ids: `<prefix>_<ms base36><process tag><counter>`, so lists sort by creation. */
export function newId(kind: 'run' | 'timer' | 'ticket'): string {
  const prefix = kind === 'run' ? 'run' : kind === 'timer' ? 'tmr' : 'tkt';
  counter = (counter + 1) % 0x1000000;
  return `${prefix}_${Date.now().toString(36)}${processTag}${counter.toString(36).padStart(5, '0')}`;
}
