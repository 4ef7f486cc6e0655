// How messages are laid out in Redis stream entries, and the parsing of raw stream replies.
// Entry fields: k = key, v = JSON value, h = JSON headers (absent when there are none).
import { BusError, BusErrorCode } from './errors.js';
import type { BusMessage, Headers } from './port.js';

/** One stream entry as Redis returns it: an id and a flat field/value list. */
export interface RawEntry {
  id: string;
  fields: readonly string[];
}

export function encodeFields(topic: string, key: string, value: unknown, headers?: Headers) {
  const json = value === undefined ? undefined : JSON.stringify(value);
  if (json === undefined) {
    throw new BusError(BusErrorCode.BadValue, `publish to ${topic}: value is not JSON`);
  }
  const fields = ['k', key, 'v', json];
  if (headers && Object.keys(headers).length > 0) fields.push('h', JSON.stringify(headers));
  return fields;
}

export function decodeMessage(topic: string, raw: RawEntry, deliveries: number): BusMessage {
  let key = '';
  let value: unknown = null;
  let headers: Headers = {};
  const f = raw.fields;
  for (let i = 0; i + 1 < f.length; i += 2) {
    const name = f[i];
    const text = f[i + 1] as string;
    if (name === 'k') key = text;
    else if (name === 'v') value = JSON.parse(text);
    else if (name === 'h') headers = JSON.parse(text) as Headers;
  }
  return { id: raw.id, topic, key, value, headers, deliveries };
}

/** `[[id, [field, value, …] | null], …]` → entries; entries without fields (deleted) are skipped. */
export function parseEntries(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply)) return [];
  const entries: RawEntry[] = [];
  for (const item of reply) {
    if (!Array.isArray(item)) continue;
    const [id, fields] = item as unknown[];
    if (typeof id === 'string' && Array.isArray(fields)) {
      entries.push({ id, fields: fields.map(String) });
    }
  }
  return entries;
}

/** XREADGROUP reply `null | [[stream, entries], …]` → entries by stream key. */
export function parseStreams(reply: unknown): Map<string, RawEntry[]> {
  const byStream = new Map<string, RawEntry[]>();
  if (!Array.isArray(reply)) return byStream;
  for (const item of reply) {
    if (!Array.isArray(item)) continue;
    const [stream, entries] = item as unknown[];
    if (typeof stream === 'string') byStream.set(stream, parseEntries(entries));
  }
  return byStream;
}

/** XAUTOCLAIM reply `[next, entries, deleted]` → the claimed entries. */
export function parseAutoclaim(reply: unknown): RawEntry[] {
  return Array.isArray(reply) ? parseEntries(reply[1]) : [];
}

/** Extended XPENDING reply `[[id, consumer, idle, deliveries], …]` → the first delivery count. */
export function parseDeliveryCount(reply: unknown): number | undefined {
  if (!Array.isArray(reply)) return undefined;
  const first: unknown = reply[0];
  if (!Array.isArray(first)) return undefined;
  const count: unknown = first[3];
  return typeof count === 'number' ? count : undefined;
}
