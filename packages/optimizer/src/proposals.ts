// What a pass answers, checked before anything is judged: a JSON array of
// { patch: [operations], rationale: string }. Anything else is OPTIMIZER_BAD_OUTPUT naming every
// problem; the operations themselves are the validator's to judge (a malformed one is a
// rejected proposal with its SCHEMA violation, not a broken pass).
import { AobError } from '@aob/core';

export interface PassProposal {
  ops: unknown[];
  rationale: string;
}

export function parseProposals(pass: string, text: string): PassProposal[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new AobError(
      'OPTIMIZER_BAD_OUTPUT',
      `pass ${pass}: the answer is not JSON (${(err as Error).message}): ${JSON.stringify(shown)}`,
    );
  }
  if (!Array.isArray(parsed)) {
    throw new AobError(
      'OPTIMIZER_BAD_OUTPUT',
      `pass ${pass}: the answer must be an array of { patch, rationale }, not ${describe(parsed)}`,
    );
  }
  const problems: string[] = [];
  const proposals: PassProposal[] = [];
  parsed.forEach((item: unknown, i) => {
    const p = item as { patch?: unknown; rationale?: unknown } | null;
    if (p === null || typeof p !== 'object' || Array.isArray(p)) {
      problems.push(`/${i}: must be an object { patch, rationale }, not ${describe(item)}`);
      return;
    }
    const extra = Object.keys(p).filter((k) => k !== 'patch' && k !== 'rationale');
    if (extra.length > 0)
      problems.push(
        `/${i}: unknown propert${extra.length === 1 ? 'y' : 'ies'} ${extra.join(', ')}`,
      );
    if (!Array.isArray(p.patch) || p.patch.length === 0) {
      problems.push(`/${i}/patch: must be a non-empty array of JSON Patch operations`);
    }
    if (typeof p.rationale !== 'string' || p.rationale.trim() === '') {
      problems.push(`/${i}/rationale: must be a non-empty string`);
    }
    if (Array.isArray(p.patch) && typeof p.rationale === 'string') {
      proposals.push({ ops: p.patch, rationale: p.rationale });
    }
  });
  if (problems.length > 0) {
    throw new AobError('OPTIMIZER_BAD_OUTPUT', `pass ${pass}: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return proposals;
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}
