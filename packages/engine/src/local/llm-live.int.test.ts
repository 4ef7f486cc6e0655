// An llm node through the local engine, configured as the CLI configures it (endpoint and key from
// settings, never the definition): its token deltas reach listeners in this process and the
// spool another process follows while it runs, and none of them is in the persisted log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeDelta } from '../app/operations.js';
import { LocalEngine } from './local-engine.js';
import { startOpenAIFake } from '../testing/openai-fake.js';
import type { OpenAIFake } from '../testing/openai-fake.js';

let home: string;
let fake: OpenAIFake;
const engines: LocalEngine[] = [];
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'aob-llm-'));
  fake = await startOpenAIFake();
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  await fake.close();
  rmSync(home, { recursive: true, force: true });
});

const def = {
  name: 'summarise',
  version: '1',
  nodes: [
    {
      id: 'write',
      type: 'llm',
      with: { model: 'fast', prompt: "{% 'Write about ' & inputs.topic %}" },
    },
  ],
  output: '{% nodes.write.output.content %}',
};

describe('llm nodes in the local engine', () => {
  it('streams deltas live (here and to another process) without persisting them', async () => {
    const llm = { baseUrl: fake.baseURL, apiKey: 'sk-local', models: { fast: 'gpt-4o-mini' } };
    const driver = await LocalEngine.open({ home, llm });
    const watcher = await LocalEngine.open({ home });
    engines.push(driver, watcher);
    const chunks = ['Ducks ', 'are ', 'birds ', 'that ', 'swim.'];
    fake.script({ content: chunks.join(''), chunks, chunkDelayMs: 60 });

    const here: NodeDelta[] = [];
    driver.onDelta((d) => here.push(d));
    const runId = await driver.control.start(def, { topic: 'ducks' });
    const seen: string[] = [];
    let offset = 0;
    let view = await driver.control.get(runId);
    while (view.status === 'running') {
      const { deltas, next } = watcher.liveDeltas(runId, offset);
      offset = next;
      seen.push(...deltas.map((d) => d.delta));
      await new Promise((r) => setTimeout(r, 20));
      view = await driver.control.get(runId);
    }
    view = await driver.control.wait(runId);
    expect(view.status).toBe('completed');
    expect(view.output).toBe('Ducks are birds that swim.');
    expect(here.map((d) => d.delta)).toEqual(chunks);
    expect(here.every((d) => d.runId === runId && d.nodeId === 'write' && d.attempt === 1)).toBe(
      true,
    );
    // The other process saw deltas while the node ran, in order.
    expect(seen.length).toBeGreaterThan(0);
    expect(chunks.join('').startsWith(seen.join(''))).toBe(true);
    // The spool is gone with the run; the log holds no delta.
    expect(watcher.liveDeltas(runId).deltas).toEqual([]);
    const events = await driver.control.events(runId);
    expect(JSON.stringify(events)).not.toContain('birds that');
    // The endpoint, key and model alias came from the settings.
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer sk-local');
    expect(fake.requests[0]!.model).toBe('gpt-4o-mini');
  });

  it('refuses to start an llm node with no endpoint configured: LLM_NOT_CONFIGURED, no run', async () => {
    const engine = await LocalEngine.open({ home });
    engines.push(engine);
    const err = (await engine.control.start(def, { topic: 'x' }).catch((e: unknown) => e)) as {
      code: string;
      problems: { code: string; message: string }[];
    };
    expect(err.code).toBe('VALIDATION');
    expect(err.problems.map((p) => p.code)).toEqual(['LLM_NOT_CONFIGURED']);
    expect(err.problems[0]!.message).toMatch(/set AOB_LLM_BASE_URL/);
    expect(await engine.control.list()).toEqual([]);
    expect(fake.calls).toBe(0);
  });
});
