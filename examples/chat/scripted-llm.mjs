#!/usr/bin/env node
// A scripted OpenAI-compatible model for trying `aob chat` with the chat example without a real
// one: it speaks the real wire protocol (streamed word by word, tool calls, usage) and plays a
// table-booking assistant from the conversation itself.
//
//   node examples/chat/scripted-llm.mjs [--port 8788]
//   AOB_LLM_BASE_URL=http://127.0.0.1:8788/v1 npx aob chat examples/chat/workflow.json
//
// Asked to book a table, it first asks the person (ask_user) for how many people, then confirms.
// Asked what was said before, it quotes the conversation it was given. GET /calls lists the
// requests it served.
import { parse, portArg, serveScripted, text } from '../scripted-llm/server.mjs';

function nextReply(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const task = messages
    .filter((m) => m.role === 'user')
    .map(text)
    .join('\n');
  const now = (/The person now says: (.*)$/s.exec(task)?.[1] ?? task).trim();
  const asked = messages.filter((m) => m.role === 'tool').map((m) => parse(text(m)) ?? text(m));
  if (/book/i.test(now)) {
    if (asked.length === 0) {
      return {
        toolCalls: [
          {
            name: 'ask_user',
            arguments: { question: 'For how many people?', choices: ['2', '4', '6'] },
          },
        ],
      };
    }
    const answer = asked[asked.length - 1];
    const people = typeof answer === 'object' && answer !== null ? answer.answer : answer;
    return { content: `Done: a table for ${people} people is booked for tonight at eight.` };
  }
  const before = /The conversation so far:\n([\s\S]*?)\n\nThe person now says/.exec(task)?.[1];
  if (before && /what did i/i.test(now)) {
    const first = before.split('\n').find((l) => l.startsWith('user: '));
    return { content: `You asked me: "${first?.slice('user: '.length) ?? ''}".` };
  }
  return { content: `You said: ${now}` };
}

serveScripted({ port: portArg(8788), nextReply, chunkDelayMs: 15 });
