// The S3 server of the integration tests. With S3_ENDPOINT set (MinIO from docker-compose, a
// real bucket, …) that server is used as it is, with S3_ACCESS_KEY, S3_SECRET_KEY and S3_BUCKET
// as given; otherwise a private s3proxy is fetched from Maven Central, started, and given a bucket.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { StartedService } from './global-setup.js';
import { launchS3Proxy } from './s3proxy/launcher.js';

const REGION = 'us-east-1';
const BUCKET = 'aob-test';

export async function start(): Promise<StartedService> {
  const given = process.env.S3_ENDPOINT;
  if (given) return useGiven(given);

  const proxy = await launchS3Proxy();
  try {
    const client = new S3Client({
      endpoint: proxy.endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: proxy.accessKey, secretAccessKey: proxy.secretKey },
    });
    try {
      await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    } finally {
      client.destroy();
    }
  } catch (err) {
    await proxy.stop();
    throw err;
  }
  return {
    name: 's3',
    env: {
      S3_ENDPOINT: proxy.endpoint,
      S3_ACCESS_KEY: proxy.accessKey,
      S3_SECRET_KEY: proxy.secretKey,
      S3_BUCKET: BUCKET,
      S3_REGION: REGION,
    },
    stop: proxy.stop,
  };
}

function useGiven(endpoint: string): StartedService {
  const missing = ['S3_ACCESS_KEY', 'S3_SECRET_KEY', 'S3_BUCKET'].filter((k) => !process.env[k]);
  if (missing.length > 0) {
    throw new Error(`S3_ENDPOINT is set (${endpoint}) but ${missing.join(', ')} not`);
  }
  process.stderr.write(`[s3] using the S3 server at ${endpoint}\n`);
  return {
    name: 's3',
    env: {
      S3_ENDPOINT: endpoint,
      S3_ACCESS_KEY: process.env.S3_ACCESS_KEY as string,
      S3_SECRET_KEY: process.env.S3_SECRET_KEY as string,
      S3_BUCKET: process.env.S3_BUCKET as string,
      S3_REGION: process.env.S3_REGION || REGION,
    },
    stop: async () => {},
  };
}
