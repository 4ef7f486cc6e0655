// The error catalogue (packages/core/src/error-codes.ts) against the source: every code the
// source throws, answers or records is catalogued, and every catalogued code is used by
// something other than the catalogue. The compiler already refuses `new AobError('X')`,
// `badInput('X')` and `problem(n, 'X')` for an X not catalogued; this scan also covers the
// places typed as plain strings (error data literals, code tables, the CLI's own errors).
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@aob/core';

const root = fileURLToPath(new URL('..', import.meta.url));
const CATALOGUE = 'packages/core/src/error-codes.ts';

/** The source files (tests and generated code excluded). */
function sources(): string[] {
  const listed = execFileSync(
    'git',
    ['ls-files', 'packages/*/src/**.ts', 'services/*/src/**.ts', 'cli/src/**.ts'],
    { cwd: root, encoding: 'utf8' },
  );
  return (
    listed
      .split('\n')
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('/generated/'))
      // Shared test suites (conformance) and test doubles throw codes of their own.
      .filter((f) => !/\/(testing|conformance)(\/|\.ts$)/.test(f) && f !== CATALOGUE)
  );
}

const CODE = `'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)'`;

// Where an error code is given: each pattern's first group is the code.
const THROWN: readonly RegExp[] = [
  new RegExp(`new AobError\\(\\s*${CODE}`, 'g'),
  new RegExp(`new CliError\\(\\s*${CODE}`, 'g'),
  new RegExp(`(?:badInput|unreachable)\\(\\s*${CODE}`, 'g'),
  new RegExp(`problem\\(\\s*\\d+,\\s*${CODE}`, 'g'),
  new RegExp(`toErrorData\\([^)]*?,\\s*${CODE}\\)`, 'g'),
  // An error chosen by a condition: `cond ? 'A' : 'B'` as the code.
  new RegExp(`\\?\\s*${CODE}\\s*:\\s*${CODE}`, 'g'),
  // Error data written as a literal: { code: 'X', message: … }.
  new RegExp(`\\{\\s*code:\\s*${CODE},\\s*message:`, 'g'),
  // Code tables: `SomethingErrorCode = { Name: 'X', … }`.
  new RegExp(`^\\s+[A-Z][A-Za-z]+:\\s*${CODE},\\s*$`, 'gm'),
];

function thrownCodes(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const file of sources()) {
    const text = readFileSync(`${root}/${file}`, 'utf8');
    const tables = /ErrorCode\s*=\s*\{/.test(text);
    THROWN.forEach((pattern, i) => {
      if (i === THROWN.length - 1 && !tables) return;
      for (const m of text.matchAll(pattern)) {
        for (const code of m.slice(1)) {
          if (code === undefined) continue;
          if (!found.has(code)) found.set(code, new Set());
          found.get(code)!.add(file);
        }
      }
    });
  }
  return found;
}

describe('the error catalogue', () => {
  it('holds every code the source throws', () => {
    const thrown = thrownCodes();
    expect(thrown.size).toBeGreaterThan(100); // the scan sees the source at all
    const missing = [...thrown]
      .filter(([code]) => !(code in ERROR_CODES))
      .map(([code, files]) => `${code} (${[...files].join(', ')})`);
    expect(missing, 'thrown but not in packages/core/src/error-codes.ts').toEqual([]);
  });

  it('holds no code that nothing uses', () => {
    const text = sources()
      .map((f) => readFileSync(`${root}/${f}`, 'utf8'))
      .join('\n');
    const unused = Object.keys(ERROR_CODES).filter((code) => !text.includes(`'${code}'`));
    expect(unused, 'catalogued but used nowhere: remove them').toEqual([]);
  });
});
