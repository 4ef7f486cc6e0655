import { randomBytes } from 'node:crypto';

// A random tag per process keeps processes sharing one store apart; a counter keeps ids within
// the process apart without drawing randomness for each (which showed in profiles).
const processTag = randomBytes(4).toString('hex');
let counter = 0;

/** Time-ordered ids: `<prefix>_<ms base36><process tag><counter>`, so lists sort by creation. */
const PREFIX = {
  run: 'run',
  timer: 'tmr',
  ticket: 'tkt',
  patch: 'pch',
  question: 'qst',
  draft: 'drf',
  schedule: 'sch',
} as const;

export function newId(kind: keyof typeof PREFIX): string {
  const prefix = PREFIX[kind];
  counter = (counter + 1) % 0x1000000;
  return `${prefix}_${Date.now().toString(36)}${processTag}${counter.toString(36).padStart(5, '0')}`;
}
