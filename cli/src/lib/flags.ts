// Flag groups shared by several commands.
import { Flags } from '@oclif/core';

/** For commands that execute nodes in this process. */
export const engineFlags = {
  handlers: Flags.string({
    description: 'Module exporting task handlers (resolved from the current directory).',
    env: 'AOB_HANDLERS',
    helpGroup: 'ENGINE',
  }),
  'allow-private-network': Flags.boolean({
    description: 'Let http nodes reach private, loopback and link-local addresses.',
    default: false,
    helpGroup: 'ENGINE',
  }),
};

/** For commands that drive a run and wait for it. */
export const waitFlags = {
  detach: Flags.boolean({
    description: 'Return once the run is over or waits on a person (exit 4 while it waits).',
    default: false,
  }),
  timeout: Flags.integer({
    description: 'Stop waiting after this many milliseconds (exit 4 if the run is not over).',
    min: 0,
  }),
};
