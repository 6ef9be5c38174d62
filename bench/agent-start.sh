#!/usr/bin/env bash
# bench/agent-start: start time and idle memory of the NativeAOT agent (artifacts/bin/guestpull-agent)
# against the JIT/ReadyToRun `guestpull agent` (artifacts/bin/guestpull). Start time is process start →
# the first successful ttrpc Check on the agent's socket; idle RSS is VmRSS from /proc/PID/status after
# the agent has been idle for a few seconds. Prints the median of N runs (default 5) and the ratios.
# Usage: bench/agent-start.sh [RUNS] [IDLE_SECONDS]. Builds with ./build.sh when a binary is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
idle=${2:-5}
if [[ ! -x artifacts/bin/guestpull-agent || ! -x artifacts/bin/guestpull ]]; then
  ./build.sh
fi

exec python3 - "$runs" "$idle" "$(pwd)/artifacts/bin" <<'PYTHON'
import os, shutil, signal, socket, statistics, struct, subprocess, sys, tempfile, time

runs, idle, bindir = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]

def field(number, data):
    # A protobuf length-delimited field (wire type 2) with a one-byte tag.
    length, out = len(data), bytearray()
    while True:
        byte = length & 0x7F
        length >>= 7
        out.append(byte | (0x80 if length else 0))
        if not length:
            break
    return bytes([number << 3 | 2]) + bytes(out) + data

# ttrpc frame: length, stream id (odd for a client), type 1 = request, flags; body = ttrpc.Request.
body = field(1, b"guestpull.agent.v1.Agent") + field(2, b"Check")
check = struct.pack(">IIBB", len(body), 1, 1, 0) + body

def try_check(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(path)
        s.sendall(check)
        header = s.recv(10, socket.MSG_WAITALL)
        length, stream, kind, _ = struct.unpack(">IIBB", header)
        response = s.recv(length, socket.MSG_WAITALL) if length else b""
        if kind != 2 or stream != 1:
            return False
        # The status (field 1) is absent or empty (code OK) on success; anything else would never turn into one.
        if response.startswith(b"\x0a") and not response.startswith(b"\x0a\x00"):
            raise SystemExit(f"Check failed: {response!r}")
        return True

def measure(command):
    directory = tempfile.mkdtemp(prefix="guestpull-agent-start-")
    try:
        sock = os.path.join(directory, "agent.sock")
        config = os.path.join(directory, "agent.toml")
        with open(config, "w") as f:
            f.write(f'image_root = "{directory}/image"\nbundle_root = "{directory}/bundles"\nrunc_root = "{directory}/runc"\n')
        started = time.monotonic()
        process = subprocess.Popen(command + ["--listen", "unix://" + sock, "--config", config],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"{command} exited with {process.returncode}")
                try:
                    if try_check(sock):
                        break
                except OSError:
                    pass
                time.sleep(0.001)
            ready = time.monotonic() - started
            time.sleep(idle)
            with open(f"/proc/{process.pid}/status") as f:
                rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            return ready, rss
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    finally:
        shutil.rmtree(directory, ignore_errors=True)

contenders = [("guestpull-agent (NativeAOT)", [os.path.join(bindir, "guestpull-agent")]),
              ("guestpull agent (JIT/R2R)", [os.path.join(bindir, "guestpull"), "agent"])]
results = {}
for name, command in contenders:
    samples = [measure(command) for _ in range(runs)]
    results[name] = (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples))
    print(f"{name:30} start {results[name][0] * 1000:7.1f} ms   idle RSS {results[name][1] / 1024:6.1f} MiB"
          f"   (median of {runs}; starts: {', '.join(f'{s[0] * 1000:.0f}' for s in samples)} ms)")
(aot_start, aot_rss), (jit_start, jit_rss) = results.values()
print(f"ratio JIT/AOT: start {jit_start / aot_start:.1f}x, idle RSS {jit_rss / aot_rss:.1f}x")
PYTHON
