// `aob --version` is answered before oclif loads (bin/version.js): the same line oclif prints, in
// a fraction of the time. oclif's own line is what `--version` printed before, and what the
// config's user agent still is.
import { describe, expect, it } from 'vitest';
import { Config } from '@oclif/core';
import { aob, repo } from './helpers.js';

describe('aob --version', () => {
  it('prints the line oclif would, and exits 0', async () => {
    const r = await aob(['--version'], {});
    expect(r.code).toBe(0);
    const config = await Config.load({ root: `${repo}/cli` });
    expect(r.stdout.trim()).toBe(config.userAgent);
    expect(r.stdout.trim()).toMatch(/^@aob\/cli\/\d+\.\d+\.\d+ \S+-\S+ node-v\d+/);
  });

  it('leaves --version with anything else to oclif', async () => {
    const r = await aob(['run', 'list', '--version'], {});
    expect(r.stdout).not.toMatch(/^@aob\/cli\//);
  });
});
