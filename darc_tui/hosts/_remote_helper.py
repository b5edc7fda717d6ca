"""The remote side of the SSH multiplexer: sent over one exec channel, run by the host's python3.

This file is never imported by darc-tui: its text is read, sent on the channel's stdin and run
with `python3 -I -c 'import sys;exec(sys.stdin.buffer.read(N))'` (the approach of mitogen and
ansible pipelining). It then carries many commands, follower streams and TCP connections over
that one channel, as length-prefixed frames, so a host with `MaxSessions 2` and no TCP forwarding
still serves every probe. Standard library only; runs on python3 >= 3.6 (old enterprise hosts).

Frame: stream id (u32), kind (1 byte), payload length (u32), payload. Binary-safe both ways.
From darc-tui: R run, S start a stream, C TCP connect, D data, E end of input, K kill/close,
A credit (one more chunk may be sent for that id). From the helper: H hello, r run result,
c connect result, D data, E end of output, x stream exit.
When stdin reaches EOF (darc-tui closed the channel, or the connection died) every process group
it started is killed and the helper exits: nothing is left behind on the host.
"""

import errno
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

HEADER = struct.Struct(">IBI")
CHUNK = 64 * 1024
WINDOW = 8  # chunks a stream may send ahead of darc-tui's credits (bounds memory both sides)
STDERR_LIMIT = 16 * 1024
KILL_AFTER = 1.0

_out = sys.stdout.buffer
_in = sys.stdin.buffer
_write_lock = threading.Lock()
_groups: dict = {}  # id -> Popen of a running command or stream (its own process group)
_sockets: dict = {}  # id -> socket
_credits: dict = {}  # id -> threading.Semaphore
_inbox: dict = {}  # id -> list of pending writes for a socket, guarded by its condition
_state_lock = threading.Lock()


def send(ident, kind, payload=b""):
    with _write_lock:
        try:
            _out.write(HEADER.pack(ident, ord(kind), len(payload)) + payload)
            _out.flush()
        except (OSError, ValueError):
            _shutdown()


def send_json(ident, kind, obj):
    send(ident, kind, json.dumps(obj).encode())


def _kill_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except OSError:
        pass


def _shutdown():
    with _state_lock:
        procs = list(_groups.values())
        socks = list(_sockets.values())
    for proc in procs:
        _kill_group(proc, signal.SIGKILL)
    for sock in socks:
        try:
            sock.close()
        except OSError:
            pass
    os._exit(0)


def _reader(pipe, keep, limit, credit=None, ident=0, tail=False):
    """Read a pipe to its end: keep the first (or, with `tail`, the last) `limit` bytes, or
    forward every chunk as a D frame when the stream has a credit semaphore."""
    truncated = False
    while True:
        if credit is not None:
            credit.acquire()
        try:
            data = pipe.read1(CHUNK) if hasattr(pipe, "read1") else pipe.read(CHUNK)
        except OSError:
            data = b""
        if not data:
            break
        if credit is not None:
            send(ident, "D", data)
            continue
        if tail:  # stderr: the reason is usually last
            keep.extend(data)
            del keep[: max(len(keep) - limit, 0)]
            continue
        room = limit - len(keep)
        keep.extend(data[: max(room, 0)])
        truncated = truncated or len(data) > room
    return truncated


def _spawn(argv, stdin):
    return subprocess.Popen(
        argv,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, killed as a whole
    )


def _not_started(exc, argv):
    if exc.errno == errno.ENOENT:
        return 127, (argv[0] + ": not found\n").encode()
    return 126, (argv[0] + ": " + (exc.strerror or str(exc)) + "\n").encode()


def run(ident, meta, data):
    argv, timeout, limit = meta["argv"], float(meta["timeout"]), int(meta["limit"])
    try:
        proc = _spawn(argv, subprocess.PIPE)
    except OSError as exc:
        status, err = _not_started(exc, argv)
        _send_result(ident, {"status": status}, b"", err)
        return
    with _state_lock:
        _groups[ident] = proc
    out, err, flags = bytearray(), bytearray(), {}

    def read_out():
        flags["truncated"] = _reader(proc.stdout, out, limit)

    read_err = threading.Thread(
        target=_reader, args=(proc.stderr, err, STDERR_LIMIT, None, 0, True)
    )
    readers = [threading.Thread(target=read_out), read_err]
    for t in readers:
        t.daemon = True
        t.start()
    _feed(proc, data)
    timed_out = False
    try:
        status = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc, signal.SIGTERM)
        try:
            status = proc.wait(KILL_AFTER)
        except subprocess.TimeoutExpired:
            _kill_group(proc, signal.SIGKILL)
            status = proc.wait()
    for t in readers:
        t.join(KILL_AFTER)  # a daemonised grandchild may hold the pipe: do not wait for it
    with _state_lock:
        _groups.pop(ident, None)
    meta_out = {"status": status, "timed_out": timed_out, "truncated": bool(flags.get("truncated"))}
    _send_result(ident, meta_out, bytes(out), bytes(err))


def _feed(proc, data):
    def write():
        try:
            if data:
                proc.stdin.write(data)
            proc.stdin.close()
        except OSError:
            pass

    t = threading.Thread(target=write)
    t.daemon = True
    t.start()


def _send_result(ident, meta, out, err):
    meta["out"] = len(out)
    head = json.dumps(meta).encode()
    send(ident, "r", struct.pack(">I", len(head)) + head + out + err)


def stream(ident, meta):
    argv = meta["argv"]
    credit = threading.Semaphore(WINDOW)
    with _state_lock:
        _credits[ident] = credit
    try:
        proc = _spawn(argv, subprocess.DEVNULL)
    except OSError as exc:
        status, err = _not_started(exc, argv)
        send_json(ident, "x", {"status": status, "stderr": err.decode("utf-8", "replace")})
        return
    with _state_lock:
        _groups[ident] = proc
    err = bytearray()
    t = threading.Thread(target=_reader, args=(proc.stderr, err, STDERR_LIMIT, None, 0, True))
    t.daemon = True
    t.start()
    _reader(proc.stdout, None, 0, credit, ident)
    status = proc.wait()
    t.join(KILL_AFTER)
    with _state_lock:
        _groups.pop(ident, None)
        _credits.pop(ident, None)
    send_json(ident, "x", {"status": status, "stderr": bytes(err).decode("utf-8", "replace")})


def connect(ident, meta):
    start = time.monotonic()
    try:
        sock = socket.create_connection((meta["host"], int(meta["port"])), float(meta["timeout"]))
    except socket.timeout:  # noqa: UP041 - not an alias of TimeoutError before python 3.10
        send_json(ident, "c", {"ok": False, "error": "Connection timed out"})
        return
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        send_json(ident, "c", {"ok": False, "error": reason})
        return
    ms = (time.monotonic() - start) * 1000.0
    sock.settimeout(None)
    credit = threading.Semaphore(WINDOW)
    cond = threading.Condition()
    with _state_lock:
        _sockets[ident], _credits[ident], _inbox[ident] = sock, credit, (cond, [])
    send_json(ident, "c", {"ok": True, "ms": ms})
    t = threading.Thread(target=_socket_writer, args=(ident, sock, cond))
    t.daemon = True
    t.start()
    while True:
        credit.acquire()
        try:
            data = sock.recv(CHUNK)
        except OSError:
            data = b""
        if not data:
            break
        send(ident, "D", data)
    send(ident, "E")


def _socket_writer(ident, sock, cond):
    """Writes darc-tui's data to the socket, so a slow peer never blocks the frame loop."""
    pending = _inbox[ident][1]
    while True:
        with cond:
            while not pending:
                cond.wait()
            item = pending.pop(0)
        if item is None:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            continue
        if item is False:
            return
        try:
            sock.sendall(item)
        except OSError:
            return


def _to_socket(ident, item):
    with _state_lock:
        box = _inbox.get(ident)
    if box is not None:
        with box[0]:
            box[1].append(item)
            box[0].notify()


def kill(ident):
    with _state_lock:
        proc = _groups.get(ident)
        sock = _sockets.pop(ident, None)
        credit = _credits.pop(ident, None)
    if proc is not None:
        _kill_group(proc, signal.SIGTERM)
        timer = threading.Timer(KILL_AFTER, _kill_group, (proc, signal.SIGKILL))
        timer.daemon = True
        timer.start()
    if sock is not None:
        _to_socket(ident, False)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
        with _state_lock:
            _inbox.pop(ident, None)
    if credit is not None:
        for _ in range(WINDOW):  # unblock a reader waiting for credit, so it sees the end
            credit.release()


def _start(target, *args):
    t = threading.Thread(target=target, args=args)
    t.daemon = True
    t.start()


def _read_exactly(n):
    data = _in.read(n)
    if data is None or len(data) < n:
        _shutdown()
    return data


def _tools(names):
    """Which of `names` are on PATH (sbin added: sudo's secure_path has it)."""
    dirs = (os.environ.get("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin").split(":")
    found = []
    for name in names:
        for folder in dirs:
            path = os.path.join(folder or ".", name)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                found.append(name)
                break
    return found


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    hello = {"version": 1, "pid": os.getpid(), "python": sys.version.split()[0]}
    hello["tools"] = _tools(sys.argv[1:])  # the bootstrap passes the names darc-tui asks about
    send_json(0, "H", hello)
    while True:
        ident, kind, size = HEADER.unpack(_read_exactly(HEADER.size))
        payload = _read_exactly(size) if size else b""
        kind = chr(kind)
        if kind == "R":
            (head,) = struct.unpack(">I", payload[:4])
            _start(run, ident, json.loads(payload[4 : 4 + head].decode()), payload[4 + head :])
        elif kind == "S":
            _start(stream, ident, json.loads(payload.decode()))
        elif kind == "C":
            _start(connect, ident, json.loads(payload.decode()))
        elif kind == "D":
            _to_socket(ident, payload)
        elif kind == "E":
            _to_socket(ident, None)
        elif kind == "A":
            with _state_lock:
                credit = _credits.get(ident)
            if credit is not None:
                credit.release()
        elif kind == "K":
            kill(ident)


main()
