// The S3 attempt ledger against the integration project's S3 server (s3proxy unless S3_ENDPOINT
// names another), each ledger under a fresh prefix.
import { randomBytes } from 'node:crypto';
import { attemptLedgerConformance } from './conformance/attempt-ledger.js';
import { S3AttemptLedger } from './s3-attempts.js';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: the integration project's global setup sets it`);
  return v;
}

attemptLedgerConformance(
  'S3',
  async (now) =>
    new S3AttemptLedger({
      endpoint: required('S3_ENDPOINT'),
      bucket: required('S3_BUCKET'),
      region: process.env.S3_REGION || 'us-east-1',
      prefix: `ledger-${randomBytes(4).toString('hex')}`,
      credentials: {
        accessKeyId: required('S3_ACCESS_KEY'),
        secretAccessKey: required('S3_SECRET_KEY'),
      },
      now,
    }),
);
