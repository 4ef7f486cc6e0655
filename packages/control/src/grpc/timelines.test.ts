// Follow over a fake hub: the targets a request names, a slow reader cut off after a bounded
// backlog (resumable from the last id), errors as they come, and unsubscribing when the client
// goes away.
import { describe, expect, it } from 'vitest';
import { Metadata } from '@grpc/grpc-js';
import { create } from '@bufbuild/protobuf';
import type { AnyRunEvent } from '@aob/core';
import type { Principal } from '../auth/index.js';
import type { TimelineListener, TimelineTarget } from '../fanout/types.js';
import { FollowRequestSchema, Timelines } from '../generated/aob/v1/timelines_pb.js';
import type { CallContext } from './server.js';
import { follow } from './timelines.js';
import type { TimelineSubscriber } from './timelines.js';

const viewer: Principal = {
  subject: 'v',
  role: 'viewer',
  namespace: 'acme',
  groups: [],
  tokenId: 't',
};

class FakeHub implements TimelineSubscriber {
  targets: TimelineTarget[] = [];
  listener: TimelineListener | undefined;
  unsubscribed = 0;
  async subscribe(_p: unknown, target: TimelineTarget, listener: TimelineListener) {
    this.targets.push(target);
    this.listener = listener;
    return () => void this.unsubscribed++;
  }
}

const ctxOf = (abort = new AbortController()): CallContext => ({
  metadata: new Metadata(),
  signal: abort.signal,
  peer: 'test',
  method: Timelines.method.follow,
});

const event = (seq: number) =>
  ({
    runId: 'r',
    seq,
    type: 'NodeLog',
    at: 1_000 + seq,
    irHash: 'sha256:x',
    data: { nodeId: 'a', attempt: 1, level: 'info', message: `m${seq}` },
  }) as unknown as AnyRunEvent;

describe('Timelines.Follow', () => {
  it('maps a request to the hub target it names', async () => {
    const hub = new FakeHub();
    const first = async (req: object) => {
      const it = follow(hub, viewer, create(FollowRequestSchema, req), ctxOf());
      const pending = it.next();
      await Promise.resolve();
      hub.listener?.({ kind: 'end', runId: 'r', status: 'completed', lastSeq: 1 });
      await pending;
    };
    await first({ runId: 'r', fromSeq: 5n, follow: true });
    await first({});
    await first({ after: '1700000000000:3:run-9' });
    expect(hub.targets).toEqual([
      { kind: 'run', runId: 'r', afterSeq: 5, follow: true },
      { kind: 'namespace' },
      { kind: 'namespace', after: { at: 1_700_000_000_000, seq: 3, runId: 'run-9' } },
    ]);
    await expect(
      follow(hub, viewer, create(FollowRequestSchema, { after: 'nope' }), ctxOf()).next(),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
      problems: [expect.objectContaining({ path: '/after' })],
    });
    await expect(
      follow(hub, viewer, create(FollowRequestSchema, { fromSeq: 1n }), ctxOf()).next(),
    ).rejects.toMatchObject({ problems: [expect.objectContaining({ path: '/from_seq' })] });
  });

  it('cuts a reader that falls too far behind, after what it had pending', async () => {
    const hub = new FakeHub();
    const it = follow(hub, viewer, create(FollowRequestSchema, { runId: 'r' }), ctxOf(), 3);
    const first = it.next();
    await Promise.resolve();
    for (let seq = 1; seq <= 5; seq++) {
      hub.listener!({ kind: 'event', event: event(seq), id: String(seq) });
    }
    const ids = [(await first).value?.id];
    ids.push((await it.next()).value?.id, (await it.next()).value?.id);
    expect(ids).toEqual(['1', '2', '3']);
    await expect(it.next()).rejects.toMatchObject({ code: 'TOO_SLOW' });
    expect(hub.unsubscribed).toBe(1);
  });

  it('ends with the hub error, and unsubscribes when the client goes away', async () => {
    const hub = new FakeHub();
    const failing = follow(hub, viewer, create(FollowRequestSchema, {}), ctxOf());
    const next = failing.next();
    await Promise.resolve();
    hub.listener!({ kind: 'error', code: 'UNAVAILABLE', message: 'the fanout is stopping' });
    await expect(next).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(hub.unsubscribed).toBe(1);

    const abort = new AbortController();
    const leaving = follow(hub, viewer, create(FollowRequestSchema, {}), ctxOf(abort));
    const waiting = leaving.next();
    await Promise.resolve();
    abort.abort();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(hub.unsubscribed).toBe(2);
  });

  it('an agent may follow a run', async () => {
    const hub = new FakeHub();
    const agent = { ...viewer, role: 'agent' as const };
    const it = follow(hub, agent, create(FollowRequestSchema, { runId: 'r' }), ctxOf());
    const n = it.next();
    await Promise.resolve();
    hub.listener!({ kind: 'end', runId: 'r', status: 'failed', lastSeq: 2 });
    expect((await n).value?.item.case).toBe('end');
  });
});
