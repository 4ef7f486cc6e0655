// Where the built canvas is: the directory `aob dev` and the api service serve at /.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built app's directory, or undefined when the canvas has not been built. */
export function canvasRoot() {
  const dir = fileURLToPath(new URL('./dist/', import.meta.url));
  return existsSync(`${dir}index.html`) ? dir : undefined;
}
