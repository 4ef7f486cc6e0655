// AobErrors as gRPC statuses: the status by code, the aob code and every problem in the trailers
// (JSON in `aob-error`, printable ASCII whatever the message; ErrorDetail in `aob-error-bin`).
import { describe, expect, it } from 'vitest';
import { fromBinary } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { AobError, ValidationError } from '@aob/core';
import { ErrorDetailSchema } from '../generated/aob/v1/common_pb.js';
import { Validator } from '../generated/aob/v1/validator_pb.js';
import { aobErrorMapper, errorDetailOf, grpcStatusOf } from './errors.js';
import { RpcError } from './server.js';

const method = Validator.method.validatePatch;

describe('grpcStatusOf', () => {
  it.each([
    ['UNAUTHENTICATED', status.UNAUTHENTICATED],
    ['FORBIDDEN', status.PERMISSION_DENIED],
    ['NOT_A_REVIEWER', status.PERMISSION_DENIED],
    ['RUN_NOT_FOUND', status.NOT_FOUND],
    ['TICKET_NOT_FOUND', status.NOT_FOUND],
    ['VALIDATION', status.INVALID_ARGUMENT],
    ['BAD_FLAG', status.INVALID_ARGUMENT],
    ['TICKET_DECIDED', status.FAILED_PRECONDITION],
    ['RUN_OVER', status.FAILED_PRECONDITION],
    ['WORKFLOW_EXISTS', status.ALREADY_EXISTS],
    ['SEQ_CONFLICT', status.ABORTED],
    ['DECISION_PENDING', status.UNAVAILABLE],
    ['TOO_SLOW', status.RESOURCE_EXHAUSTED],
    ['SOMETHING_ELSE', status.INTERNAL],
  ])('%s → %s', (code, expected) => {
    expect(grpcStatusOf(code)).toBe(expected);
  });

  it('an unknown retryable error is UNAVAILABLE', () => {
    expect(grpcStatusOf('STORE_UNAVAILABLE', true)).toBe(status.UNAVAILABLE);
  });
});

describe('aobErrorMapper', () => {
  it('carries every problem of a ValidationError, readable from JSON and binary trailers', () => {
    const problems = [
      { code: 'SCHEMA', path: '/a', message: 'must be a string — not “42”' },
      { code: 'BAD_LIMIT', path: '/limit', message: 'must be 1 to 500' },
    ];
    const mapped = aobErrorMapper(new ValidationError(problems, 'request'), method);
    expect(mapped.code).toBe(status.INVALID_ARGUMENT);
    const json = mapped.metadata!.get('aob-error')[0] as string;
    expect(json).toMatch(/^[\x20-\x7e]*$/);
    expect(errorDetailOf({ metadata: mapped.metadata })).toEqual({
      code: 'VALIDATION',
      message: expect.stringContaining('2 problems'),
      problems,
    });
    const bin = fromBinary(ErrorDetailSchema, mapped.metadata!.get('aob-error-bin')[0] as Buffer);
    expect(bin.problems.map((p) => p.message)).toEqual(problems.map((p) => p.message));
  });

  it('passes RpcErrors through and names the method of anything else', () => {
    expect(aobErrorMapper(new RpcError(status.NOT_FOUND, 'gone'), method)).toMatchObject({
      code: status.NOT_FOUND,
      details: 'gone',
    });
    expect(aobErrorMapper(new TypeError('x is undefined'), method)).toEqual({
      code: status.INTERNAL,
      details: 'aob.v1.Validator/ValidatePatch: x is undefined',
    });
    expect(aobErrorMapper(new AobError('RUN_OVER', 'run r is over'), method)).toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: 'run r is over',
    });
  });
});
