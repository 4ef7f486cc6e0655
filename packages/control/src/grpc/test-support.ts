// For the gRPC tests only (not exported by the package).
import type { ServiceError } from '@grpc/grpc-js';

/** The error a call that must fail failed with; a call that succeeds fails the test. */
export async function failure(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('the call succeeded');
}
