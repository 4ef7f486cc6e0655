/**
 * The scripts a `code` node's child process runs, written into its temp dir at each run (so they
 * ship inside the compiled package without asset copying). Protocol: the node input arrives as
 * JSON on stdin; the runner writes ONE JSON message `{ ok: true, output, set? }` or
 * `{ ok: false, error: { name, message } }` to fd 3 (the result channel) and exits. stdout and
 * stderr stay free for the snippet's own logs.
 */

/** JS: the snippet is the body of an async function of (input, require). */
export const JS_RUNNER = String.raw`'use strict';
const fs = require('node:fs');
const path = require('node:path');
function writeAll(fd, text) {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
}
function send(msg) {
  let text;
  try {
    text = JSON.stringify(msg);
  } catch (err) {
    text = JSON.stringify({ ok: false, error: { name: 'BAD_OUTPUT', message: 'output is not JSON-serialisable: ' + err.message } });
  }
  writeAll(3, text);
}
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  void main();
});
async function main() {
  const text = Buffer.concat(chunks).toString('utf8');
  const input = text === '' ? null : JSON.parse(text);
  const source = fs.readFileSync(path.join(__dirname, 'snippet.js'), 'utf8');
  const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
  try {
    const fn = new AsyncFunction('input', 'require', source);
    const output = await fn(input, require);
    send({ ok: true, output: output === undefined ? null : output });
    process.exit(0);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(String(e.stack || e.message) + '\n');
    send({ ok: false, error: { name: e.name, message: e.message } });
    process.exit(1);
  }
}
`;

/** JS, network=false: replaces every public way to open a socket with a throwing stub. */
export const JS_NO_NETWORK = String.raw`'use strict';
function blocked(what) {
  return function () {
    const err = new Error('network access is disabled for this code node (' + what + ')');
    err.code = 'ERR_NETWORK_DISABLED';
    throw err;
  };
}
const net = require('node:net');
net.connect = net.createConnection = blocked('net.connect');
net.Socket.prototype.connect = blocked('net.Socket#connect');
net.createServer = blocked('net.createServer');
net.Server.prototype.listen = blocked('net.Server#listen');
require('node:tls').connect = blocked('tls.connect');
require('node:dgram').createSocket = blocked('dgram.createSocket');
for (const name of ['node:http', 'node:https']) {
  const mod = require(name);
  mod.request = blocked(name + '.request');
  mod.get = blocked(name + '.get');
}
require('node:http2').connect = blocked('http2.connect');
const dns = require('node:dns');
dns.lookup = dns.resolve = blocked('dns');
dns.promises.lookup = dns.promises.resolve = blocked('dns');
globalThis.fetch = blocked('fetch');
require('node:module').syncBuiltinESMExports();
`;

/** Python: argv = [memoryBytes, noNetwork]; the snippet sees \`input\` and may set \`output\`. */
export const PY_RUNNER = String.raw`import json, os, resource, sys, time, traceback

def _write_all(fd, data):
    while data:
        try:
            n = os.write(fd, data)
            data = data[n:]
        except BlockingIOError:
            time.sleep(0.002)

def _send(msg):
    try:
        text = json.dumps(msg, allow_nan=False)
    except (TypeError, ValueError) as err:
        text = json.dumps({"ok": False, "error": {"name": "BAD_OUTPUT", "message": "output is not JSON-serialisable: %s" % err}})
    _write_all(3, text.encode("utf-8"))

_mem = int(sys.argv[1])
if _mem > 0:
    resource.setrlimit(resource.RLIMIT_AS, (_mem, _mem))

if sys.argv[2] == "1":
    import socket, _socket
    def _blocked(*args, **kwargs):
        raise PermissionError("network access is disabled for this code node")
    class _NoSocket(socket.socket):
        def __init__(self, *args, **kwargs):
            _blocked()
    socket.socket = _NoSocket
    _socket.socket = _NoSocket
    for _name in ("create_connection", "create_server", "getaddrinfo", "gethostbyname", "fromfd", "socketpair"):
        setattr(socket, _name, _blocked)

_text = sys.stdin.read()
_unset = object()
_ns = {"__name__": "__main__", "input": json.loads(_text) if _text else None, "output": _unset}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "snippet.py"), encoding="utf-8") as _f:
    _source = _f.read()
try:
    exec(compile(_source, "snippet.py", "exec"), _ns)
except MemoryError:
    _send({"ok": False, "error": {"name": "MemoryError", "message": "memory limit exceeded"}})
    sys.exit(1)
except SystemExit as _exit:
    sys.stdout.flush()
    if _exit.code not in (None, 0):
        raise
except BaseException as _err:
    traceback.print_exc()
    _send({"ok": False, "error": {"name": type(_err).__name__, "message": str(_err)}})
    sys.exit(1)
sys.stdout.flush()
_out = _ns.get("output", _unset)
if _out is _unset:
    _send({"ok": True, "output": None, "set": False})
else:
    _send({"ok": True, "output": _out, "set": True})
`;
