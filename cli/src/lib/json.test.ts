import { describe, expect, it } from 'vitest';
import type { RunView } from '@aob/engine';
import {
  toApprovalsJson,
  toErrorJson,
  toRunJson,
  toRunListJson,
  toValidateJson,
  toWorkflowJson,
} from './json.js';

const base: RunView = {
  runId: 'r1',
  workflow: 'triage@3',
  irHash: 'sha256:0000',
  status: 'completed',
  output: { ok: true },
  nodes: { fetch: { status: 'succeeded', attempts: 2 } },
  startedAt: 1_700_000_000_000,
  endedAt: 1_700_000_001_000,
  usage: { promptTokens: 0, completionTokens: 0, tokens: 0, costUsd: 0, nodes: 1, unpriced: 0 },
};
const usage = { ...base.usage, wallMs: 1_000 };

describe('toRunJson', () => {
  it('keeps exactly the documented fields', () => {
    expect(toRunJson(base)).toEqual({
      runId: 'r1',
      status: 'completed',
      output: { ok: true },
      nodes: { fetch: { status: 'succeeded', attempts: 2 } },
      usage,
    });
    expect(Object.keys(toRunJson(base))).toEqual(['runId', 'status', 'output', 'nodes', 'usage']);
  });

  it('adds the budget and the limit crossed; wall time runs until now while the run runs', () => {
    const view: RunView = {
      ...base,
      status: 'failed',
      budget: { tokens: 100, onExceeded: 'fail' },
      budgetExceeded: { limit: 'tokens', budget: 100, used: 120 },
    };
    expect(toRunJson(view)).toMatchObject({
      budget: { tokens: 100, onExceeded: 'fail' },
      budgetExceeded: { limit: 'tokens', budget: 100, used: 120 },
    });
    const running: RunView = { ...base, status: 'running', endedAt: undefined };
    expect(toRunJson(running, base.startedAt + 2_500).usage.wallMs).toBe(2_500);
  });

  it('adds error, lineage and open tickets when present', () => {
    const view: RunView = {
      ...base,
      status: 'waiting',
      output: undefined,
      error: { code: 'X', message: 'y', retryable: false },
      replayOf: 'r0',
      fromNode: 'fetch',
      parentRunId: 'p',
      waitingOn: ['t1'],
    };
    expect(toRunJson(view)).toEqual({
      runId: 'r1',
      status: 'waiting',
      error: { code: 'X', message: 'y', retryable: false },
      nodes: { fetch: { status: 'succeeded', attempts: 2 } },
      parentRunId: 'p',
      replayOf: 'r0',
      fromNode: 'fetch',
      waitingOn: ['t1'],
      usage,
    });
  });

  it('keeps an output of null but drops an absent one', () => {
    expect(toRunJson({ ...base, output: null })).toHaveProperty('output', null);
    expect(toRunJson({ ...base, output: undefined })).not.toHaveProperty('output');
  });

  it('drops an empty waitingOn', () => {
    expect(toRunJson({ ...base, waitingOn: [] })).not.toHaveProperty('waitingOn');
  });

  it('strips extra node fields', () => {
    const view = { ...base, nodes: { a: { status: 'failed', attempts: 3, extra: 1 } } } as RunView;
    expect(toRunJson(view).nodes).toEqual({ a: { status: 'failed', attempts: 3 } });
  });
});

describe('list shapes', () => {
  it('prints run start times as ISO strings', () => {
    expect(
      toRunListJson([{ runId: 'r1', workflow: 'w@1', status: 'running', startedAt: 0 }]),
    ).toEqual([
      { runId: 'r1', workflow: 'w@1', status: 'running', startedAt: '1970-01-01T00:00:00.000Z' },
    ]);
  });

  it('shapes approval tickets', () => {
    expect(
      toApprovalsJson([
        {
          ticketId: 't',
          runId: 'r',
          nodeId: 'n',
          status: 'open',
          approvers: ['ops'],
          quorum: 1,
          dueAt: 5,
          approvals: [],
          escalated: false,
        },
      ]),
    ).toEqual([{ ticketId: 't', runId: 'r', nodeId: 'n', status: 'open', approvers: ['ops'] }]);
  });

  it('shapes workflows', () => {
    expect(toWorkflowJson({ name: 'w', version: '1', irHash: 'h', registeredAt: 0 })).toEqual({
      name: 'w',
      version: '1',
      irHash: 'h',
      registeredAt: '1970-01-01T00:00:00.000Z',
    });
  });
});

describe('toValidateJson', () => {
  it('lists every problem with code, path and message only', () => {
    const problems = [
      { code: 'SCHEMA', path: '/nodes/0', message: 'a', extra: 1 },
      { code: 'CYCLE', path: '/edges', message: 'b' },
    ];
    expect(toValidateJson({ valid: false, errors: problems })).toEqual({
      valid: false,
      errors: [
        { code: 'SCHEMA', path: '/nodes/0', message: 'a' },
        { code: 'CYCLE', path: '/edges', message: 'b' },
      ],
    });
  });

  it('is never valid with problems', () => {
    expect(
      toValidateJson({ valid: true, errors: [{ code: 'X', path: '', message: 'm' }] }).valid,
    ).toBe(false);
  });
});

describe('toErrorJson', () => {
  it('keeps the first line of the message and lists the problems apart', () => {
    const problems = [{ code: 'SCHEMA', path: '/a', message: 'm' }];
    expect(
      toErrorJson('VALIDATION', 'invalid definition: 1 problem\n  /a: m [SCHEMA]', problems),
    ).toEqual({
      error: { code: 'VALIDATION', message: 'invalid definition: 1 problem', problems },
    });
  });

  it('omits problems when there are none', () => {
    expect(toErrorJson('RUN_NOT_FOUND', 'run r9 not found')).toEqual({
      error: { code: 'RUN_NOT_FOUND', message: 'run r9 not found' },
    });
  });
});
