// The bundle's entry for bin/run.js (scripts/bundle.mjs): oclif's `execute` and `settings`, from
// the same copy of oclif the bundled commands extend.
export { execute, settings } from '@oclif/core';
