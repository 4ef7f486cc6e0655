import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { badInput } from './errors.js';

/** Reads a file named on the command line; a missing or unreadable file is bad input (exit 2). */
export async function readTextFile(file: string, what: string): Promise<string> {
  const abs = path.resolve(process.cwd(), file);
  try {
    return await readFile(abs, 'utf8');
  } catch (e) {
    const reason =
      (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw badInput('FILE_NOT_FOUND', `${what}: cannot read ${file}: ${reason}`);
  }
}

/** Reads and parses a JSON file named on the command line. */
export async function readJsonFile(file: string, what: string): Promise<unknown> {
  const text = await readTextFile(file, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw badInput('JSON', `${what}: ${file} is not valid JSON: ${(e as Error).message}`);
  }
}
