import { AobCommand } from '../lib/base.js';
import { badInput } from '../lib/errors.js';
import { ExitCode } from '../lib/exit-codes.js';
import { out, outJson } from '../lib/output.js';
import type { RemoteBackend } from '../lib/remote-backend.js';

export default class WhoAmI extends AobCommand<typeof WhoAmI> {
  static override summary =
    'Show who the server takes AOB_TOKEN for: subject, role, namespace, groups.';
  static override description = `Server mode only (AOB_SERVER, AOB_TOKEN): locally every command acts as $USER. Exit 2 when the server refuses the token, 3 when it cannot be reached.`;
  static override examples = ['<%= config.bin %> <%= command.id %> --json'];

  protected async perform(): Promise<number> {
    if (this.backendChoice().mode === 'local') {
      throw badInput(
        'SERVER_ONLY',
        'aob whoami asks a server who AOB_TOKEN is (set AOB_SERVER and AOB_TOKEN); locally, commands act as $USER',
      );
    }
    const backend = (await this.backend()) as RemoteBackend;
    const me = await backend.whoami();
    if (this.jsonMode) await outJson(me);
    else
      await out(
        `${me.subject}  role ${me.role}  namespace ${me.namespace}${me.groups.length > 0 ? `  groups ${me.groups.join(',')}` : ''}  (token ${me.tokenId})`,
      );
    return ExitCode.Ok;
  }
}
