// Token deltas of running nodes as whole lines for a terminal: a line is printed once it is
// complete, and what is left of a node's reply when the node finishes.

export class DeltaLines {
  private readonly partial = new Map<string, string>();

  /** The complete lines this delta finishes, formatted. */
  push(nodeId: string, delta: string, prefix = ''): string[] {
    const text = (this.partial.get(nodeId) ?? '') + delta;
    const cut = text.lastIndexOf('\n');
    this.partial.set(nodeId, text.slice(cut + 1));
    return cut < 0
      ? []
      : text
          .slice(0, cut)
          .split('\n')
          .map((l) => format(nodeId, l, prefix));
  }

  /** The unfinished line of a node, if any (call when the node's next event arrives). */
  flush(nodeId: string, prefix = ''): string[] {
    const rest = this.partial.get(nodeId);
    this.partial.delete(nodeId);
    return rest ? [format(nodeId, rest, prefix)] : [];
  }
}

const format = (nodeId: string, line: string, prefix: string) => `${prefix}  ${nodeId} ▸ ${line}`;
