import { Args, Flags } from '@oclif/core';

/** The arguments and flags `aob patch approve` and `aob patch reject` share. */
export const reviewArgs = {
  patchId: Args.string({ description: 'The held patch.', required: true }),
};

export const reviewFlags = {
  reason: Flags.string({ description: 'Why; recorded with the decision.' }),
  by: Flags.string({ description: 'Who decides (default: $USER).' }),
};
