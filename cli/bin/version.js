// `aob --version` answered before oclif loads: it is what people and scripts run most to check an
// install, and loading oclif's 160-odd modules to print one line took most of its time. The line
// is oclif's own format (`<name>/<version> <platform>-<arch> node-<version>`), so nothing that
// reads it changes.
import { readFileSync } from 'node:fs';

/** True when the arguments ask for the version and nothing else. */
export function asksForVersion(argv) {
  return argv.length === 1 && argv[0] === '--version';
}

export function versionLine(root) {
  const { name, version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
  return `${name}/${version} ${process.platform}-${process.arch} node-${process.version}`;
}
