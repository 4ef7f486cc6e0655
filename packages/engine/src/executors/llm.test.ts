import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeJob } from '@aob/core';
import { startOpenAIFake } from '../testing/openai-fake.js';
import type { OpenAIFake } from '../testing/openai-fake.js';
import { llmExecutor } from './llm.js';
import type { LlmOutput } from './llm.js';
import { runExecutor } from './registry.js';
import type { ExecutorContext, LlmOptions } from './types.js';

const silent = { info() {}, warn() {}, error() {} };
const KEY = 'sk-test-from-options';

function job(config: Record<string, unknown>): NodeJob {
  return {
    runId: 'run-1',
    nodeId: 'classify',
    attempt: 1,
    irHash: 'h',
    type: 'llm',
    config,
    input: null,
    inputRef: { $cas: 'sha256:00', size: 0 },
    timeoutMs: 30_000,
    priority: 'medium',
    idempotencyKey: 'run-1:classify',
  };
}

function ctx(llm: LlmOptions | undefined, extra: Partial<ExecutorContext> = {}): ExecutorContext {
  const c: ExecutorContext = {
    runId: 'run-1',
    nodeId: 'classify',
    attempt: 1,
    idempotencyKey: 'run-1:classify',
    signal: new AbortController().signal,
    log: silent,
    options: { handlers: {}, allowPrivateNetwork: true },
    ...extra,
  };
  if (llm) c.options = { ...c.options, llm };
  return c;
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a rejection'),
    (err: unknown) =>
      err as { code: string; message: string; retryable: boolean; details?: unknown },
  );

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['risk', 'reason'],
  properties: {
    risk: { enum: ['low', 'high'] },
    reason: { type: 'string' },
  },
};

let fake: OpenAIFake;
let llm: LlmOptions;
beforeEach(async () => {
  fake = await startOpenAIFake();
  llm = { baseUrl: fake.baseURL, apiKey: KEY };
});
afterEach(async () => {
  await fake.close();
});

describe('llm executor', () => {
  it('returns the completion with its usage, model and finish reason', async () => {
    fake.script({
      content: 'Hello there.',
      usage: { promptTokens: 12, completionTokens: 3 },
    });
    const out = (await llmExecutor(
      job({ model: 'gpt-4.1-mini', prompt: 'Say hello' }),
      ctx(llm),
    )) as LlmOutput;
    expect(out).toEqual({
      content: 'Hello there.',
      model: 'gpt-4.1-mini',
      usage: { promptTokens: 12, completionTokens: 3, totalTokens: 15 },
      finishReason: 'stop',
    });
    expect(fake.calls).toBe(1);
  });

  it('streams the deltas in order to ctx.stream; the content is their concatenation', async () => {
    const chunks = ['The ', 'quick ', 'brown', ' fox', '.'];
    fake.script({ content: chunks.join(''), chunks });
    const seen: string[] = [];
    const out = (await llmExecutor(
      job({ model: 'm', prompt: 'go' }),
      ctx(llm, { stream: (d) => seen.push(d) }),
    )) as LlmOutput;
    expect(seen).toEqual(chunks);
    expect(out.content).toBe(seen.join(''));
    expect(fake.requests[0]?.stream).toBe(true);
    expect(fake.requests[0]?.body?.['stream_options']).toEqual({ include_usage: true });
  });

  it('a throwing stream callback does not fail the node', async () => {
    fake.script({ content: 'a b c' });
    const out = (await llmExecutor(
      job({ model: 'm', prompt: 'go' }),
      ctx(llm, {
        stream: () => {
          throw new Error('display broke');
        },
      }),
    )) as LlmOutput;
    expect(out.content).toBe('a b c');
  });

  it('sends the model, system and user messages, response_format and the key from the options', async () => {
    fake.script({ content: '{"risk":"high","reason":"refund > 1000"}' });
    await llmExecutor(
      job({
        model: 'fast',
        system: 'You triage tickets.',
        prompt: 'Refund me 5000',
        temperature: 0,
        maxTokens: 200,
        schema: SCHEMA,
        schemaName: 'triage',
      }),
      ctx({ ...llm, models: { fast: 'gpt-4.1-mini' } }),
    );
    const req = fake.requests[0];
    expect(req?.path).toBe('/v1/chat/completions');
    expect(req?.model).toBe('gpt-4.1-mini');
    expect(req?.messages).toEqual([
      { role: 'system', content: 'You triage tickets.' },
      { role: 'user', content: 'Refund me 5000' },
    ]);
    expect(req?.responseFormat).toEqual({
      type: 'json_schema',
      json_schema: { name: 'triage', schema: SCHEMA, strict: true },
    });
    expect(req?.body).toMatchObject({ temperature: 0, max_tokens: 200 });
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('sends no Authorization header when the options hold no key', async () => {
    fake.script({ content: 'ok' });
    await llmExecutor(job({ model: 'm', prompt: 'x' }), ctx({ baseUrl: fake.baseURL }));
    expect(fake.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('passes explicit messages through after the system message', async () => {
    fake.script({ content: 'ok' });
    const messages = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'bye' },
    ];
    await llmExecutor(job({ model: 'm', system: 's', messages }), ctx(llm));
    expect(fake.requests[0]?.messages).toEqual([{ role: 'system', content: 's' }, ...messages]);
  });

  it('structured output: a reply valid against the schema is parsed', async () => {
    fake.script({ content: '{"risk":"high","reason":"refund > 1000"}' });
    const out = (await llmExecutor(
      job({ model: 'm', prompt: 'x', schema: SCHEMA }),
      ctx(llm),
    )) as LlmOutput;
    expect(out.parsed).toEqual({ risk: 'high', reason: 'refund > 1000' });
    expect(fake.requests[0]?.responseFormat).toMatchObject({ json_schema: { name: 'output' } });
  });

  it('structured output: a reply that breaks the schema, or is not JSON, is LLM_BAD_OUTPUT', async () => {
    fake.script({ content: '{"risk":"medium"}' }, { content: 'Sure! Here is JSON:' });
    const invalid = await rejection(
      llmExecutor(job({ model: 'm', prompt: 'x', schema: SCHEMA }), ctx(llm)),
    );
    expect(invalid).toMatchObject({ code: 'LLM_BAD_OUTPUT', retryable: false });
    expect(invalid.message).toMatch(/reason/);
    expect(invalid.message).toMatch(/risk/);
    const notJson = await rejection(
      llmExecutor(job({ model: 'm', prompt: 'x', schema: SCHEMA }), ctx(llm)),
    );
    expect(notJson).toMatchObject({ code: 'LLM_BAD_OUTPUT', retryable: false });
    expect(notJson.message).toMatch(/not JSON/);
  });

  it('refuses an API key or base URL in the definition, without calling the model', async () => {
    for (const extra of [{ apiKey: 'sk-leaked' }, { baseURL: 'http://evil.example/v1' }]) {
      const err = await rejection(
        llmExecutor(job({ model: 'm', prompt: 'x', ...extra }), ctx(llm)),
      );
      expect(err).toMatchObject({ code: 'BAD_CONFIG', retryable: false });
      expect(err.message).toMatch(/runner configuration and its secrets/);
      expect(err.message).not.toContain('sk-leaked');
    }
    expect(fake.calls).toBe(0);
  });

  it('never records the API key a provider echoes in its error', async () => {
    fake.script({ status: 401, message: `Incorrect API key provided: ${KEY}` });
    const err = await rejection(runExecutor(job({ model: 'm', prompt: 'x' }), ctx(llm)));
    expect(err.code).toMatch(/^LLM_/);
    expect(err.message).toContain('Incorrect API key provided: [redacted]');
    expect(JSON.stringify(err)).not.toContain(KEY);
  });

  it('names every configuration problem at once', async () => {
    const err = await rejection(
      llmExecutor(job({ prompt: 1, temperature: 5, maxTokens: 0, extra: true }), ctx(llm)),
    );
    expect(err.code).toBe('BAD_CONFIG');
    for (const word of ['model', 'prompt', 'temperature', 'maxTokens', 'extra']) {
      expect(err.message).toContain(word);
    }
  });

  it('a schema that does not compile is BAD_CONFIG before any call', async () => {
    const err = await rejection(
      llmExecutor(job({ model: 'm', prompt: 'x', schema: { type: 'nope' } }), ctx(llm)),
    );
    expect(err).toMatchObject({ code: 'BAD_CONFIG', retryable: false });
    expect(fake.calls).toBe(0);
  });

  it('without llm options it is LLM_NOT_CONFIGURED', async () => {
    const err = await rejection(llmExecutor(job({ model: 'm', prompt: 'x' }), ctx(undefined)));
    expect(err).toMatchObject({ code: 'LLM_NOT_CONFIGURED', retryable: false });
  });

  it('503 and 429 are retryable LLM_UNAVAILABLE; 400 and 401 are non-retryable LLM_REQUEST_REJECTED', async () => {
    fake.script(
      { status: 503, message: 'overloaded' },
      { status: 429, message: 'slow down', code: 'rate_limit_exceeded' },
      { status: 400, message: 'bad schema', code: 'invalid_json_schema' },
      { status: 401, message: 'bad key' },
    );
    const run = () => rejection(llmExecutor(job({ model: 'm', prompt: 'x' }), ctx(llm)));
    expect(await run()).toMatchObject({ code: 'LLM_UNAVAILABLE', retryable: true });
    expect(await run()).toMatchObject({
      code: 'LLM_UNAVAILABLE',
      retryable: true,
      details: { status: 429, code: 'rate_limit_exceeded' },
    });
    const rejected = await run();
    expect(rejected).toMatchObject({
      code: 'LLM_REQUEST_REJECTED',
      retryable: false,
      details: { status: 400, code: 'invalid_json_schema' },
    });
    expect(rejected.message).toContain('bad schema');
    const unauthorised = await run();
    expect(unauthorised).toMatchObject({ code: 'LLM_REQUEST_REJECTED', retryable: false });
    expect(unauthorised.message).not.toContain(KEY);
    // The client does not retry on its own: each attempt is one call, the engine owns retries.
    expect(fake.calls).toBe(4);
  });

  it('an unreachable endpoint is retryable LLM_UNAVAILABLE', async () => {
    await fake.close();
    const err = await rejection(llmExecutor(job({ model: 'm', prompt: 'x' }), ctx(llm)));
    expect(err).toMatchObject({ code: 'LLM_UNAVAILABLE', retryable: true });
    fake = await startOpenAIFake();
  });

  it('aborting ctx.signal stops the request', async () => {
    fake.script({ hang: true });
    const controller = new AbortController();
    const pending = rejection(
      llmExecutor(job({ model: 'm', prompt: 'x' }), ctx(llm, { signal: controller.signal })),
    );
    await until(() => fake.requests.length === 1);
    controller.abort();
    expect(await pending).toMatchObject({ code: 'CANCELLED', retryable: false });
    await until(() => fake.requests[0]?.abortedByClient === true);
  });

  it('a job timeout mid-stream stops the stream with a retryable TIMEOUT', async () => {
    fake.script({ content: 'one two three four five six', chunkDelayMs: 100 });
    const seen: string[] = [];
    const err = await rejection(
      runExecutor(
        { ...job({ model: 'm', prompt: 'x' }), timeoutMs: 150 },
        ctx(llm, {
          stream: (d) => seen.push(d),
        }),
      ),
    );
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(seen.length).toBeLessThan(6);
    await until(() => fake.requests[0]?.abortedByClient === true);
  });

  it('counts calls, so a replay can prove it made none', async () => {
    fake.script({ content: 'a' }, { content: 'b' });
    await llmExecutor(job({ model: 'm', prompt: 'x' }), ctx(llm));
    expect(fake.calls).toBe(1);
    await llmExecutor(job({ model: 'm', prompt: 'y' }), ctx(llm));
    expect(fake.calls).toBe(2);
    expect(fake.pending).toBe(0);
  });
});

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
