// What a typed answer means, as `aob answer <text>` reads it: a choice that is a number or a
// boolean when the text is its JSON; with a schema, the text's JSON when it parses; otherwise the
// text itself. The server checks the result against the choices and the schema.
import type { QuestionView } from '@aob/client';

export function answerFromText(text: string, q: Pick<QuestionView, 'choices' | 'schema'>): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  if (q.choices) return q.choices.some((c) => c === parsed) ? parsed : text;
  return q.schema ? parsed : text;
}
