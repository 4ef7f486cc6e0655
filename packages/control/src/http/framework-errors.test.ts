import fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { frameworkProblem } from './framework-errors.js';
import { jsonDepth, parseJsonBody } from './json-body.js';

/** fastify's error classes, each made as fastify would raise it. */
const codes = Object.entries(fastify.errorCodes) as [string, new (...a: unknown[]) => Error][];

describe('frameworkProblem', () => {
  it(`answers every one of fastify's ${codes.length} error codes with a problem of this API`, () => {
    expect(codes.length).toBeGreaterThan(50);
    for (const [name, Make] of codes) {
      const body = frameworkProblem(new Make('a', 'b', 'c'));
      expect(body.code, name).toMatch(/^[A-Z][A-Z_]+$/);
      expect(body.code, name).not.toMatch(/^FST_/);
      expect(body.detail, name).not.toContain('FST_');
      expect(body.status, name).toBeGreaterThanOrEqual(400);
    }
  });

  it('gives the errors a client causes a 4xx status and a code that names them', () => {
    const status = (name: keyof typeof fastify.errorCodes) =>
      frameworkProblem(new (fastify.errorCodes[name] as new () => Error)());
    expect(status('FST_ERR_BAD_URL')).toMatchObject({ status: 400, code: 'BAD_URL' });
    expect(status('FST_ERR_MAX_PARAM_LENGTH')).toMatchObject({
      status: 414,
      code: 'PARAM_TOO_LONG',
    });
    expect(status('FST_ERR_CTP_BODY_TOO_LARGE')).toMatchObject({ status: 413 });
    expect(status('FST_ERR_CTP_INVALID_MEDIA_TYPE')).toMatchObject({ status: 415 });
    expect(status('FST_ERR_CTP_INVALID_JSON_BODY')).toMatchObject({ code: 'MALFORMED_JSON' });
    expect(status('FST_ERR_DUPLICATED_ROUTE')).toMatchObject({ status: 500, code: 'INTERNAL' });
  });
});

describe('parseJsonBody', () => {
  it('measures nesting without recursion, ignoring brackets in strings', () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[["}]}')).toBe(3);
    expect(jsonDepth('"\\"[["')).toBe(0);
    expect(jsonDepth('['.repeat(100_000) + ']'.repeat(100_000))).toBe(100_000);
  });

  it('refuses deep nesting, Infinity, malformed and empty bodies with a named problem', () => {
    const deep = parseJsonBody('{"x":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}');
    expect(deep).toMatchObject({ problem: { status: 400, code: 'TOO_DEEP' } });
    const huge = parseJsonBody('{"inputs":{"x":1e400,"y":-1e999}}');
    expect(huge).toMatchObject({
      problem: {
        code: 'NOT_FINITE',
        errors: [
          { code: 'NOT_FINITE', path: 'body/x' },
          { code: 'NOT_FINITE', path: 'body/y' },
        ],
      },
    });
    expect(parseJsonBody('{bad')).toMatchObject({ problem: { code: 'MALFORMED_JSON' } });
    expect(parseJsonBody('  ')).toMatchObject({ problem: { code: 'EMPTY_BODY' } });
    expect(parseJsonBody('{"a":[1e300]}')).toEqual({ value: { a: [1e300] } });
  });
});
