// Libraries that only some of what @aob/engine offers needs, loaded when first used rather than
// when the package is imported: a process pays for what it runs, not for everything the index
// exports (the CLI's `aob run start` never validates an llm node's output or writes a service
// log). ajv checks llm output and question answers (the engine's own copy: core's is not shared
// across workspaces), pino writes the services' log, openai serves llm and agent nodes.
//
// ajv and pino are CommonJS: `require` returns the module object an `import` would, at once, so
// their callers stay synchronous. openai is ESM (the agent frameworks import its ESM build, and its
// errors are told apart with instanceof), so it is imported, once, asynchronously.
import { createRequire } from 'node:module';
import type * as Ajv2020Module from 'ajv/dist/2020.js';
import type pino from 'pino';
import type * as OpenAIModule from 'openai';

const require = createRequire(import.meta.url);

export function ajv2020(): typeof Ajv2020Module {
  return require('ajv/dist/2020.js') as typeof Ajv2020Module;
}

export function pinoLibrary(): typeof pino {
  return require('pino') as typeof pino;
}

let openai: Promise<typeof OpenAIModule> | undefined;
let openaiLoaded: typeof OpenAIModule | undefined;

export function loadOpenAI(): Promise<typeof OpenAIModule> {
  openai ??= import('openai').then((module) => (openaiLoaded = module));
  return openai;
}

/** The openai module if something has loaded it: an error cannot be one of its classes before. */
export function openAIIfLoaded(): typeof OpenAIModule | undefined {
  return openaiLoaded;
}
