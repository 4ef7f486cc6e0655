import { Args, Flags } from '@oclif/core';
import { answerFromText } from '../lib/chat-session.js';
import { DrivingCommand } from '../lib/driving.js';
import { badInput } from '../lib/errors.js';
import { readTextFile } from '../lib/files.js';
import { engineFlags } from '../lib/flags.js';
import { formatGlimpse } from '../lib/render.js';

export default class Answer extends DrivingCommand<typeof Answer> {
  static override summary = 'Answer a question a run put to people (an ask node, an agent).';
  static override description = `Gives the answer to an open question (list them with: aob questions list). The answer is the text argument, or JSON read from --file (a path, or - for stdin).

How the text is read: the question is fetched first. When it has choices, the text is parsed as JSON and that value is the answer if it is one of the choices (so 4 answers the number 4 and true the boolean true when those are choices); otherwise the text itself, as a string. When it has a JSON Schema and no choices, the text is parsed as JSON if it parses ({"seats": 4}, 12, "quoted"), else the text itself is the answer, as a string. Without choices or schema the text is always the string. Either way the server (or locally the engine) checks the answer against the choices and the schema and refuses it with every problem (exit 2, BAD_ANSWER); nothing is recorded then.

Locally, when no live process drives the run, this command drives it until it is over or waits on a person again, and exits as run start does (0 completed, 1 failed or cancelled, 4 waiting); otherwise (and always on a server, where the cluster carries the run on, and only an askee may answer) it exits 0 once the answer is recorded. Exit 2: unknown question (QUESTION_NOT_FOUND), already answered or closed (QUESTION_CLOSED), a bad answer (BAD_ANSWER), or not one of its askees (FORBIDDEN).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> qst_01J… yes',
    '<%= config.bin %> <%= command.id %> qst_01J… 4',
    `<%= config.bin %> <%= command.id %> qst_01J… '{"seats": 4, "time": "19:30"}'`,
    'echo \'{"seats": 4}\' | <%= config.bin %> <%= command.id %> qst_01J… --file -',
  ];

  static override args = {
    questionId: Args.string({ description: 'The open question.', required: true }),
    text: Args.string({ description: 'The answer, as text (see how it is read above).' }),
  };

  static override flags = {
    file: Flags.string({
      description: 'Read the answer as JSON from this file (- for stdin) instead of the text.',
    }),
    by: Flags.string({
      description: 'Who answers (default: $USER). Local only: a server takes it from the token.',
    }),
    ...engineFlags,
  };

  protected async perform(): Promise<number> {
    const { args, flags } = this;
    if ((args.text === undefined) === (flags.file === undefined)) {
      throw badInput(
        'BAD_ARGUMENTS',
        args.text === undefined
          ? 'give the answer: as text (aob answer <questionId> <text>) or as JSON with --file FILE|-'
          : 'give the answer once: as text or with --file, not both',
      );
    }
    const backend = await this.backend({
      handlers: flags.handlers,
      allowPrivateNetwork: flags['allow-private-network'],
    });
    let answer: unknown;
    if (flags.file !== undefined) {
      answer = parseJson(
        flags.file === '-' ? await readStdin() : await readTextFile(flags.file, 'the answer'),
        flags.file === '-' ? 'stdin' : flags.file,
      );
    } else {
      const question = await backend.question(args.questionId);
      answer = answerFromText(args.text!, question);
    }
    this.attachTimeline(backend);
    const { runId, drivenHere, by } = await backend.answer(args.questionId, answer, {
      ...(flags.by !== undefined ? { by: flags.by } : {}),
    });
    const head = `question ${args.questionId} answered by ${by}: ${formatGlimpse(answer, 120)}`;
    const outcome = { questionId: args.questionId, answer, by, runId, drivenHere };
    return this.carryOn(backend, { runId, drivenHere }, head, outcome);
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw badInput('JSON', `the answer in ${where} is not valid JSON: ${(e as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
