// What the expression budget costs an ordinary expression. Each round evaluates the same set of
// everyday expressions (a node read, string functions, a $map over 100 items, an object
// constructor) through the engine's compileExpression, which evaluates under the budget, and
// through jsonata itself with empty bindings, which is how the engine evaluated before the
// budget. Rounds interleave the two so the machine's noise falls on both; medians are quoted.
import jsonata from 'jsonata';
import { compileExpression, toJsonValue } from '@aob/core';
import { fmt, median, parseArgs, progress, report } from './lib/harness.mjs';

const args = parseArgs(process.argv.slice(2), { rounds: 9, iterations: 20_000, json: false });

const items = Array.from({ length: 100 }, (_, i) => ({ id: i, name: `item-${i}`, price: i * 1.5 }));
const ctx = {
  inputs: { name: 'Ada Lovelace', ticketId: 'T-42', items },
  nodes: { classify: { output: { risk: 'high', score: 0.93, tags: ['billing', 'urgent'] } } },
};

const EXPRESSIONS = [
  '{% nodes.classify.output.risk %}',
  '{% nodes.classify.output.score > 0.5 and nodes.classify.output.risk = "high" %}',
  '{% $uppercase(inputs.name) & " / " & inputs.ticketId %}',
  '{% { "ticket": inputs.ticketId, "tags": nodes.classify.output.tags, "n": $count(inputs.items) } %}',
  '{% $sum(inputs.items.price) %}',
  '{% inputs.items[price > 100].name %}',
];

const body = (source) => /^\s*\{%([\s\S]*)%\}\s*$/.exec(source)[1];
const budgeted = EXPRESSIONS.map((s) => compileExpression(s));
const bare = EXPRESSIONS.map((s) => jsonata(body(s)));
const EMPTY = Object.freeze({});

function timeOne(evaluate) {
  const started = performance.now();
  for (let i = 0; i < args.iterations; i++) evaluate(i % EXPRESSIONS.length);
  return ((performance.now() - started) * 1e6) / args.iterations; // ns per evaluation
}

const runBudgeted = (i) => budgeted[i].evaluate(ctx);
// The engine's evaluation before the budget: jsonata in a fresh frame, then the JSON conversion.
const runBare = (i) => toJsonValue(bare[i].evaluate(ctx, EMPTY));

// Same answers, or the comparison means nothing.
for (let i = 0; i < EXPRESSIONS.length; i++) {
  const a = JSON.stringify(runBudgeted(i));
  const b = JSON.stringify(runBare(i));
  if (a !== b) throw new Error(`expression ${i}: ${a} under the budget, ${b} without`);
}

timeOne(runBudgeted); // warm-up
timeOne(runBare);
const withBudget = [];
const without = [];
for (let r = 0; r < args.rounds; r++) {
  progress(`round ${r + 1}/${args.rounds}`);
  if (r % 2 === 0) {
    withBudget.push(timeOne(runBudgeted));
    without.push(timeOne(runBare));
  } else {
    without.push(timeOne(runBare));
    withBudget.push(timeOne(runBudgeted));
  }
}
const result = {
  benchmark: 'expressions',
  expressions: EXPRESSIONS.length,
  iterations: args.iterations,
  rounds: args.rounds,
  budgetedNsMedian: median(withBudget),
  bareNsMedian: median(without),
  overhead: median(withBudget) / median(without) - 1,
};
report(args.json, result, [
  `ordinary expressions, median ns per evaluation over ${args.rounds} interleaved rounds:`,
  `  under the budget (compileExpression): ${fmt(result.budgetedNsMedian, 0)} ns`,
  `  bare jsonata, empty bindings (before): ${fmt(result.bareNsMedian, 0)} ns`,
  `  overhead: ${fmt(result.overhead * 100, 1)} %`,
]);
