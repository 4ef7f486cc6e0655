import { describe, expect, it } from 'vitest';
import type { KafkaEntry } from './kafka-partition.js';
import { PartitionState, messageId, parseMessageId } from './kafka-partition.js';

const entry = (offset: number): KafkaEntry => ({
  id: messageId(0, offset),
  seq: offset,
  partition: 0,
  timestamp: offset,
  key: 'k',
  value: offset,
  headers: {},
  outstanding: 1,
});

describe('PartitionState', () => {
  it('commits only the contiguously acknowledged prefix', () => {
    const s = new PartitionState('t', 0);
    expect(s.commitable()).toBeUndefined(); // nothing fetched
    for (const o of [5, 6, 7, 8]) s.add(entry(o));
    expect(s.commitable()).toBe(5); // the start position, nothing consumed yet
    s.committed = 5;
    expect(s.ack(7)).toBe(true);
    expect(s.commitable()).toBeUndefined(); // 5 still open
    s.ack(5);
    expect(s.commitable()).toBe(6);
    s.ack(6);
    expect(s.commitable()).toBe(8);
    s.ack(8);
    expect(s.commitable()).toBe(9);
    expect(s.ack(8)).toBe(false); // twice is harmless
  });

  it('skips messages fetched again after a rejoin and keeps the buffer in order', () => {
    const s = new PartitionState('t', 0);
    s.add(entry(0));
    s.add(entry(1));
    expect(s.add(entry(0))).toBe(false);
    expect(s.add(entry(1))).toBe(false);
    expect(s.add(entry(2))).toBe(true);
    expect([s.shift(), s.shift(), s.shift()].map((e) => e?.seq)).toEqual([0, 1, 2]);
    expect(s.shift()).toBeUndefined();
  });

  it('holds the commit at a message left open while many behind it are acknowledged', () => {
    const s = new PartitionState('t', 0);
    s.add(entry(0));
    for (let o = 1; o < 10_000; o++) {
      s.add(entry(o));
      s.shift();
      s.ack(o);
    }
    expect(s.commitable()).toBe(0);
    s.ack(0);
    expect(s.commitable()).toBe(10_000);
  });
});

describe('message ids', () => {
  it('are <partition>-<offset> and parse back', () => {
    expect(messageId(3, '42')).toBe('3-42');
    expect(parseMessageId('3-42')).toEqual([3, 42]);
    expect(parseMessageId('1700000000000-0x')).toBeUndefined();
    expect(parseMessageId('nope')).toBeUndefined();
  });
});
