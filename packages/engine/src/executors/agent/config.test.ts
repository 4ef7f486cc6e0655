import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from './config.js';

const parse = (config: Record<string, unknown>) => () => parseAgentConfig(config, 'planner');
const problemsOf = (config: Record<string, unknown>): string[] => {
  try {
    parseAgentConfig(config, 'planner');
  } catch (err) {
    expect(err).toMatchObject({ code: 'BAD_CONFIG', retryable: false });
    return (err as { details: { problems: string[] } }).details.problems;
  }
  return expect.fail('expected BAD_CONFIG');
};

describe('parseAgentConfig', () => {
  it('applies the defaults', () => {
    expect(parseAgentConfig({ framework: 'langgraph', model: 'm', prompt: 'p' }, 'n')).toEqual({
      framework: 'langgraph',
      model: 'm',
      prompt: 'p',
      tools: [],
      mcp: [],
      maxTurns: 10,
      ask: false,
    });
  });

  it('gives ask_user with with.ask, which must be an object', () => {
    const config = { framework: 'langgraph', model: 'm', prompt: 'p' };
    expect(parseAgentConfig({ ...config, ask: { askees: ['ann'] } }, 'n').ask).toBe(true);
    expect(() => parseAgentConfig({ ...config, ask: true }, 'n')).toThrow(
      /with\.ask must be an object/,
    );
  });

  it('keeps what it is given', () => {
    const parsed = parseAgentConfig(
      {
        framework: 'openai-agents',
        model: 'm',
        prompt: 'p',
        instructions: 'i',
        tools: ['code', 'http'],
        maxTurns: 50,
        schema: { type: 'object' },
      },
      'n',
    );
    expect(parsed).toMatchObject({ instructions: 'i', tools: ['code', 'http'], maxTurns: 50 });
    expect(parsed.schema?.validate({})).toEqual([]);
    expect(parsed.schema?.validate([])).not.toEqual([]);
  });

  it('names every problem at once', () => {
    const problems = problemsOf({
      framework: 'crewai',
      model: '',
      instructions: 3,
      tools: ['http', 'shell', 'http'],
      maxTurns: 51,
      schema: { type: 'nope' },
      temperature: 1,
    });
    expect(problems).toEqual([
      'unknown key(s) temperature',
      'with.framework must be one of openai-agents, langgraph',
      'with.model must be a non-empty string',
      'with.instructions must be a string',
      'with.prompt must be a non-empty string',
      'with.tools[1] must be one of http, search, fs, code',
      'with.tools[2] repeats http',
      'with.maxTurns must be an integer from 1 to 50',
      expect.stringMatching(/^with\.schema is not a valid JSON Schema: /),
    ]);
  });

  it.each([0, 1.5, '3'])('refuses maxTurns %j', (maxTurns) => {
    expect(problemsOf({ framework: 'langgraph', model: 'm', prompt: 'p', maxTurns })).toEqual([
      'with.maxTurns must be an integer from 1 to 50',
    ]);
  });

  it.each(['apiKey', 'baseUrl', 'headers', 'token'])('refuses the credential key %s', (key) => {
    expect(parse({ framework: 'langgraph', model: 'm', prompt: 'p', [key]: 'x' })).toThrow(
      expect.objectContaining({
        code: 'BAD_CONFIG',
        message: expect.stringContaining(`with.${key} is not allowed`) as string,
      }),
    );
  });
});
