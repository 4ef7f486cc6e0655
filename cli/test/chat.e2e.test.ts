// `aob chat` as a person uses it: in a real terminal (a pty, from util-linux's `script`), against
// the chat example's scripted OpenAI-compatible model: text streamed as it is written, a question
// answered at the prompt, a follow-up turn that sees the conversation before it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { bin, example, repo, startDev, startScriptedLlm, tempHome, until } from './helpers.js';
import type { Dev } from './helpers.js';

/** A process on a pty: what it printed so far (with when), and a way to type into it. */
class Terminal {
  readonly chunks: { at: number; text: string }[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(command: string, env: Record<string, string>) {
    // `script` gives the command a pty of its own and copies our pipe to its input.
    this.child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: repo,
      env: { ...process.env, NO_COLOR: '1', TERM: 'dumb', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const take = (d: Buffer) => this.chunks.push({ at: Date.now(), text: d.toString() });
    this.child.stdout!.on('data', take);
    this.child.stderr!.on('data', take);
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  get screen(): string {
    return this.chunks.map((c) => c.text).join('');
  }

  type(line: string): void {
    this.child.stdin!.write(`${line}\r`);
  }

  /** Waits until the screen shows `text` for the `nth` time (from 1). */
  async waitFor(text: string | RegExp, nth = 1, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const count = () =>
      typeof text === 'string'
        ? this.screen.split(text).length - 1
        : (this.screen.match(new RegExp(text.source, 'g')) ?? []).length;
    while (count() < nth) {
      if (Date.now() > deadline) {
        throw new Error(`no ${String(text)} (#${nth}) on the screen:\n${this.screen}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

describe('aob chat in a terminal', () => {
  let llm: Awaited<ReturnType<typeof startScriptedLlm>>;
  const { home, cleanup } = tempHome();

  beforeAll(async () => {
    llm = await startScriptedLlm('chat/scripted-llm.mjs');
  });
  afterAll(() => {
    llm?.child.kill();
    cleanup();
  });

  it('streams the reply, asks the question at the prompt, and carries the history into the next turn', async () => {
    const term = new Terminal(`${process.execPath} ${bin} chat ${example('chat/workflow.json')}`, {
      AOB_HOME: home,
      AOB_LLM_BASE_URL: llm.baseUrl,
    });
    try {
      await term.waitFor('you › ');
      term.type('book a table');
      await term.waitFor('asks: For how many people?');
      await term.waitFor('answer (2 | 4 | 6) › ');
      term.type('5');
      // Not a choice: refused with the server's reason, and asked again.
      await term.waitFor('not accepted');
      await term.waitFor('answer (2 | 4 | 6) › ', 2);
      term.type('4');
      await term.waitFor('a table for 4 people is booked');
      await term.waitFor('you › ', 2);

      // The reply came word by word as the model wrote it, not in one piece at the end.
      const reply = term.chunks.filter((c) => /Done:|booked|tonight/.test(c.text));
      expect(reply.length).toBeGreaterThan(1);
      expect(reply.at(-1)!.at - reply[0]!.at).toBeGreaterThan(0);

      term.type('what did I ask?');
      await term.waitFor('You asked me: "book a table"');
      await term.waitFor('you › ', 3);
      term.type('/exit');
      expect(await term.exited).toBe(0);
      process.stdout.write(`chat transcript:\n${term.screen}\n`);
    } finally {
      term.kill();
    }
  });

  it('against a server (aob dev): JSON lines for a program, the question answered by the token, the history carried', async () => {
    const server = tempHome();
    let dev: Dev | undefined;
    try {
      dev = await startDev({ AOB_HOME: server.home, AOB_LLM_BASE_URL: llm.baseUrl });
      const { url, token } = dev;
      const chat = spawn(process.execPath, [bin, 'chat', example('chat/workflow.json'), '--json'], {
        cwd: repo,
        env: {
          ...process.env,
          AOB_HOME: join(server.home, 'must-stay-unused'),
          AOB_SERVER: url,
          AOB_TOKEN: token,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let errors = '';
      chat.stdout.on('data', (d: Buffer) => (out += d.toString()));
      chat.stderr.on('data', (d: Buffer) => (errors += d.toString()));
      const exited = new Promise<number | null>((r) => chat.on('close', (code) => r(code)));
      const lines = () =>
        out
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
      const waitLine = (type: string, nth = 1) =>
        until(
          `a ${type} line (#${nth}); so far:\n${out}\n${errors}`,
          async () => (lines().filter((l) => l.type === type).length >= nth ? true : undefined),
          30_000,
        );
      chat.stdin.write('book a table\n');
      await waitLine('question');
      chat.stdin.write('6\n');
      await waitLine('reply');
      chat.stdin.write('what did I ask?\n');
      await waitLine('reply', 2);
      chat.stdin.end();
      expect(await exited).toBe(0);

      const got = lines();
      expect(got.filter((l) => l.type === 'answered')).toEqual([
        expect.objectContaining({ answer: '6' }),
      ]);
      expect(got.filter((l) => l.type === 'delta').length).toBeGreaterThan(1);
      expect(got.filter((l) => l.type === 'reply').map((l) => l.reply)).toEqual([
        'Done: a table for 6 people is booked for tonight at eight.',
        'You asked me: "book a table".',
      ]);
    } finally {
      await dev?.stop();
      server.cleanup();
    }
  });
});
