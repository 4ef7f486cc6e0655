import { createInterface } from 'node:readline';
import { Args } from '@oclif/core';
import type { NodeDelta, RunView } from '@aob/engine';
import { AobCommand } from '../lib/base.js';
import { ChatSession } from '../lib/chat-session.js';
import type { ChatView, OpenQuestion, ReadLine } from '../lib/chat-session.js';
import { problemsOf } from '../lib/errors.js';
import { firstLine, toErrorJson } from '../lib/json.js';
import { LiveText } from '../lib/live-text.js';
import { outJsonLine } from '../lib/output.js';
import { formatError, formatProblem } from '../lib/render.js';

export default class Chat extends AobCommand<typeof Chat> {
  static override summary =
    'Talk to a workflow: each message is a run, its questions are asked here.';
  static override description = `Reads messages from the terminal (or from stdin, a line each). Each message starts a run of the workflow with the inputs {"message": <the line>, "history": [{"role": "user"|"assistant", "content": …}, …]}: the history is the conversation so far, so a follow-up message continues it — a new run per turn, every turn a plain run you can inspect, replay or budget. The agent's text is shown as it is written; when the run asks a question (an ask node, or an agent's ask_user tool) it is asked here and the line typed is the answer (a number or boolean choice, or JSON for a question with a schema, is read as JSON); the run's output is printed as the reply. End with Ctrl-D or /exit.

Works locally (the run is driven in this process) and against a server (AOB_SERVER and AOB_TOKEN). With --json every happening is one JSON line on stdout: {"type":"run"|"delta"|"question"|"answered"|"refused"|"reply", …}, and no prompts are printed.

examples/chat/workflow.json is a chat workflow to start from.`;
  static override examples = [
    'AOB_LLM_BASE_URL=http://127.0.0.1:8788/v1 <%= config.bin %> <%= command.id %> examples/chat/workflow.json',
    'printf "book a table\\n4\\n" | <%= config.bin %> <%= command.id %> chat@1 --json',
  ];

  static override args = {
    workflow: Args.string({
      description: 'Definition file (.json) or registered workflow name[@version].',
      required: true,
    }),
  };

  protected async perform(): Promise<number> {
    const backend = await this.backend();
    const interactive = process.stdin.isTTY === true && !this.jsonMode;
    const rl = createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: interactive,
    });
    const lines = rl[Symbol.asyncIterator]();
    let inputEnded = false;
    const readLine: ReadLine = async (prompt) => {
      if (inputEnded) return undefined;
      if (!this.jsonMode) process.stdout.write(prompt);
      const next = await lines.next();
      if (next.done) {
        inputEnded = true;
        return undefined;
      }
      return next.value;
    };

    const view = this.jsonMode ? jsonView() : terminalView();
    const session = new ChatSession(backend, this.args.workflow, view, readLine);
    if (!this.jsonMode) {
      process.stdout.write(
        `chat with ${this.args.workflow} (${backend.mode === 'server' ? 'on the server' : 'local'}); Ctrl-D or /exit to end\n`,
      );
    }
    let code = 0;
    try {
      for (;;) {
        const line = await readLine('you › ');
        if (line === undefined || line.trim() === '/exit') break;
        if (line.trim() === '') continue;
        const turn = await session.send(line.trim());
        this.interruptHint = undefined;
        if (turn.abandoned) {
          if (!this.jsonMode) {
            process.stdout.write(
              `\nrun ${turn.runId} still waits on ${turn.abandoned.questionId}; answer it with: aob answer ${turn.abandoned.questionId} <text>\n`,
            );
          }
          code = 4;
          break;
        }
        if (turn.status !== 'completed') code = turn.status === 'waiting' ? 4 : 1;
      }
    } finally {
      rl.close();
    }
    return code;
  }
}

/** Text for a person: the agent's words as they come, questions as prompts. */
function terminalView(): ChatView {
  const text = new LiveText((s) => process.stdout.write(s));
  // What streamed since the last question: when it already said the reply, it is not repeated.
  let streamed = '';
  return {
    started: () => {
      streamed = '';
    },
    delta: (d: NodeDelta) => {
      streamed += d.delta;
      text.delta(d.nodeId, `${d.nodeId} › `, d.delta);
    },
    question: (q: OpenQuestion) => {
      text.breakLine();
      process.stdout.write(`${q.nodeId} asks: ${q.question}\n`);
    },
    answered: () => {
      streamed = '';
    },
    refused: (_q, error) => {
      process.stdout.write(`not accepted: ${describe(error)}\n`);
    },
    reply: (view: RunView, reply: string) => {
      text.breakLine();
      if (view.status !== 'completed') {
        const why = view.error ? `: ${formatError(view.error)}` : '';
        process.stdout.write(`run ${view.runId} ${view.status}${why}\n`);
      } else if (reply.trim() === '' || !streamed.trim().endsWith(reply.trim())) {
        process.stdout.write(`reply › ${reply}\n`);
      }
    },
  };
}

/** JSON lines for programs. */
function jsonView(): ChatView {
  const line = (doc: unknown) => void outJsonLine(doc);
  return {
    started: (runId) => line({ type: 'run', runId }),
    delta: (d) => line({ type: 'delta', runId: d.runId, nodeId: d.nodeId, text: d.delta }),
    question: (q) => line({ type: 'question', ...q }),
    answered: (q, answer) => line({ type: 'answered', questionId: q.questionId, answer }),
    refused: (q, error) => {
      const { code, message } = codeAndMessage(error);
      line({
        type: 'refused',
        questionId: q.questionId,
        ...toErrorJson(code, message, problemsOf(error)),
      });
    },
    reply: (view, reply) =>
      line({
        type: 'reply',
        runId: view.runId,
        status: view.status,
        ...(view.status === 'completed' ? { reply } : {}),
        ...(view.error ? { error: view.error } : {}),
      }),
  };
}

function describe(error: unknown): string {
  const { code, message } = codeAndMessage(error);
  const problems = (problemsOf(error) ?? []).map((p) => `\n  ${formatProblem(p)}`);
  return `${code}: ${firstLine(message)}${problems.join('')}`;
}

function codeAndMessage(error: unknown): { code: string; message: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    code: typeof code === 'string' ? code : 'ERROR',
    message: error instanceof Error ? error.message : String(error),
  };
}
