import { Flags } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { err, out, outJson } from '../../lib/output.js';
import { openTokenAdmin } from '../../lib/token-admin.js';
import { ROLES } from '../../lib/tokens.js';

export default class TokenCreate extends AobCommand<typeof TokenCreate> {
  static override summary = 'Create an API token; it is printed once.';
  static override description = `With AOB_SERVER set, the server creates it (an admin token in AOB_TOKEN; the new token gets the admin's namespace). With --database-url (or AOB_DATABASE_URL and no AOB_SERVER) it is written straight into that PostgreSQL: how the first admin token of a fresh cluster is made. Otherwise it goes into the local store under AOB_HOME, which aob dev serves. Only the token's sha256 is stored: keep the printed token, it cannot be shown again.

Roles: viewer (reads) < operator (starts, cancels, proposes patches) < approver (decides tickets and patches) < admin (tokens, reassignments); agent reads and proposes patches, never decides.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --role approver --subject alice --groups finance,ops',
    'AOB_DATABASE_URL=postgres://… <%= config.bin %> <%= command.id %> --role admin --subject root --json',
  ];

  static override flags = {
    role: Flags.option({ description: 'What the token may do.', options: ROLES, required: true })(),
    subject: Flags.string({
      description: 'Who the token speaks for (a person, service or agent).',
      required: true,
    }),
    groups: Flags.string({ description: 'Comma-separated approver groups of the subject.' }),
    namespace: Flags.string({
      description: 'The namespace the token sees (direct store access only; default "default").',
    }),
    'database-url': Flags.string({
      description:
        'Write into this PostgreSQL directly (bootstrap; default AOB_DATABASE_URL without AOB_SERVER).',
    }),
  };

  protected async perform(): Promise<number> {
    const { flags } = this;
    const groups = (flags.groups ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g !== '');
    const admin = await openTokenAdmin(process.env, {
      ...(flags['database-url'] !== undefined ? { databaseUrl: flags['database-url'] } : {}),
      cwd: process.cwd(),
      actor: this.defaultActor(),
    });
    try {
      const created = await admin.create({
        subject: flags.subject,
        role: flags.role,
        groups,
        ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
      });
      if (this.jsonMode) {
        await outJson(created);
      } else {
        await out(created.token);
        await err(
          `token ${created.tokenId} for ${created.subject} (role ${created.role}, namespace ${created.namespace}${created.groups.length > 0 ? `, groups ${created.groups.join(',')}` : ''}) in ${admin.where}; shown this once`,
        );
      }
      return ExitCode.Ok;
    } finally {
      await admin.close();
    }
  }
}
