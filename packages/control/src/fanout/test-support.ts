// Test helpers for the fanout (imported by its tests only; not exported from the package).
import { request } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnyNewEvent, AnyRunEvent } from '@aob/core';
import type { RunLogStore } from '@aob/store';
import type { NodeDelta } from '@aob/client';
import type { DeltaSource, LiveSource, TimelinePrincipal } from './types.js';

/** A delta source the test drives: `emit` hands a delta to the hub. */
export class ManualDeltaSource implements DeltaSource {
  private sink: ((d: NodeDelta) => void) | undefined;
  async start(sink: (d: NodeDelta) => void): Promise<void> {
    this.sink = sink;
  }
  async stop(): Promise<void> {
    this.sink = undefined;
  }
  emit(d: NodeDelta): void {
    this.sink?.(d);
  }
}

/** A live source the test drives: it announces, loses or repeats exactly what it is told. */
export class ManualSource implements LiveSource {
  private sink: ((e: AnyRunEvent) => void) | undefined;
  async start(sink: (e: AnyRunEvent) => void): Promise<void> {
    this.sink = sink;
  }
  ready(): boolean {
    return this.sink !== undefined;
  }
  async stop(): Promise<void> {
    this.sink = undefined;
  }
  announce(e: AnyRunEvent): void {
    this.sink?.(e);
  }
}

const CAS = { $cas: `sha256:${'0'.repeat(64)}`, size: 2 } as const;

export function started(namespace: string, at = Date.now()): AnyNewEvent {
  return {
    type: 'RunStarted',
    at,
    data: { workflow: { name: 'wf', version: '1' }, inputs: CAS, namespace },
  } as AnyNewEvent;
}

export function log(message: string, at = Date.now()): AnyNewEvent {
  return {
    type: 'NodeLog',
    at,
    data: { nodeId: 'n', attempt: 1, level: 'info', message },
  } as AnyNewEvent;
}

export function completed(at = Date.now()): AnyNewEvent {
  return { type: 'RunCompleted', at, data: { output: CAS } } as AnyNewEvent;
}

/** Appends one event to a run (after its current last seq) and returns the envelope. */
export async function append(
  store: RunLogStore,
  runId: string,
  e: AnyNewEvent,
): Promise<AnyRunEvent> {
  const summary = await store.getRun(runId);
  const [env] = await store.append(runId, 'ir', summary?.lastSeq ?? 0, [e]);
  return env!;
}

export const principal = (namespace: string): TimelinePrincipal & Record<string, unknown> => ({
  subject: `user-${namespace}`,
  role: 'viewer',
  namespace,
  groups: [],
  tokenId: `t-${namespace}`,
});

/**
 * Token "ns:<namespace>" authenticates as a viewer of that namespace; "job:<namespace>:<runId>" as
 * a job token of that run (an agent's, scoped to the run).
 */
export async function testAuthenticate(header: string | undefined) {
  const job = /^Bearer job:([^:]+):(.+)$/.exec(header ?? '');
  if (job) return { ...principal(job[1]!), role: 'agent', runId: job[2]! };
  const m = /^Bearer ns:(.+)$/.exec(header ?? '');
  return m ? principal(m[1]!) : undefined;
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

export interface SseFrame {
  id?: string;
  event: string;
  data: string;
}

/** A real SSE client over node:http: parses frames as they arrive, comments counted apart. */
export class SseClient {
  readonly frames: SseFrame[] = [];
  comments = 0;
  status = 0;
  body = '';
  headers: IncomingMessage['headers'] = {};
  ended = false;
  private buffer = '';
  private waiters: (() => void)[] = [];
  private req: ReturnType<typeof request> | undefined;

  static open(
    port: number,
    path: string,
    headers: Record<string, string> = {},
  ): Promise<SseClient> {
    const c = new SseClient();
    return new Promise((resolve, reject) => {
      c.req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
        c.status = res.statusCode ?? 0;
        c.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => c.onData(chunk));
        res.on('end', () => c.onEnd());
        res.on('error', () => c.onEnd());
        resolve(c);
      });
      c.req.on('error', reject);
      c.req.end();
    });
  }

  get events(): SseFrame[] {
    return this.frames.filter(
      (f) =>
        f.event !== 'end' &&
        f.event !== 'error' &&
        f.event !== 'reset' &&
        f.event !== 'NodeOutputDelta',
    );
  }

  /** The token deltas received, in order. */
  deltas(): NodeDelta[] {
    return this.frames
      .filter((f) => f.event === 'NodeOutputDelta')
      .map((f) => JSON.parse(f.data) as NodeDelta);
  }

  seqs(): number[] {
    return this.events.map((f) => (JSON.parse(f.data) as AnyRunEvent).seq);
  }

  close(): void {
    this.req?.destroy();
  }

  /** Resolves once `pred` holds (checked on every frame), rejects after `ms`. */
  until(pred: (c: SseClient) => boolean, ms = 5_000): Promise<void> {
    if (pred(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(
              `SSE client: condition not met in ${ms} ms; frames: ${this.frames.length}, ended: ${this.ended}`,
            ),
          ),
        ms,
      );
      const check = () => {
        if (pred(this)) {
          clearTimeout(t);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private onEnd(): void {
    this.ended = true;
    this.notify();
  }

  private onData(chunk: string): void {
    if (this.status !== 200) {
      this.body += chunk;
      return;
    }
    this.buffer += chunk;
    let i: number;
    while ((i = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 2);
      const f: SseFrame = { event: 'message', data: '' };
      let fields = 0;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments++;
          continue;
        }
        const colon = line.indexOf(':');
        const name = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        if (name === 'id') f.id = value;
        else if (name === 'event') f.event = value;
        else if (name === 'data') f.data = value;
        else continue;
        fields++;
      }
      if (fields > 0) this.frames.push(f);
    }
    this.notify();
  }
}
