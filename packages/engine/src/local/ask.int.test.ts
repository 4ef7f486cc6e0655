// An agent that asks, in the local engine on its SQLite store, on both frameworks: the run waits
// on the question (QuestionAsked with the agent's saved state and the tokens spent so far); the
// engine is closed and opened again, as `aob` is between commands; the answer (the core's answer
// trigger — the CLI's `aob answer` goes through RunControl) resumes the same attempt, which
// finishes with one more model call: the fake's log shows none of the calls before the question
// made again, and the transcript holds the whole conversation.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnyRunEvent, CasRef, WorkflowDefinition } from '@aob/core';
import { LocalEngine } from './local-engine.js';
import { startOpenAIFake } from '../testing/openai-fake.js';
import type { OpenAIFake } from '../testing/openai-fake.js';
import type { TranscriptEntry } from '../executors/agent/adapter.js';
import type { AgentOutput } from '../executors/agent/executor.js';

let home: string;
let fake: OpenAIFake;
let engine: LocalEngine | undefined;
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'aob-ask-'));
  fake = await startOpenAIFake();
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await fake.close();
  rmSync(home, { recursive: true, force: true });
});

const workflow = (framework: string): WorkflowDefinition =>
  ({
    name: 'booking',
    version: '1',
    nodes: [
      {
        id: 'assistant',
        type: 'agent',
        with: { framework, model: 'm', prompt: 'Book a table.', ask: { askees: ['user:ann'] } },
      },
    ],
    edges: [],
    output: '{% nodes.assistant.output.output %}',
  }) as WorkflowDefinition;

async function until<T>(probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const open = () => LocalEngine.open({ home, llm: { baseUrl: fake.baseURL } });

describe.each(['openai-agents', 'langgraph'])('an agent that asks, locally, on %s', (framework) => {
  it('waits on its question across a restart and goes on from its saved state once answered, repeating no model call', async () => {
    fake.script(
      {
        toolCalls: [{ id: 'c1', name: 'get_graph', arguments: {} }],
        usage: { promptTokens: 10, completionTokens: 2 },
      },
      {
        toolCalls: [
          {
            id: 'c2',
            name: 'ask_user',
            arguments: { question: 'How many people?', choices: ['2', '4'] },
          },
        ],
        usage: { promptTokens: 20, completionTokens: 3 },
      },
      { content: 'A table for 4 is booked.', usage: { promptTokens: 30, completionTokens: 4 } },
    );
    engine = await open();
    const runId = await engine.control.start(workflow(framework), {});
    const asked = await until(async () => {
      const events = await engine!.control.events(runId);
      return events.find((e) => e.type === 'QuestionAsked') as
        (AnyRunEvent & { data: Record<string, unknown> }) | undefined;
    });
    expect(asked.data).toMatchObject({
      nodeId: 'assistant',
      attempt: 1,
      question: 'How many people?',
      choices: ['2', '4'],
      askees: ['user:ann'],
      usage: { promptTokens: 30, completionTokens: 5 },
    });
    expect((asked.data['resume'] as CasRef).$cas).toMatch(/^sha256:/);
    expect((await engine.control.get(runId)).status).toBe('waiting');
    const before = fake.calls;
    expect(before).toBe(2);

    // As `aob` between two commands: everything in the process is gone but the store.
    await engine.close();
    engine = await open();
    const questionId = asked.data['questionId'] as string;
    await engine.control.deliver(runId, {
      type: 'answer',
      questionId,
      answer: '4',
      by: 'user:ann',
    });
    const view = await engine.control.wait(runId, { timeoutMs: 20_000 });
    expect(view.status).toBe('completed');
    expect(fake.calls - before).toBe(1);
    const conversations = fake.requests.map((r) => JSON.stringify(r.messages));
    expect(new Set(conversations).size).toBe(conversations.length); // no call made twice

    const events = await engine.control.events(runId);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'NodeScheduled')).toHaveLength(1); // one attempt
    expect(types).toContain('QuestionAnswered');
    const succeeded = events.find((e) => e.type === 'NodeSucceeded') as AnyRunEvent & {
      data: Record<string, unknown>;
    };
    // Only what the resumed job spent; the tokens before the question are on QuestionAsked.
    expect(succeeded.data['usage']).toMatchObject({ promptTokens: 30, completionTokens: 4 });
    expect(view.usage).toMatchObject({ promptTokens: 60, completionTokens: 9 });
    const out = (await engine.content.get(succeeded.data['output'] as CasRef)) as AgentOutput;
    expect(out.output).toBe('A table for 4 is booked.');
    const transcript = (await engine.content.get(out.transcript as CasRef)) as TranscriptEntry[];
    expect(
      transcript.map((e) =>
        e.type === 'tool_call' ? `${e.name}→${JSON.stringify(e.result)}` : `${e.role}:${e.content}`,
      ),
    ).toEqual([
      'user:Book a table.',
      expect.stringMatching(/^get_graph→\{/),
      'ask_user→"4"',
      'assistant:A table for 4 is booked.',
    ]);
  });
});
