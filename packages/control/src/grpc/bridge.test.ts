// The grpc-js bridge over a real server on 127.0.0.1: typed unary and server-streaming calls,
// protobuf-es codecs, errors as statuses, cancellation in both directions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { Identity, Role } from '../generated/aob/v1/identity_pb.js';
import { Runs } from '../generated/aob/v1/runs_pb.js';
import { Timelines } from '../generated/aob/v1/timelines_pb.js';
import type { FollowResponse } from '../generated/aob/v1/timelines_pb.js';
import { createClient } from './client.js';
import type { ServiceClient } from './client.js';
import type { MethodsOf } from './definition.js';
import { serviceDefinition } from './definition.js';
import type { GrpcServer } from './server.js';
import { register, RpcError, serveGrpc, serviceImplementation } from './server.js';
import { failure } from './test-support.js';

const event = (seq: number) => ({
  runId: 'r1',
  seq: BigInt(seq),
  type: 'NodeSucceeded',
  at: BigInt(1_700_000_000_000 + seq),
  irHash: 'sha256:abc',
  dataJson: JSON.stringify({ nodeId: `n${seq}` }),
});

const eventOf = (r: FollowResponse) => (r.item.case === 'event' ? r.item.value : undefined);

let server: GrpcServer;
let identity: ServiceClient<MethodsOf<typeof Identity>>;
let timelines: ServiceClient<MethodsOf<typeof Timelines>>;
/** Resolved when a Follow handler's generator finishes (its `finally`), with why. */
/** Why each slow WhoAmI handler was aborted. */
const slowAborted: string[] = [];
let followEnded: Promise<string>;
let endFollow: (why: string) => void;
const resetFollow = () => {
  followEnded = new Promise((resolve) => (endFollow = resolve));
};

beforeAll(async () => {
  resetFollow();
  server = await serveGrpc(
    [
      register(Identity, {
        whoAmI: async (_req, ctx) => {
          const token = ctx.metadata.get('authorization')[0];
          if (token === 'Bearer slow') {
            await new Promise((_, reject) =>
              ctx.signal.addEventListener('abort', () => {
                slowAborted.push(String(ctx.signal.reason));
                reject(ctx.signal.reason);
              }),
            );
          }
          if (token === 'Bearer missing') throw new RpcError(status.NOT_FOUND, 'no such token');
          if (token === 'Bearer bug') throw new TypeError('x is undefined');
          return {
            principal: {
              subject: `ada (${String(token)})`,
              role: Role.APPROVER,
              namespace: 'team-a',
              groups: ['g1', 'g2'],
              tokenId: 't1',
            },
          };
        },
      }),
      register(Timelines, {
        follow: async function* (req, ctx) {
          try {
            const from = Number(req.fromSeq ?? 0n);
            for (let seq = from + 1; seq <= from + 3; seq++)
              yield { item: { case: 'event', value: event(seq) }, id: String(seq) };
            if (req.runId === 'fails')
              throw new RpcError(status.FAILED_PRECONDITION, 'run is gone');
            if (req.runId === 'live') {
              // A live feed: waits for more until the client goes away.
              await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
            }
          } finally {
            endFollow(ctx.signal.aborted ? 'aborted' : 'done');
          }
        },
      }),
    ],
    { host: '127.0.0.1', port: 0 },
  );
  const address = `127.0.0.1:${server.port}`;
  identity = createClient(Identity, address);
  timelines = createClient(Timelines, address);
});

afterAll(async () => {
  identity?.close();
  timelines?.close();
  await server?.stop();
});

describe('grpc bridge', () => {
  it('maps every rpc to its wire path and streaming flags', () => {
    const def = serviceDefinition(Runs);
    expect(Object.keys(def).sort()).toEqual(
      ['cancel', 'events', 'get', 'list', 'replay', 'start', 'wait'].sort(),
    );
    expect(def.start).toMatchObject({
      path: '/aob.v1.Runs/Start',
      requestStream: false,
      responseStream: false,
    });
    expect(serviceDefinition(Timelines).follow).toMatchObject({
      path: '/aob.v1.Timelines/Follow',
      responseStream: true,
    });
  });

  it('calls a unary method with metadata and decodes the typed response', async () => {
    const res = await identity.whoAmI({}, { metadata: { authorization: 'Bearer tok' } });
    expect(res.$typeName).toBe('aob.v1.WhoAmIResponse');
    expect(res.principal).toMatchObject({
      subject: 'ada (Bearer tok)',
      role: Role.APPROVER,
      namespace: 'team-a',
      groups: ['g1', 'g2'],
      tokenId: 't1',
    });
  });

  it('sends a thrown RpcError as its status, anything else as INTERNAL naming the method', async () => {
    const missing = await failure(
      identity.whoAmI({}, { metadata: { authorization: 'Bearer missing' } }),
    );
    expect(missing.code).toBe(status.NOT_FOUND);
    expect(missing.details).toBe('no such token');
    const bug = await failure(identity.whoAmI({}, { metadata: { authorization: 'Bearer bug' } }));
    expect(bug.code).toBe(status.INTERNAL);
    expect(bug.details).toBe('aob.v1.Identity/WhoAmI: x is undefined');
  });

  it('a passed deadline fails the call and aborts the handler', async () => {
    const md = new Metadata();
    md.set('authorization', 'Bearer slow');
    const err = await failure(identity.whoAmI({}, { metadata: md, timeoutMs: 100 }));
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    await expect.poll(() => slowAborted.length).toBe(1);
    expect(slowAborted[0]).toBe('RpcError: the call was cancelled');
  });

  it('a signal cancels a unary call', async () => {
    const abort = new AbortController();
    const call = identity.whoAmI(
      {},
      { metadata: { authorization: 'Bearer slow' }, signal: abort.signal },
    );
    setTimeout(() => abort.abort(), 50);
    expect((await failure(call)).code).toBe(status.CANCELLED);
    await expect.poll(() => slowAborted.length).toBe(2);
  });

  it('streams every response in order, int64 as bigint', async () => {
    resetFollow();
    const got: FollowResponse[] = [];
    for await (const r of timelines.follow({ runId: 'r1', fromSeq: 10n })) got.push(r);
    expect(got.map((r) => eventOf(r)?.seq)).toEqual([11n, 12n, 13n]);
    expect(eventOf(got[0]!)).toMatchObject({
      runId: 'r1',
      at: 1_700_000_000_011n,
      type: 'NodeSucceeded',
    });
    expect(JSON.parse(eventOf(got[2]!)!.dataJson)).toEqual({ nodeId: 'n13' });
    expect(await followEnded).toBe('done');
  });

  it('a stream that fails delivers what it sent, then the status', async () => {
    const got: number[] = [];
    let error: ServiceError | undefined;
    try {
      for await (const r of timelines.follow({ runId: 'fails' })) got.push(Number(eventOf(r)!.seq));
    } catch (err) {
      error = err as ServiceError;
    }
    expect(got).toEqual([1, 2, 3]);
    expect(error?.code).toBe(status.FAILED_PRECONDITION);
    expect(error?.details).toBe('run is gone');
  });

  it('leaving a live stream early cancels it on the server', async () => {
    resetFollow();
    const got: number[] = [];
    for await (const r of timelines.follow({ runId: 'live' })) {
      got.push(Number(eventOf(r)!.seq));
      if (got.length === 2) break;
    }
    expect(got).toEqual([1, 2]);
    expect(await followEnded).toBe('aborted');
  });

  it('refuses a service without a handler for every rpc', () => {
    expect(() => serviceImplementation(Identity, {} as never)).toThrow(
      'no handler for aob.v1.Identity/WhoAmI',
    );
  });
});
