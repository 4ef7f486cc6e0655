import { Flags } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { isoTime } from '../../lib/json.js';
import { out, outJson } from '../../lib/output.js';
import { table } from '../../lib/render.js';
import { openTokenAdmin } from '../../lib/token-admin.js';

export default class TokenList extends AobCommand<typeof TokenList> {
  static override summary = 'List API tokens (never the tokens themselves: only their ids).';
  static override description = `Where, as for token create: the server (AOB_SERVER, an admin token), PostgreSQL (--database-url), or the local store.`;
  static override examples = ['<%= config.bin %> <%= command.id %> --json'];

  static override flags = {
    'database-url': Flags.string({
      description: 'Read this PostgreSQL directly (default AOB_DATABASE_URL without AOB_SERVER).',
    }),
  };

  protected async perform(): Promise<number> {
    const admin = await openTokenAdmin(process.env, {
      ...(this.flags['database-url'] !== undefined
        ? { databaseUrl: this.flags['database-url'] }
        : {}),
      cwd: process.cwd(),
      actor: this.defaultActor(),
    });
    try {
      const tokens = await admin.list();
      if (this.jsonMode) {
        await outJson(tokens);
      } else if (tokens.length === 0) {
        await out(`no tokens in ${admin.where}`);
      } else {
        const when = (t: number | string | undefined) =>
          t === undefined ? '' : typeof t === 'number' ? isoTime(t) : t;
        await out(
          table(
            tokens.map((t) => [
              t.tokenId,
              t.subject,
              t.role,
              t.namespace,
              t.groups.join(','),
              when(t.createdAt),
              t.revokedAt !== undefined ? `revoked ${when(t.revokedAt)}` : 'live',
            ]),
            ['TOKEN', 'SUBJECT', 'ROLE', 'NAMESPACE', 'GROUPS', 'CREATED', 'STATE'],
          ),
        );
      }
      return ExitCode.Ok;
    } finally {
      await admin.close();
    }
  }
}
