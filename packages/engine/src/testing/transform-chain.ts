/**
 * A workflow of `n` transforms in a row (`a` → `b` → …): n node executions and nothing else, for
 * tests that count executions (node budgets). Needs no handler, model or network.
 */
export function transformChain(n: number, name = 'chain') {
  const ids = Array.from({ length: n }, (_, i) => String.fromCharCode(97 + i));
  return {
    name,
    version: '1',
    nodes: ids.map((id) => ({ id, type: 'transform', with: { value: id } })),
    edges: ids.slice(1).map((to, i) => ({ from: ids[i]!, to })),
  };
}
