import { Args, Flags } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJson } from '../../lib/output.js';
import { openTokenAdmin } from '../../lib/token-admin.js';

export default class TokenRevoke extends AobCommand<typeof TokenRevoke> {
  static override summary = 'Revoke an API token: it is refused from now on.';
  static override description = `Exit 0 when revoked, 2 when there is no live token with that id. Where, as for token create.`;
  static override examples = ['<%= config.bin %> <%= command.id %> tok_…'];

  static override args = {
    tokenId: Args.string({
      description: 'The token id (aob token list), not the token.',
      required: true,
    }),
  };

  static override flags = {
    'database-url': Flags.string({
      description:
        'Revoke in this PostgreSQL directly (default AOB_DATABASE_URL without AOB_SERVER).',
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
      await admin.revoke(this.args.tokenId);
      if (this.jsonMode) await outJson({ tokenId: this.args.tokenId, revoked: true });
      else await out(`revoked ${this.args.tokenId} in ${admin.where}`);
      return ExitCode.Ok;
    } finally {
      await admin.close();
    }
  }
}
