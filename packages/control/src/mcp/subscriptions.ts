// Resource subscriptions. The SDK's high-level server does not keep them, and the control plane
// has no push for every topology (the cluster's api hears of events through the fanout service),
// so a session polls what it subscribed to — only while it has subscriptions — and sends
// `notifications/resources/updated` when a run's log grows or a draft's revision or focus moves.
// Polling reads through the control plane with the caller's principal, so a subscription sees no
// more than a read would; when the caller's token stops being valid, every subscription ends.
import type { ControlPlane } from '../control-plane.js';
import type { Principal } from '../auth/index.js';
import { asMcpError, resourceTarget } from './resources.js';

export const POLL_MS = 500;

export interface SubscriptionOptions {
  plane: ControlPlane;
  principal: () => Principal;
  /** Sends the update notification for a URI. */
  notify: (uri: string) => Promise<void>;
  /** Checked before each poll; false ends every subscription (a revoked or expired token). */
  stillValid?: () => Promise<boolean>;
  pollMs?: number;
}

export class Subscriptions {
  /** The version last seen of each subscribed URI. */
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(private readonly opts: SubscriptionOptions) {}

  /** Subscribes to a URI the caller may read now (else the read's error). */
  async subscribe(uri: string): Promise<void> {
    const version = await asMcpError(uri, () => this.versionOf(uri));
    this.seen.set(uri, version);
    this.timer ??= setInterval(() => void this.poll(), this.opts.pollMs ?? POLL_MS).unref();
  }

  unsubscribe(uri: string): void {
    this.seen.delete(uri);
    if (this.seen.size === 0) this.stop();
  }

  get uris(): string[] {
    return [...this.seen.keys()];
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.seen.clear();
  }

  private async poll(): Promise<void> {
    if (this.polling) return; // the last poll is still reading
    this.polling = true;
    try {
      if (this.opts.stillValid && !(await this.opts.stillValid())) return this.stop();
      for (const [uri, before] of [...this.seen]) {
        let now: string;
        try {
          now = await this.versionOf(uri);
        } catch {
          continue; // unreadable for now (a store hiccup): try again next time
        }
        if (!this.seen.has(uri) || now === before) continue;
        this.seen.set(uri, now);
        await this.opts.notify(uri).catch(() => undefined);
      }
    } finally {
      this.polling = false;
    }
  }

  /** A string that changes whenever the resource does. */
  private async versionOf(uri: string): Promise<string> {
    const target = resourceTarget(uri);
    const { plane } = this.opts;
    const principal = this.opts.principal();
    switch (target.kind) {
      case 'run':
      case 'events': {
        const from = Number(this.seen.get(uri)?.split(':')[0] ?? 0);
        const page = await plane.runEvents(principal, target.runId, {
          fromSeq: from + 1,
          limit: 5_000,
        });
        const last = page.items.length > 0 ? page.items[page.items.length - 1]!.seq : from;
        return `${last}:`;
      }
      case 'workflow':
        return (await plane.showWorkflow(principal, `${target.name}@${target.version}`)).irHash;
      case 'draft': {
        const draft = await plane.getDraft(principal, target.draftId);
        return `${draft.revision}:${draft.focus?.at ?? ''}`;
      }
    }
  }
}
