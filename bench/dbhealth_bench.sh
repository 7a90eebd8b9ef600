#!/usr/bin/env bash
# dbhealth benchmark: slow-log ingestion rate (parse + fingerprint + statistics, entries/s) and
# fingerprinting cost per statement, on a generated log of real slurmdbd statement shapes: the
# captured pieces of dbhealth/tests/data repeated with their numbers, job names and connection
# ids varied so that each copy is new text.
#   usage: HPCMON_BUILD_DIR=build bash bench/dbhealth_bench.sh [COPIES]   (default 2000: ~100k entries)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${HPCMON_BUILD_DIR:-$here/build}"
copies="${1:-2000}"
bin="$build/bin/hpcmon_dbhealth_bench"
[[ -x "$bin" ]] || { echo "build hpcmon_dbhealth_bench first (cmake --build $build --target hpcmon_dbhealth_bench)" >&2; exit 2; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$here/dbhealth/tests/data" "$copies" "$work/slow.log" <<'PY'
import re, sys
data, copies, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
pieces = [open(f"{data}/{n}").read() for n in ("job_write_path.log", "sacct_steps.log", "sacct_name.log")]
text = "".join(pieces)
with open(out, "w") as f:
    for i in range(copies):
        t = re.sub(r"job_db_inx=(\d+)", lambda m: f"job_db_inx={int(m.group(1)) + i * 1000}", text)
        t = re.sub(r"Thread_id: (\d+)", lambda m: f"Thread_id: {int(m.group(1)) + i * 10}", t)
        t = re.sub(r"SET timestamp=(\d+)", lambda m: f"SET timestamp={int(m.group(1)) + i * 5}", t)
        t = t.replace("job_name='x'", f"job_name='sim_{i % 300}'")
        f.write(t)
PY
echo "log: $(stat -c %s "$work/slow.log") bytes, $(grep -c '^# User@Host: ' "$work/slow.log") entries ($copies copies)"
for run in 1 2 3; do echo "run $run:"; "$bin" "$work/slow.log"; done
