// Dedicated connections for blocking reads: a blocked XREADGROUP holds its connection, so each
// concurrent blocking read takes its own duplicate of the main client and gives it back after.
import type { Redis } from 'ioredis';

export class BlockingConnections {
  private readonly idle: Redis[] = [];
  private readonly all = new Set<Redis>();
  private closed = false;

  constructor(private readonly main: Redis) {}

  acquire(): Redis {
    const conn = this.idle.pop() ?? this.main.duplicate();
    this.all.add(conn);
    return conn;
  }

  release(conn: Redis): void {
    if (this.closed) conn.disconnect();
    else this.idle.push(conn);
  }

  /** Disconnects every connection; blocked commands on them reject. */
  close(): void {
    this.closed = true;
    for (const conn of this.all) conn.disconnect();
    this.all.clear();
    this.idle.length = 0;
  }
}
