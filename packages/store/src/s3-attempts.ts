// The cluster's AttemptLedger, in the content store's bucket: under
// `<prefix>attempts/<run>/<node>/<item>/<attempt>/`, an `outcome` object once the attempt ended,
// and one `claims/<owner>` object per claimer, holding when the claim lapses.
//
// Mutual exclusion without conditional writes (s3proxy, and S3 before 2024, have none): a claimer
// writes its own claim object, then lists the attempt's objects, and goes ahead only if the list
// shows no outcome and every other claim it shows is read back as lapsed, and, when it read any,
// no outcome is there when it looks once more after those reads (an owner records its outcome
// before it withdraws its claim, so a claim withdrawn after the list has its outcome visible by
// then); otherwise it
// deletes its claim and reports what it saw. Why two claimers can never both go ahead (S3 reads and lists are strongly consistent):
// say A listed first. A's list did not show B's claim, so B wrote it after A listed, hence after
// A wrote its own; B's list then shows A's claim, which stays until A records the outcome (which
// B's list would show instead) or lapses (A stopped renewing: the process is gone or hung). Two
// claimers that see each other may both withdraw; they retry after a wait, so one goes ahead.
// The argument needs listings as consistent as reads (AWS S3 and MinIO give that); s3proxy's
// filesystem providers do not (a listing may leave out an object that exists while others are
// written and deleted beside it), and the conformance suite fails on them.
//
// Ledger objects are small and never read again once their run is over: a bucket lifecycle rule
// on the `attempts/` prefix (expire after some days) keeps them from accumulating.
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Sdk } from './client-libraries.js';
import type { AttemptKey, AttemptLedger, ClaimAnswer } from './attempts.js';
import { attemptPath } from './attempts.js';
import type { S3ClientOptions } from './s3-client.js';
import { isMissingObject, makeS3Client } from './s3-client.js';
import { storeClosed } from './errors.js';

export interface S3AttemptLedgerOptions extends S3ClientOptions {
  /** A client to use (and not destroy on close); otherwise one is made from the options. */
  client?: S3Client;
  bucket: string;
  /** Prepended to every key, as the content store's prefix; default none. */
  prefix?: string;
  now?: () => number;
}

interface ClaimRecord {
  owner: string;
  /** Epoch ms at which the claim lapses unless renewed. */
  until: number;
}

const OUTCOME = 'outcome';
const CLAIMS = 'claims/';

export class S3AttemptLedger implements AttemptLedger {
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly now: () => number;
  private closed = false;
  /** Claims of finished attempts being withdrawn (close waits for them). */
  private readonly withdrawing = new Set<Promise<unknown>>();

  constructor(options: S3AttemptLedgerOptions) {
    this.bucket = options.bucket;
    const prefix = options.prefix ?? '';
    this.prefix = `${prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`}attempts/`;
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? makeS3Client(options);
    this.now = options.now ?? Date.now;
  }

  async claim(key: AttemptKey, owner: string, ttlMs: number): Promise<ClaimAnswer> {
    this.assertOpen();
    const base = this.base(key);
    const mine = base + CLAIMS + encodeURIComponent(owner);
    await this.putClaim(mine, owner, ttlMs);
    for (;;) {
      const keys = await this.list(base);
      if (keys.includes(base + OUTCOME)) {
        const outcome = await this.read(base + OUTCOME);
        await this.remove(mine);
        if (outcome !== undefined) return { kind: 'finished', outcome };
        continue; // unreachable in practice: outcomes are never deleted
      }
      const others = keys.filter((k) => k.startsWith(base + CLAIMS) && k !== mine);
      const now = this.now();
      const live: string[] = [];
      let vanished = false;
      for (const k of others) {
        const record = (await this.read(k)) as ClaimRecord | undefined;
        if (!record) vanished = true;
        else if (record.until > now) live.push(record.owner);
      }
      if (live.length > 0) {
        await this.remove(mine);
        return { kind: 'busy', owners: live };
      }
      // A claim listed and gone when read: its owner finished or let go; look again.
      if (vanished) continue;
      // The list showed no other claim: nobody held the attempt when it was taken, and whoever
      // claims from now on lists this claim and waits. No outcome can have come since.
      if (others.length === 0) return { kind: 'claimed' };
      // The claims were read after the list: one withdrawn meanwhile may have been withdrawn by
      // an owner that finished, and an owner records the outcome before it withdraws. So the
      // outcome is looked for once more, after every claim was read.
      const outcome = await this.read(base + OUTCOME);
      if (outcome !== undefined) {
        await this.remove(mine);
        return { kind: 'finished', outcome };
      }
      return { kind: 'claimed' };
    }
  }

  async renew(key: AttemptKey, owner: string, ttlMs: number): Promise<void> {
    this.assertOpen();
    await this.putClaim(this.base(key) + CLAIMS + encodeURIComponent(owner), owner, ttlMs);
  }

  /**
   * The outcome is recorded before this resolves; the claim is withdrawn after, off the caller's
   * path (a claim beside an outcome changes nothing: every claimer reads the outcome first). If
   * the withdrawal fails, or the process dies before it, the claim lapses as any other would.
   */
  async finish(key: AttemptKey, owner: string, outcome: unknown): Promise<void> {
    this.assertOpen();
    const base = this.base(key);
    await this.put(base + OUTCOME, JSON.stringify(outcome));
    const withdrawal = this.remove(base + CLAIMS + encodeURIComponent(owner))
      .catch(() => undefined)
      .finally(() => this.withdrawing.delete(withdrawal));
    this.withdrawing.add(withdrawal);
  }

  async release(key: AttemptKey, owner: string): Promise<void> {
    this.assertOpen();
    await this.remove(this.base(key) + CLAIMS + encodeURIComponent(owner));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.withdrawing]);
    if (this.ownsClient) this.client.destroy();
  }

  private base(key: AttemptKey): string {
    return `${this.prefix}${attemptPath(key)}/`;
  }

  private putClaim(objectKey: string, owner: string, ttlMs: number): Promise<void> {
    const record: ClaimRecord = { owner, until: this.now() + ttlMs };
    return this.put(objectKey, JSON.stringify(record));
  }

  private async put(objectKey: string, text: string): Promise<void> {
    const body = new TextEncoder().encode(text);
    await this.client.send(
      new (s3Sdk().PutObjectCommand)({
        Bucket: this.bucket,
        Key: objectKey,
        Body: body,
        ContentLength: body.length,
        ContentType: 'application/json',
      }),
    );
  }

  /** The object's JSON, or undefined if it is gone. */
  private async read(objectKey: string): Promise<unknown> {
    try {
      const object = await this.client.send(
        new (s3Sdk().GetObjectCommand)({ Bucket: this.bucket, Key: objectKey }),
      );
      return JSON.parse((await object.Body?.transformToString()) ?? 'null') as unknown;
    } catch (err) {
      if (isMissingObject(err)) return undefined;
      throw err;
    }
  }

  private async list(base: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new (s3Sdk().ListObjectsV2Command)({
          Bucket: this.bucket,
          Prefix: base,
          ...(token !== undefined ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys;
  }

  private async remove(objectKey: string): Promise<void> {
    await this.client.send(
      new (s3Sdk().DeleteObjectCommand)({ Bucket: this.bucket, Key: objectKey }),
    );
  }

  private assertOpen(): void {
    if (this.closed) throw storeClosed();
  }
}
