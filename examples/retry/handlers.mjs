/** Fails on attempts 1 and 2 (a retryable error), succeeds on attempt 3. */
export function flaky(_input, ctx) {
  if (ctx.attempt < 3)
    throw Object.assign(new Error(`flaky failure on attempt ${ctx.attempt}`), { code: 'FLAKY' });
  return { attempts: ctx.attempt };
}
