// LangGraph.js with its PostgreSQL checkpointer (PostgresSaver on this machine's PostgreSQL:
// fsync on, synchronous_commit on) and durability "sync": each super-step's checkpoint is written
// before the next step starts. A chain is a StateGraph of `length` nodes in a line, START to END;
// a run is graph.invoke on a thread of its own. Fan-out is the map-reduce idiom of LangGraph's
// docs: a conditional edge from START returns `width` Send("work", …), each work node adds to a
// list through a reducer, and a join node runs once after all of them. Recovery: a new process
// invokes the graph with null input on the same thread_id, which resumes from the last checkpoint.
import { Annotation, END, START, Send, StateGraph } from '@langchain/langgraph';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';

export const durability =
  'PostgresSaver, durability "sync", fsync=on, synchronous_commit=on: each super-step checkpoint committed before the next';

const ChainState = Annotation.Root({ step: Annotation() });
const FanState = Annotation.Root({
  done: Annotation({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

function line(length, body) {
  const graph = new StateGraph(ChainState);
  for (let i = 1; i <= length; i++) graph.addNode(`s${i}`, (state, config) => body(i, config));
  graph.addEdge(START, 's1');
  for (let i = 1; i < length; i++) graph.addEdge(`s${i}`, `s${i + 1}`);
  graph.addEdge(`s${length}`, END);
  return graph;
}

export async function open({ db, onStep, recoveryStep }) {
  const checkpointer = PostgresSaver.fromConnString(db);
  await checkpointer.setup();
  const chains = new Map();
  const chainGraph = (length) => {
    if (!chains.has(length)) {
      const graph = line(length, (i) => {
        onStep();
        return { step: i };
      });
      chains.set(length, graph.compile({ checkpointer }));
    }
    return chains.get(length);
  };
  const fanouts = new Map();
  const fanoutGraph = (width) => {
    if (!fanouts.has(width)) {
      const graph = new StateGraph(FanState)
        .addNode('work', (item) => {
          onStep();
          return { done: [item.i] };
        })
        .addNode('join', () => {
          onStep();
          return {};
        })
        .addConditionalEdges(
          START,
          () => Array.from({ length: width }, (_, i) => new Send('work', { i })),
          ['work'],
        )
        .addEdge('work', 'join')
        .addEdge('join', END);
      fanouts.set(width, graph.compile({ checkpointer }));
    }
    return fanouts.get(width);
  };
  const recoveryGraph = (length) =>
    line(length, async (i, config) => {
      await recoveryStep(config.configurable.thread_id, `s${i}`);
      return { step: i };
    }).compile({ checkpointer });
  let thread = 0;
  const config = (threadId) => ({ configurable: { thread_id: threadId }, durability: 'sync' });
  const threadId = () => `t-${process.pid}-${++thread}`;
  return {
    run: async (length) => {
      await chainGraph(length).invoke({ step: 0 }, config(threadId()));
    },
    fanout: async (width) => {
      await fanoutGraph(width).invoke({ done: [] }, config(threadId()));
    },
    recoveryStart: (key, length) => recoveryGraph(length).invoke({ step: 0 }, config(key)),
    recoveryResume: (key, length) => recoveryGraph(length).invoke(null, config(key)),
    close: () => checkpointer.end(),
  };
}
