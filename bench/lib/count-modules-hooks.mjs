// The module hooks of count-modules.mjs (they run on Node's hooks thread): every file: URL loaded
// is appended, as a path, to the file the preload passed in `data.out`.
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let out;

export function initialize(data) {
  out = data.out;
}

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:')) appendFileSync(out, `${fileURLToPath(url)}\n`);
  return nextLoad(url, context);
}
