import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startOpenAIFake } from './openai-fake.js';
import type { OpenAIFake } from './openai-fake.js';

let fake: OpenAIFake;
beforeEach(async () => {
  fake = await startOpenAIFake();
});
afterEach(async () => {
  await fake.close();
});

describe('openai fake', () => {
  it('speaks the non-streaming and streaming formats the real client reads, tool calls included', async () => {
    const client = new OpenAI({ baseURL: fake.baseURL, apiKey: 'k', maxRetries: 0 });
    fake.script(
      { content: 'plain' },
      { toolCalls: [{ name: 'get_graph', arguments: { runId: 'r1' } }] },
      { toolCalls: [{ id: 'call_x', name: 'propose_patch', arguments: '{"ops":[]}' }] },
    );
    const plain = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'one two three' }],
    });
    expect(plain.choices[0]?.message.content).toBe('plain');
    expect(plain.usage).toMatchObject({ prompt_tokens: 3, total_tokens: 4 });

    const tools = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(tools.choices[0]?.finish_reason).toBe('tool_calls');
    expect(tools.choices[0]?.message.tool_calls).toEqual([
      {
        id: 'call_1',
        type: 'function',
        function: { name: 'get_graph', arguments: '{"runId":"r1"}' },
      },
    ]);

    const stream = client.chat.completions.stream({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
    });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message.tool_calls?.[0]).toMatchObject({
      id: 'call_x',
      function: { name: 'propose_patch', arguments: '{"ops":[]}' },
    });
    expect(fake.calls).toBe(3);
  });

  it('answers with an error envelope when the script is exhausted', async () => {
    const client = new OpenAI({ baseURL: fake.baseURL, apiKey: 'k', maxRetries: 0 });
    await expect(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 400, code: 'fake_script_exhausted' });
  });

  it('answers from `respond` once the script is empty, as a function of the request', async () => {
    await fake.close();
    fake = await startOpenAIFake({
      replies: [{ content: 'scripted' }],
      respond: (req) => ({ content: `${(req.messages as { content: string }[]).length} said` }),
    });
    const client = new OpenAI({ baseURL: fake.baseURL, apiKey: 'k', maxRetries: 0 });
    const ask = async (n: number) =>
      (
        await client.chat.completions.create({
          model: 'm',
          messages: Array.from({ length: n }, () => ({ role: 'user' as const, content: 'x' })),
        })
      ).choices[0]?.message.content;
    expect(await ask(1)).toBe('scripted');
    expect(await ask(2)).toBe('2 said');
    expect(await ask(3)).toBe('3 said');
  });

  it('records every request, headers included', async () => {
    const client = new OpenAI({ baseURL: fake.baseURL, apiKey: 'sk-abc', maxRetries: 0 });
    fake.script({ content: 'x' });
    await client.chat.completions.create({
      model: 'gpt-x',
      messages: [{ role: 'user', content: 'hi' }],
      response_format: { type: 'json_object' },
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      model: 'gpt-x',
      messages: [{ role: 'user', content: 'hi' }],
      responseFormat: { type: 'json_object' },
      stream: false,
      abortedByClient: false,
    });
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer sk-abc');
  });
});
