#!/usr/bin/env bash
# Cost of the node agent: CPU share of `hpcmond --agent` while it follows S steps of P
# processes each (sleeping children forked by this script, announced with the plugin's
# protocol lines), at the shipped intervals (processes every 1 s, node every 5 s), and the
# time from step_end to the node partial on disk.
#   usage: bash bench/agent_bench.sh BUILD_DIR [SECONDS]
set -euo pipefail
build="${1:?usage: agent_bench.sh BUILD_DIR [SECONDS]}"
seconds="${2:-20}"
agent="$build/bin/hpcmond"
[[ -x "$agent" ]] || { echo "build hpcmond first: cmake --build $build --target hpcmond" >&2; exit 2; }
exec /usr/bin/python3 - "$agent" "$seconds" <<'PY'
import json, os, signal, socket, subprocess, sys, tempfile, time

agent, seconds = sys.argv[1], float(sys.argv[2])
tick = os.sysconf("SC_CLK_TCK")

def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick

def send(path, obj):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall((json.dumps(obj) + "\n").encode())
    s.close()

def run(steps, procs):
    work = tempfile.mkdtemp(prefix="agent-bench-")
    os.chmod(work, 0o755)
    os.makedirs(f"{work}/run", mode=0o755)
    os.makedirs(f"{work}/records")
    open(f"{work}/agent.yaml", "w").write(
        f"hpc:\n  record_dir: {work}/records\nagent:\n  socket: {work}/run/agent.sock\n")
    a = subprocess.Popen([agent, "--agent", "--config", f"{work}/agent.yaml"], stderr=subprocess.DEVNULL)
    sock = f"{work}/run/agent.sock"
    while not os.path.exists(sock):
        time.sleep(0.01)
    children = []
    now = time.time_ns()
    for s in range(steps):
        base = {"v": 1, "job_id": 1000 + s, "step": "0"}
        send(sock, {**base, "event": "step_start", "cluster": "bench", "job": str(1000 + s), "uid": 0, "gid": 0,
                    "user": "root", "node": "n1", "start_ns": now, "ntasks": procs, "cpus": "0-1"})
        for t in range(procs):
            p = subprocess.Popen(["sleep", "3600"])
            children.append((s, t, p))
            send(sock, {**base, "event": "task_start", "task": t, "global_task": t, "pid": p.pid})
    time.sleep(2)  # steady state
    c0, t0 = cpu_s(a.pid), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu_s(a.pid), time.monotonic()
    for s, t, p in children:
        p.kill()
        p.wait()
    ends = {}
    for s in range(steps):
        ends[s] = time.monotonic()
        send(sock, {"v": 1, "job_id": 1000 + s, "step": "0", "event": "step_end", "end_ns": time.time_ns(),
                    "exit_status": 0})
    deadline = time.monotonic() + 30
    found = []
    while time.monotonic() < deadline:
        found = [os.path.join(d, f) for d, _, fs in os.walk(f"{work}/records") for f in fs if f.endswith(".part.h5")]
        if len(found) == steps:
            break
        time.sleep(0.005)
    done = time.monotonic()
    a.send_signal(signal.SIGTERM)
    a.wait()
    size = sum(os.path.getsize(f) for f in found) / max(1, len(found))
    share = (c1 - c0) / (t1 - t0) * 100
    label = f"{steps} steps x {procs} processes" if steps else "idle (no steps)"
    print(f"{label:30s} CPU share {share:6.3f} % of one core, "
          f"{(c1 - c0) / (t1 - t0) * 1000:6.2f} ms CPU per second; "
          f"{len(found)} partials in {(done - ends[0]) * 1000 if steps else 0:7.1f} ms after the first step_end, "
          f"{size / 1024:6.1f} KiB each")
    subprocess.run(["rm", "-rf", work])

print(f"hpcmond --agent, processes sampled every 1 s, node every 5 s, {seconds:.0f} s per case")
for steps, procs in ((0, 0), (1, 1), (4, 16), (16, 16)):
    run(steps, procs)
PY
