// Bus messages on the Kafka wire: the key is the message key (it picks the partition), the value
// is the JSON of the payload, headers are UTF-8 strings.
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { BusError, BusErrorCode } from './errors.js';
import type { KafkaEntry } from './kafka-partition.js';
import { messageId } from './kafka-partition.js';
import type { Headers } from './port.js';

export function encodeMessage(
  topic: string,
  key: string,
  value: unknown,
  headers: Headers | undefined,
): Message {
  const json = value === undefined ? undefined : JSON.stringify(value);
  if (json === undefined) {
    throw new BusError(BusErrorCode.BadValue, `publish to ${topic}: value is not JSON`);
  }
  return { key, value: json, headers: headers ? { ...headers } : undefined };
}

export function decodeMessage(partition: number, message: KafkaMessage): KafkaEntry {
  const offset = Number(message.offset);
  return {
    id: messageId(partition, message.offset),
    seq: offset,
    partition,
    timestamp: Number(message.timestamp),
    key: message.key?.toString('utf8') ?? '',
    value: message.value === null ? null : (JSON.parse(message.value.toString('utf8')) as unknown),
    headers: decodeHeaders(message.headers),
    outstanding: 1,
  };
}

function decodeHeaders(headers: IHeaders | undefined): Headers {
  const out: Headers = {};
  if (!headers) return out;
  for (const [name, raw] of Object.entries(headers)) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) out[name] = value.toString();
  }
  return out;
}
