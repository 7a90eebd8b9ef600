#!/usr/bin/python3
"""chrome_check.py must refuse each broken trace below and accept the good one."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
M = {"ph": "M", "name": "process_name", "pid": 0, "tid": 0, "args": {"name": "rank 0"}}
X1 = {"ph": "X", "name": "MPI_Send", "pid": 0, "tid": 0, "ts": 1.0, "dur": 2.0}
X2 = {"ph": "X", "name": "MPI_Recv", "pid": 1, "tid": 0, "ts": 2.0, "dur": 3.0}
S = {"ph": "s", "id": 1, "name": "m", "cat": "c", "pid": 0, "tid": 0, "ts": 1.5}
F = {"ph": "f", "bp": "e", "id": 1, "name": "m", "cat": "c", "pid": 1, "tid": 0, "ts": 5.0}
GOOD = [M, X1, X2, S, F]
BAD = {
    "unknown phase": [M, dict(X1, ph="Q")],
    "no pid": [{k: v for k, v in X1.items() if k != "pid"}],
    "negative dur": [dict(X1, dur=-1)],
    "ts back on a thread": [X1, dict(X1, ts=0.5)],
    "E without B": [{"ph": "E", "pid": 0, "tid": 0, "ts": 3}],
    "B never ends": [{"ph": "B", "name": "a", "pid": 0, "tid": 0, "ts": 3}],
    "crossed B/E": [{"ph": "B", "name": "a", "pid": 0, "tid": 0, "ts": 1}, {"ph": "B", "name": "b", "pid": 0, "tid": 0, "ts": 2},
                    {"ph": "E", "name": "a", "pid": 0, "tid": 0, "ts": 3}],
    "flow without end": [X1, X2, S],
    "flow backwards": [X1, X2, dict(S, ts=2.5), dict(F, ts=2.1)],
    "flow outside a slice": [X1, X2, S, dict(F, ts=9.0)],
    "metadata without name": [dict(M, args={})],
    "not an object": [],
}


def verdict(events, wrap=True):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"traceEvents": events} if wrap else events, f)
    try:
        return subprocess.run([sys.executable, os.path.join(HERE, "chrome_check.py"), f.name],
                              capture_output=True, text=True).returncode
    finally:
        os.unlink(f.name)


failures = []
if verdict(GOOD) != 0:
    failures.append("the good trace was refused")
for what, events in BAD.items():
    if verdict(events, wrap=what != "not an object") == 0:
        failures.append(f"accepted: {what}")
if failures:
    sys.exit("FAIL: " + "; ".join(failures))
print(f"chrome_check refuses all {len(BAD)} broken traces and accepts the good one")
