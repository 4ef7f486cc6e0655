// Timelines.Follow: a run's (or the caller's namespace's) live timeline from the fanout hub, as a
// server stream — the gRPC twin of the SSE routes. History first, then live; resume with
// `from_seq` (a run) or `after` (the namespace feed's last `id`).
import { AobError, ValidationError } from '@aob/core';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Principal } from '../auth/index.js';
import { authorize } from '../auth/index.js';
import { parseCursor } from '../fanout/cursor.js';
import type {
  TimelineItem,
  TimelineListener,
  TimelinePrincipal,
  TimelineTarget,
} from '../fanout/types.js';
import type { FollowRequest, FollowResponseSchema } from '../generated/aob/v1/timelines_pb.js';
import { RunStatus } from '../generated/aob/v1/common_pb.js';
import { runEventMessage, safeNumber, toEnum } from './api-views.js';
import type { CallContext } from './server.js';

/** What Follow needs of the fanout hub (`Fanout` of ../fanout satisfies it). */
export interface TimelineSubscriber {
  subscribe(
    principal: TimelinePrincipal,
    target: TimelineTarget,
    listener: TimelineListener,
  ): Promise<() => void>;
}

/**
 * Items a slow client may have pending before its stream is cut (RESOURCE_EXHAUSTED: resume from
 * the last `id` received). The hub delivers synchronously and must never wait for a reader.
 */
export const DEFAULT_MAX_PENDING = 10_000;

type Response = MessageInitShape<typeof FollowResponseSchema>;

function targetOf(req: FollowRequest): TimelineTarget {
  if (req.runId !== undefined) {
    if (req.after !== undefined) {
      throw new ValidationError(
        [
          {
            code: 'BAD_REQUEST',
            path: '/after',
            message: 'resumes the namespace feed; a run feed resumes with from_seq',
          },
        ],
        'request',
      );
    }
    return {
      kind: 'run',
      runId: req.runId,
      ...(req.fromSeq !== undefined ? { afterSeq: safeNumber(req.fromSeq, '/from_seq') } : {}),
      ...(req.follow !== undefined ? { follow: req.follow } : {}),
    };
  }
  if (req.fromSeq !== undefined || req.follow !== undefined) {
    throw new ValidationError(
      [
        {
          code: 'BAD_REQUEST',
          path: req.fromSeq !== undefined ? '/from_seq' : '/follow',
          message: 'applies to a run feed: give run_id',
        },
      ],
      'request',
    );
  }
  if (req.after === undefined) return { kind: 'namespace' };
  const after = parseCursor(req.after);
  if (!after) {
    throw new ValidationError(
      [{ code: 'BAD_CURSOR', path: '/after', message: 'is not an id this feed handed out' }],
      'request',
    );
  }
  return { kind: 'namespace', after };
}

function responseOf(item: Exclude<TimelineItem, { kind: 'error' | 'delta' }>): Response {
  switch (item.kind) {
    case 'event':
      return { item: { case: 'event', value: runEventMessage(item.event) }, id: item.id };
    case 'end':
      return {
        item: {
          case: 'end',
          value: {
            runId: item.runId,
            status: toEnum(RunStatus, item.status),
            lastSeq: BigInt(item.lastSeq),
          },
        },
      };
    case 'reset':
      return { item: { case: 'reset', value: { reason: item.reason } } };
  }
}

/**
 * The Follow stream of `principal`. Ends after a run feed's `end` item (unless `follow`), fails
 * with the hub's error (UNAVAILABLE when it stops), and unsubscribes when the client goes away.
 */
export async function* follow(
  fanout: TimelineSubscriber,
  principal: Principal,
  req: FollowRequest,
  ctx: CallContext,
  maxPending = DEFAULT_MAX_PENDING,
): AsyncGenerator<Response> {
  const target = targetOf(req);
  authorize(principal, target.kind === 'run' ? 'followTimeline' : 'followNamespace');
  const pending: Exclude<TimelineItem, { kind: 'delta' }>[] = [];
  let wake: (() => void) | undefined;
  let overflow = false;
  const listener: TimelineListener = (item) => {
    // Token deltas travel on the SSE timelines only: FollowResponse has no place for them.
    if (item.kind === 'delta') return;
    if (pending.length >= maxPending) overflow = true;
    else pending.push(item);
    wake?.();
  };
  const unsubscribe = await fanout.subscribe(principal, target, listener);
  const onAbort = () => wake?.();
  ctx.signal.addEventListener('abort', onAbort);
  try {
    for (;;) {
      while (pending.length === 0 && !overflow && !ctx.signal.aborted) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      if (ctx.signal.aborted) return;
      if (overflow && pending.length === 0) {
        throw new AobError(
          'TOO_SLOW',
          `the client read too slowly: more than ${maxPending} items were pending; follow again from the last id received`,
        );
      }
      const item = pending.shift()!;
      if (item.kind === 'error') {
        throw AobError.fromData({ code: item.code, message: item.message, retryable: true });
      }
      yield responseOf(item);
      if (item.kind === 'end') return;
    }
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}
