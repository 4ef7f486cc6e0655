// A request the server refused, said as it said it: its detail, then each problem it named that
// the detail does not already list (a BAD_ANSWER's detail lists its problems, one a line).
export function refusalText(err: unknown): string {
  const e = err as { detail?: string; errors?: { path: string; message: string }[] };
  if (e.detail === undefined) return String(err);
  const problems = (e.errors ?? []).map((p) => `${p.path || '/'}: ${p.message}`);
  const extra = problems.filter((p) => !e.detail!.includes(p));
  return [e.detail, ...extra].join('\n');
}
