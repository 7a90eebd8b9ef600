#!/usr/bin/python3
"""Checks a file against the Chrome trace event format's invariants (the JSON object form of
"Trace Event Format", as Perfetto and chrome://tracing read it).

Usage: chrome_check.py TRACE.json [--expect-slices N] [--expect-flows N] [--expect-processes N]
Checks: a JSON object with a traceEvents array; every event has a known phase and the fields
its phase requires (name, ph, pid, tid, ts; dur >= 0 for X; args.name for process/thread
names; id for flows); numbers are numbers; duration events (X, B, E) have non-decreasing
timestamps per (pid, tid) in file order; B/E nest per thread (an E closes the latest open B
of the same name, none is left open); an X lies inside any B/E span that is open around it;
every flow id has exactly one start (s) and one end (f) with the end not before the start,
each inside a slice of its thread. Exit 0 and one summary line, or 1 and the first violation.
"""
import collections
import json
import sys

PHASES = {"X", "B", "E", "i", "I", "M", "s", "t", "f", "C", "b", "e", "n"}
DURATION = {"X", "B", "E"}


def fail(msg):
    print("chrome_check: " + msg)
    sys.exit(1)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def main(argv):
    path = argv[1]
    opts = dict(zip(argv[2::2], argv[3::2]))
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        fail("not an object with a traceEvents array")
    last_ts = {}
    open_b = collections.defaultdict(list)
    slices = collections.defaultdict(list)  # (pid, tid) -> [(start, end)]
    flows = collections.defaultdict(dict)
    processes, counts = set(), collections.Counter()
    for i, e in enumerate(doc["traceEvents"]):
        where = f"event {i} {json.dumps(e)[:160]}"
        if not isinstance(e, dict):
            fail(where + ": not an object")
        ph = e.get("ph")
        if ph not in PHASES:
            fail(where + f": unknown phase {ph!r}")
        counts[ph] += 1
        for field in ("name", "pid", "tid") if ph != "E" else ("pid", "tid"):
            if field not in e:
                fail(where + f": no {field}")
        if not isinstance(e.get("name", ""), str):
            fail(where + ": name is not a string")
        if not (is_num(e["pid"]) and is_num(e["tid"])):
            fail(where + ": pid/tid not numbers")
        processes.add(e["pid"])
        if ph == "M":
            if e["name"] in ("process_name", "thread_name") and not isinstance(e.get("args", {}).get("name"), str):
                fail(where + ": metadata without args.name")
            continue
        if not is_num(e.get("ts")):
            fail(where + ": ts is not a number")
        thread = (e["pid"], e["tid"])
        ts = float(e["ts"])
        if ph in DURATION:
            if thread in last_ts and ts < last_ts[thread]:
                fail(where + f": ts {ts} goes back on thread {thread} (last {last_ts[thread]})")
            last_ts[thread] = ts
        if ph == "X":
            if not is_num(e.get("dur")) or e["dur"] < 0:
                fail(where + ": X without a dur >= 0")
            if "args" in e and not isinstance(e["args"], dict):
                fail(where + ": args is not an object")
            for b_name, b_ts in open_b[thread]:
                if ts < b_ts:
                    fail(where + f": X starts before the open B {b_name}")
            slices[thread].append((ts, ts + float(e["dur"])))
        elif ph == "B":
            open_b[thread].append((e["name"], ts))
        elif ph == "E":
            if not open_b[thread]:
                fail(where + ": E without an open B")
            name, b_ts = open_b[thread].pop()
            if "name" in e and e["name"] != name:
                fail(where + f": E closes {e['name']} but {name} is open")
            slices[thread].append((b_ts, ts))
        elif ph in ("s", "t", "f"):
            if "id" not in e:
                fail(where + ": flow without id")
            key = (e.get("cat", ""), e["id"])
            if ph in flows[key]:
                fail(where + f": second flow {ph} for id {e['id']}")
            flows[key][ph] = (thread, ts)
    for thread, stack in open_b.items():
        if stack:
            fail(f"thread {thread}: B {stack[-1][0]} never ends")
    for key, ends in flows.items():
        if set(ends) - {"t"} != {"s", "f"}:
            fail(f"flow {key}: has {sorted(ends)}, needs one s and one f")
        (s_thread, s_ts), (f_thread, f_ts) = ends["s"], ends["f"]
        if f_ts < s_ts:
            fail(f"flow {key}: ends at {f_ts} before it starts at {s_ts}")
        for thread, ts in ((s_thread, s_ts), (f_thread, f_ts)):
            # 1 ns of slack: a + dur is summed in binary floating point.
            if not any(a - 1e-3 <= ts <= b + 1e-3 for a, b in slices[thread]):
                fail(f"flow {key}: {ts} is inside no slice of thread {thread}")
    n_slices = counts["X"] + counts["B"]
    for opt, have in (("--expect-slices", n_slices), ("--expect-flows", len(flows)),
                      ("--expect-processes", len(processes))):
        if opt in opts and int(opts[opt]) != have:
            fail(f"{opt[9:]}: {have}, expected {opts[opt]}")
    print(f"chrome_check: ok: {n_slices} slices, {len(flows)} flows, {len(processes)} processes")


if __name__ == "__main__":
    main(sys.argv)
