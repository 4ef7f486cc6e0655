// Runs a benchmark script in a child process of its own (no shared heap, JIT state or store) and
// resolves with the one JSON document it prints with --json; its stderr (progress) is passed
// through to ours when `echo` is set, and quoted in the error when it fails.
import { spawn } from 'node:child_process';

/**
 * `node [nodeFlags] script [...args] --json` in `cwd`; rejects with the child's stderr when it
 * exits non-zero or prints anything but one JSON document on stdout.
 */
export function runJson(script, args, { cwd, nodeFlags = [], echo = false } = {}) {
  const argv = [...nodeFlags, script, ...args, '--json'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => {
      err.push(d);
      if (echo) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString();
      if (code !== 0) {
        const why = signal ? `was killed by ${signal}` : `exited with ${code}`;
        reject(new Error(`node ${argv.join(' ')} ${why}:\n${stderr}`));
        return;
      }
      const stdout = Buffer.concat(out).toString();
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`node ${argv.join(' ')} printed no JSON document:\n${stdout}\n${stderr}`));
      }
    });
  });
}
