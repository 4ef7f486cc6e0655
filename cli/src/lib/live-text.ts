// Token deltas of running nodes written to a terminal as they arrive, not held back until a
// line is complete. A node's text runs on a line that starts with its label (`  write ▸ `);
// whatever else is printed meanwhile (an event line, another node's text) first ends that line,
// and the node's next delta starts a new labelled one.

export class LiveText {
  /** The key whose line is open on the terminal (no newline written after its text yet). */
  private open: string | undefined;

  constructor(private readonly write: (text: string) => void) {}

  /** Writes `text` of `key` at once; `label` leads each of its lines. */
  delta(key: string, label: string, text: string): void {
    if (text === '') return;
    if (this.open !== key) {
      this.breakLine();
      this.write(label);
      this.open = key;
    }
    const parts = text.split('\n');
    this.write(parts[0]!);
    for (let i = 1; i < parts.length; i++) {
      this.write('\n');
      const last = i === parts.length - 1;
      if (last && parts[i] === '') {
        this.open = undefined; // the text ended its line; the next delta opens a labelled one
        return;
      }
      this.write(label + parts[i]!);
    }
  }

  /** Ends the open line, if any, so that other output starts on a line of its own. */
  breakLine(): void {
    if (this.open === undefined) return;
    this.write('\n');
    this.open = undefined;
  }
}
