import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultActor, engineSettings } from './settings.js';

describe('engineSettings', () => {
  it('defaults to a durable store in ./.aob', () => {
    expect(engineSettings({}, '/work/x')).toEqual({
      home: path.resolve('/work/x/.aob'),
      store: 'file',
      durability: 'normal',
      allowPrivateNetwork: false,
      limits: {},
      mcpHostRules: {},
    });
  });

  it('reads who may reach /mcp, naming every malformed entry', () => {
    expect(
      engineSettings(
        {
          AOB_MCP_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173',
          AOB_MCP_ALLOWED_HOSTS: 'AOB.internal',
        },
        '/w',
      ).mcpHostRules,
    ).toEqual({
      allowedOrigins: ['https://app.example.com', 'http://localhost:5173'],
      allowedHosts: ['aob.internal'],
    });
    expect(() =>
      engineSettings(
        {
          AOB_MCP_ALLOWED_ORIGINS: 'https://app.example.com/path,nope',
          AOB_MCP_ALLOWED_HOSTS: 'host:80',
        },
        '/w',
      ),
    ).toThrow(
      /AOB_MCP_ALLOWED_ORIGINS must list origins .* not https:\/\/app.example.com\/path, nope.*AOB_MCP_ALLOWED_HOSTS must list host names without ports, not host:80/,
    );
  });

  it('reads the server limits, naming every malformed one', () => {
    expect(
      engineSettings({ AOB_LIMIT_NODES: '50', AOB_LIMIT_EXPRESSION_MS: '20' }, '/w').limits,
    ).toEqual({
      maxNodes: 50,
      expressionTimeMs: 20,
    });
    expect(() =>
      engineSettings({ AOB_LIMIT_MAP_ITEMS: '0', AOB_LIMIT_EXPRESSION_DEPTH: 'deep' }, '/w'),
    ).toThrow(
      /AOB_LIMIT_MAP_ITEMS must be a positive integer, not "0".*AOB_LIMIT_EXPRESSION_DEPTH must be a positive integer, not "deep"/,
    );
  });

  it('reads AOB_DURABILITY, naming a value it does not know', () => {
    expect(engineSettings({ AOB_DURABILITY: 'full' }, '/w').durability).toBe('full');
    expect(engineSettings({ AOB_DURABILITY: ' normal ' }, '/w').durability).toBe('normal');
    expect(() => engineSettings({ AOB_DURABILITY: 'paranoid' }, '/w')).toThrow(
      /AOB_DURABILITY must be normal or full, not "paranoid"/,
    );
  });

  it('reads AOB_HOME and AOB_HANDLERS, resolving them from the cwd', () => {
    const s = engineSettings({ AOB_HOME: 'state', AOB_HANDLERS: './h.js' }, '/w');
    expect(s.home).toBe(path.resolve('/w/state'));
    expect(s.handlersFile).toBe(path.resolve('/w/h.js'));
  });

  it('lets flags win over the environment', () => {
    const s = engineSettings({ AOB_HANDLERS: 'env.js' }, '/w', {
      handlers: '/abs/flag.js',
      store: 'memory',
      allowPrivateNetwork: true,
    });
    expect(s).toMatchObject({
      handlersFile: '/abs/flag.js',
      store: 'memory',
      allowPrivateNetwork: true,
    });
  });
});

describe('engineSettings: llm, search and workspace from the environment', () => {
  it('reads the LLM endpoint, its key and model aliases, the search URL and the workspace', () => {
    const s = engineSettings(
      {
        AOB_LLM_BASE_URL: 'http://127.0.0.1:11434/v1',
        AOB_LLM_API_KEY: 'sk-test',
        AOB_LLM_MODELS: '{"fast":"llama3"}',
        AOB_SEARCH_URL: 'https://searx.example.org',
        AOB_WORKSPACE: 'ws',
      },
      '/w',
    );
    expect(s.llm).toEqual({
      baseUrl: 'http://127.0.0.1:11434/v1',
      apiKey: 'sk-test',
      models: { fast: 'llama3' },
    });
    expect(s.search).toEqual({ provider: 'searxng', baseUrl: 'https://searx.example.org' });
    expect(s.workspaceRoot).toBe(path.resolve('/w/ws'));
  });

  it('names every bad setting at once', () => {
    let caught: unknown;
    try {
      engineSettings(
        { AOB_LLM_API_KEY: 'k', AOB_LLM_MODELS: '[1]', AOB_SEARCH_URL: 'ftp://x' },
        '/w',
      );
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'BAD_CONFIG', exitCode: 2 });
    expect((caught as { problems: { path: string }[] }).problems.map((p) => p.path)).toEqual([
      '/env/AOB_LLM_BASE_URL',
      '/env/AOB_SEARCH_URL',
    ]);
  });

  it('rejects model aliases that are not a JSON object of strings', () => {
    expect(() =>
      engineSettings({ AOB_LLM_BASE_URL: 'http://x/v1', AOB_LLM_MODELS: '{"a":1}' }, '/w'),
    ).toThrow(/AOB_LLM_MODELS must be a JSON object/);
  });

  it('reads prices per model in US dollars per million tokens, refusing any other shape', () => {
    const prices = '{"fast":{"input":0.15,"output":0.6}}';
    expect(
      engineSettings({ AOB_LLM_BASE_URL: 'http://x/v1', AOB_LLM_PRICES: prices }, '/w').llm,
    ).toEqual({ baseUrl: 'http://x/v1', prices: { fast: { input: 0.15, output: 0.6 } } });
    for (const bad of ['{"a":{"input":1}}', '{"a":{"input":-1,"output":1}}', '[1]', 'x']) {
      expect(() =>
        engineSettings({ AOB_LLM_BASE_URL: 'http://x/v1', AOB_LLM_PRICES: bad }, '/w'),
      ).toThrow(/AOB_LLM_PRICES must be a JSON object/);
    }
  });
});

describe('defaultActor', () => {
  it('prefers $USER, then the OS account', () => {
    expect(defaultActor({ USER: 'alice' }, () => 'bob')).toBe('alice');
    expect(defaultActor({}, () => 'bob')).toBe('bob');
    expect(
      defaultActor({}, () => {
        throw new Error('no passwd entry');
      }),
    ).toBe('unknown');
  });
});
