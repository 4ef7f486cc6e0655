import { Flags } from '@oclif/core';
import type { QuestionView } from '@aob/engine';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJson } from '../../lib/output.js';
import { formatDuration, table } from '../../lib/render.js';

export default class QuestionsList extends AobCommand<typeof QuestionsList> {
  static override summary = 'List open questions runs put to people (ask nodes, agents).';
  static override description = `A table of the open questions: id, run, node, the question, its choices, who may answer (askees; "approvers" when it names nobody: whoever may decide approvals in the namespace) and when it times out. --json prints the questions whole (with their JSON Schema, when they have one). On a server, --mine lists only those your token may answer; locally every question is yours (local mode is one user's), so --mine changes nothing. Answer one with: aob answer <questionId> <answer>.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --run run_01J… --json',
    '<%= config.bin %> <%= command.id %> --mine',
  ];

  static override flags = {
    run: Flags.string({ description: "Only this run's questions." }),
    mine: Flags.boolean({
      description: 'Only those you may answer (on a server: by your token).',
      default: false,
    }),
    all: Flags.boolean({
      description: 'Include questions already answered or closed.',
      default: false,
    }),
  };

  protected async perform(): Promise<number> {
    const backend = await this.backend();
    const questions = await backend.questions({
      ...(this.flags.run !== undefined ? { runId: this.flags.run } : {}),
      ...(this.flags.mine ? { mine: true } : {}),
      ...(this.flags.all ? { all: true } : {}),
    });
    if (this.jsonMode) {
      await outJson(questions);
    } else if (questions.length === 0) {
      await out(this.flags.all ? 'no questions' : 'no open questions');
    } else {
      const now = Date.now();
      const header = ['QUESTION', 'RUN', 'NODE', 'ASKS', 'CHOICES', 'ASKEES', 'DUE'];
      if (this.flags.all) header.push('STATUS');
      await out(
        table(
          questions.map((q) => [
            q.questionId,
            q.runId,
            q.iteration !== undefined ? `${q.nodeId}[${q.iteration}]` : q.nodeId,
            clip(q.question, 60),
            formatChoices(q),
            q.askees.length > 0 ? q.askees.join(',') : 'approvers',
            q.dueAt !== undefined ? `in ${formatDuration(Math.max(0, q.dueAt - now))}` : '',
            ...(this.flags.all ? [formatStatus(q)] : []),
          ]),
          header,
        ),
      );
    }
    return ExitCode.Ok;
  }
}

function formatChoices(q: QuestionView): string {
  if (q.choices) return q.choices.map((c) => JSON.stringify(c)).join(' | ');
  return q.schema ? 'JSON (schema)' : 'any text';
}

function formatStatus(q: QuestionView): string {
  if (!q.answered) return q.status;
  return `answered by ${q.answered.by}: ${clip(JSON.stringify(q.answered.answer) ?? '', 40)}`;
}

function clip(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
