// Writing to stdout and stderr. Every write is awaited so nothing is lost when the command exits
// right after it (process.exit does not wait for pending writes on every platform).

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    stream.write(text, () => resolve());
  });
}

/** Lines to stdout. */
export function out(lines: string | readonly string[]): Promise<void> {
  const text = typeof lines === 'string' ? lines : lines.join('\n');
  return write(process.stdout, `${text}\n`);
}

/** Lines to stderr (logs, hints, errors in text mode). */
export function err(lines: string | readonly string[]): Promise<void> {
  const text = typeof lines === 'string' ? lines : lines.join('\n');
  return write(process.stderr, `${text}\n`);
}

/** One JSON document to stdout: the only thing a --json command prints there. */
export function outJson(doc: unknown): Promise<void> {
  return write(process.stdout, `${JSON.stringify(doc, null, 2)}\n`);
}

/** One JSON line to stdout (streams). */
export function outJsonLine(doc: unknown): Promise<void> {
  return write(process.stdout, `${JSON.stringify(doc)}\n`);
}

/** Live progress is shown only to a person: stdout is a terminal and --json is off. */
export function stdoutIsTty(): boolean {
  return process.stdout.isTTY === true;
}
