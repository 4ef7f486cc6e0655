// One conversation of `aob chat`: each message the person sends is a new run of the chat
// workflow with `{ message, history }` as its inputs, `history` being the turns before it (what
// the person said and what the workflow answered). A new run per turn, rather than one long run
// fed messages, keeps every turn a plain run — replayable, budgeted and inspected like any other
// — and a chat survives any process: the history is the only state, and it is in the inputs.
//
// While a turn runs, the agent's text is shown as it streams; a question the run asks (an ask
// node, or an agent's ask_user) is put to the person and the answer typed goes back; the run's
// output is the reply.
import type { AnyRunEvent, RunStatus } from '@aob/core';
import type { NodeDelta, RunView } from '@aob/engine';
import type { Backend } from './backend.js';
import { runIsOver } from './backend.js';

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** A question the run waits on, as its QuestionAsked event put it. */
export interface OpenQuestion {
  questionId: string;
  nodeId: string;
  question: string;
  choices?: (string | number | boolean)[];
  schema?: Record<string, unknown>;
}

/** What the session needs from a backend: start, wait, watch, answer. */
export type ChatBackend = Pick<Backend, 'start' | 'wait' | 'events' | 'observe' | 'answer'>;

/** Where a session shows what happens (the terminal, or JSON lines). */
export interface ChatView {
  started(runId: string): void;
  delta(d: NodeDelta): void;
  question(q: OpenQuestion): void;
  answered(q: OpenQuestion, answer: unknown): void;
  /** The server refused an answer: the person is asked again. */
  refused(q: OpenQuestion, error: unknown): void;
  reply(view: RunView, text: string): void;
}

/** The person's side: the next line they type, undefined when the input ended. */
export type ReadLine = (prompt: string) => Promise<string | undefined>;

export interface TurnResult {
  runId: string;
  status: RunStatus;
  /** The reply as text (the output itself when it is a string, else its JSON). */
  reply?: string;
  /** The input ended while the run waited on a question: the run is left waiting. */
  abandoned?: OpenQuestion;
}

export class ChatSession {
  readonly history: ChatMessage[] = [];

  constructor(
    private readonly backend: ChatBackend,
    private readonly workflow: string,
    private readonly view: ChatView,
    private readonly readLine: ReadLine,
  ) {}

  /** Sends one message: runs the turn to its end, asking the person what the run asks. */
  async send(message: string): Promise<TurnResult> {
    let runId: string | undefined;
    const early: NodeDelta[] = [];
    const observer = this.backend.observe({
      event: () => undefined,
      delta: (d) => {
        if (runId === undefined) early.push(d);
        else if (d.runId === runId) this.view.delta(d);
      },
    });
    try {
      runId = await this.backend.start(this.workflow, { message, history: [...this.history] });
      observer.track(runId);
      this.view.started(runId);
      for (const d of early.splice(0)) if (d.runId === runId) this.view.delta(d);
      for (;;) {
        const view = await this.backend.wait(runId, { untilSettled: true });
        if (runIsOver(view.status)) {
          await observer.settle(view);
          return this.finish(view, message);
        }
        const open = openQuestions(await this.backend.events(runId));
        if (open.length === 0) {
          // Waiting on an approval, not on a question: nothing for the chat to say.
          return { runId, status: view.status };
        }
        for (const q of open) {
          const abandoned = await this.ask(q);
          if (abandoned) return { runId, status: view.status, abandoned: q };
        }
      }
    } finally {
      observer.close();
    }
  }

  /** Puts a question to the person until an answer is accepted; true when the input ended. */
  private async ask(q: OpenQuestion): Promise<boolean> {
    this.view.question(q);
    for (;;) {
      const line = await this.readLine(
        q.choices ? `answer (${q.choices.join(' | ')}) › ` : 'answer › ',
      );
      if (line === undefined) return true;
      if (line.trim() === '') continue;
      const answer = answerFromText(line.trim(), q);
      try {
        await this.backend.answer(q.questionId, answer);
        this.view.answered(q, answer);
        return false;
      } catch (error) {
        this.view.refused(q, error);
      }
    }
  }

  private finish(view: RunView, message: string): TurnResult {
    const result: TurnResult = { runId: view.runId, status: view.status };
    if (view.status === 'completed') {
      const reply =
        typeof view.output === 'string' ? view.output : JSON.stringify(view.output ?? null);
      result.reply = reply;
      this.history.push({ role: 'user', content: message }, { role: 'assistant', content: reply });
      this.view.reply(view, reply);
    } else {
      this.view.reply(view, '');
    }
    return result;
  }
}

/** The questions asked and not yet answered, in the order they were asked. */
export function openQuestions(events: readonly AnyRunEvent[]): OpenQuestion[] {
  const open = new Map<string, OpenQuestion>();
  for (const e of events) {
    if (e.type === 'QuestionAsked') {
      const d = e.data;
      open.set(d.questionId, {
        questionId: d.questionId,
        nodeId: d.nodeId,
        question: d.question,
        ...(d.choices ? { choices: d.choices } : {}),
        ...(d.schema ? { schema: d.schema } : {}),
      });
    } else if (e.type === 'QuestionAnswered') {
      open.delete(e.data.questionId);
    }
  }
  return [...open.values()];
}

/**
 * The answer a typed line means: a choice that is not a string (a number, a boolean) when the
 * line is its JSON; with a schema, the line's JSON when it parses; otherwise the text itself.
 */
export function answerFromText(line: string, q: Pick<OpenQuestion, 'choices' | 'schema'>): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return line;
  }
  if (q.choices) return q.choices.includes(parsed as string | number | boolean) ? parsed : line;
  return q.schema ? parsed : line;
}
