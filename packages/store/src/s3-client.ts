// The S3 client the cluster's S3 adapters (content store, attempt ledger) build from options.
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Sdk } from './client-libraries.js';

export interface S3ClientOptions {
  /** The S3 endpoint, e.g. `http://127.0.0.1:9000`; omitted, the AWS endpoint of the region. */
  endpoint?: string;
  /** Default `us-east-1`. */
  region?: string;
  /** Omitted, the SDK's default credential chain (env, profile, instance role, …). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * Path-style URLs (`endpoint/bucket/key`), which MinIO, s3proxy and most non-AWS servers need;
   * false for virtual-hosted style (`bucket.endpoint/key`). Default true.
   */
  forcePathStyle?: boolean;
}

export function makeS3Client(options: S3ClientOptions): S3Client {
  return new (s3Sdk().S3Client)({
    ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
    region: options.region ?? 'us-east-1',
    forcePathStyle: options.forcePathStyle ?? true,
    ...(options.credentials !== undefined && { credentials: options.credentials }),
    // The SDK's default since 3.729 adds a CRC32 checksum header to every upload; s3proxy
    // (3.0.0) answers such a PutObject with 501 NotImplemented ("Unknown header
    // x-amz-checksum-crc32"), and so do other S3-compatible servers. The checksums add nothing
    // here: content keys are the sha256 of their bytes, verified on read, and ledger records are
    // small JSON documents whose writer reads nothing back but their presence.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A missing object: GetObject says NoSuchKey; HeadObject, having no body, only 404. */
export function isMissingObject(err: unknown): boolean {
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: unknown } } | null;
  if (e?.name === 'NoSuchKey' || e?.name === 'NotFound') return true;
  return e?.name !== 'NoSuchBucket' && e?.$metadata?.httpStatusCode === 404;
}
