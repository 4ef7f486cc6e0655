import { describe, expect, it, vi } from 'vitest';
import type { Producer } from 'kafkajs';
import { Publisher } from './kafka-publisher.js';

/** A producer whose sendBatch answers with `answer` (thrown when it is an Error). */
function fakeProducer(answer: () => unknown): Producer {
  return {
    sendBatch: vi.fn(async () => {
      const a = answer();
      if (a instanceof Error) throw a;
      return a;
    }),
  } as unknown as Producer;
}

const protocolError = (type: string) =>
  Object.assign(new Error(`broker said ${type}`), { name: 'KafkaJSProtocolError', type });

describe('Publisher and a producer the broker no longer accepts', () => {
  it('replaces the producer after OUT_OF_ORDER_SEQUENCE_NUMBER; the failed publish is rejected', async () => {
    const stale = fakeProducer(() => protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER'));
    const fresh = fakeProducer(() => [{ topicName: 't', partition: 0, baseOffset: '7' }]);
    const renew = vi.fn(async () => fresh);
    const publisher = new Publisher(stale, async () => 1, renew);
    await expect(publisher.publish('t', { key: 'k', value: '1' })).rejects.toThrow(
      /OUT_OF_ORDER_SEQUENCE_NUMBER/,
    );
    expect(renew).toHaveBeenCalledTimes(1);
    await expect(publisher.publish('t', { key: 'k', value: '2' })).resolves.toEqual({
      partition: 0,
      offset: '7',
    });
    expect(fresh.sendBatch).toHaveBeenCalledTimes(1);
  });

  it('keeps the producer after other errors (a broker that is away)', async () => {
    const producer = fakeProducer(() =>
      Object.assign(new Error('ECONNREFUSED'), { type: undefined }),
    );
    const renew = vi.fn(async () => producer);
    const publisher = new Publisher(producer, async () => 1, renew);
    await expect(publisher.publish('t', { key: 'k', value: '1' })).rejects.toThrow('ECONNREFUSED');
    expect(renew).not.toHaveBeenCalled();
  });

  it('looks through wrapping errors (retries exhausted) for the cause', async () => {
    const wrapped = Object.assign(new Error('retries exhausted'), {
      cause: protocolError('UNKNOWN_PRODUCER_ID'),
    });
    const renew = vi.fn(async () => fakeProducer(() => []));
    const publisher = new Publisher(
      fakeProducer(() => wrapped),
      async () => 1,
      renew,
    );
    await expect(publisher.publish('t', { key: 'k', value: '1' })).rejects.toThrow('exhausted');
    expect(renew).toHaveBeenCalledTimes(1);
  });
});
