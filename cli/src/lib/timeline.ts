// The live timeline `run start` shows on a terminal: one line per event of the run (and of the
// child runs it starts), fed by engine.onEvent. Events that arrive before the run id is known
// (start() returns it only after the first events are appended) are buffered and replayed.
// An llm node's reply shows as it streams (LiveText), each event line starting a line of its own.
import type { AnyRunEvent } from '@aob/core';
import type { NodeDelta } from '@aob/engine';
import { LiveText } from './live-text.js';
import { formatEventLine, formatGlimpse } from './render.js';

/** Looks up what an approval node has under review (its input). */
export type ReviewLookup = (runId: string, nodeId: string) => Promise<unknown>;

const MAX_BUFFERED = 5_000;

export class Timeline {
  private readonly prefixes = new Map<string, string>();
  private buffered: AnyRunEvent[] = [];
  private t0: number | undefined;
  private rootRunId: string | undefined;
  private readonly text: LiveText;
  /** The approval node of each ticket requested, to show what it has under review. */
  private readonly ticketNodes = new Map<string, string>();
  /** Lines still being looked up; `flush` waits for them. */
  private pending: Promise<void> = Promise.resolve();

  /**
   * `write` receives raw terminal output: whole lines end with a newline, streamed text may not.
   * `review`, when given, shows what each ticket the run waits on has under review.
   */
  constructor(
    private readonly write: (text: string) => void,
    private readonly review?: ReviewLookup,
  ) {
    this.text = new LiveText(write);
  }

  /** Resolves once every line the timeline was looking up has been written. */
  flush(): Promise<void> {
    return this.pending;
  }

  private writeLine(line: string): void {
    this.text.breakLine();
    this.write(`${line}\n`);
  }

  /** Pass to engine.onEvent. */
  readonly listener = (e: AnyRunEvent): void => {
    if (this.prefixes.has(e.runId)) {
      this.print(e);
      return;
    }
    this.buffered.push(e);
    if (this.buffered.length > MAX_BUFFERED) this.buffered.shift();
  };

  /** Pass to engine.onDelta: an llm node's reply, shown as it streams (never persisted). */
  readonly deltaListener = (d: NodeDelta): void => {
    const prefix = this.prefixes.get(d.runId);
    if (prefix === undefined) return;
    this.text.delta(`${d.runId}/${d.nodeId}`, `${prefix}  ${d.nodeId} ▸ `, d.delta);
  };

  /** Starts showing `runId`; `startedAt` anchors the time offsets (default: its first event). */
  track(runId: string, startedAt?: number): void {
    this.rootRunId = runId;
    if (startedAt !== undefined) this.t0 = startedAt;
    this.prefixes.set(runId, '');
    this.drain();
  }

  private print(e: AnyRunEvent): void {
    this.t0 ??= e.at;
    const prefix = this.prefixes.get(e.runId) ?? '';
    this.writeLine(formatEventLine(e, this.t0, prefix));
    if (e.type === 'ChildRunStarted') {
      this.prefixes.set(e.data.childRunId, `${prefix}  ↳ ${e.data.nodeId} `);
      this.drain();
    }
    if (e.type === 'ApprovalRequested') this.ticketNodes.set(e.data.ticketId, e.data.nodeId);
    if (e.type === 'RunWaiting' && e.runId === this.rootRunId) {
      for (const t of e.data.tickets) this.promptFor(e.runId, t, prefix);
      for (const q of e.data.questions ?? []) {
        this.writeLine(`${prefix}            answer with: aob answer ${q} <answer>`);
      }
    }
  }

  /** What the ticket has under review (when it can be looked up), then how to decide it. */
  private promptFor(runId: string, ticketId: string, prefix: string): void {
    const pad = `${prefix}            `;
    const nodeId = this.ticketNodes.get(ticketId);
    const decide = `${pad}decide with: aob approve ${ticketId} approve|reject`;
    if (!this.review || nodeId === undefined) {
      this.writeLine(decide);
      return;
    }
    const review = this.review;
    this.pending = this.pending.then(async () => {
      const input = await review(runId, nodeId).catch(() => undefined);
      if (input !== undefined) {
        this.writeLine(
          `${pad}under review: ${formatGlimpse(input, 200)} (whole: aob run get ${runId} --node ${nodeId})`,
        );
      }
      this.writeLine(decide);
    });
  }

  private drain(): void {
    const pending = this.buffered;
    this.buffered = [];
    for (const e of pending) this.listener(e);
  }
}
