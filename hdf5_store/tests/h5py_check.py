"""Reads the known record with h5py (Debian's python3-h5py) and checks its values, so the
format is usable without hpcmon's own reader. Usage: h5py_check.py FIXTURES_TOOL"""
import subprocess
import sys
import tempfile

import h5py
import numpy as np


def eq(got, want, what):
    if got != want:
        sys.exit(f"FAIL {what}: got {got!r}, want {want!r}")


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


with tempfile.TemporaryDirectory() as d:
    subprocess.run([sys.argv[1], d], check=True)
    with h5py.File(f"{d}/known.h5", "r", locking=False) as f:
        a = f.attrs
        eq((int(a["format_major"]), int(a["format_minor"])), (1, 2), "format version")
        eq(text(a["job"]), "4242_7", "job")
        eq(text(a["job_name"]), 'heat "1d", test', "job name")
        eq(int(a["rank_count"]), 4, "rank count")
        eq(int(a["start_ns"]), 1_700_000_000_000_000_000, "start")
        eq(int(a["alloc_memory_bytes"]), 16 << 30, "memory")
        eq(int(a["partial"]), 0, "partial")

        ranks = f["ranks"][:]
        eq(list(ranks["rank"]), [0, 1, 2, 3], "ranks")
        eq([text(n) for n in ranks["node"]], ["node01", "node01", "node02", "node02"], "nodes")
        eq(list(ranks["mpi_s"]), [1.0, 2.0, 3.0, 6.0], "mpi_s")
        eq(int(ranks["rss_hwm_bytes"][3]), 4 << 30, "rss")
        eq([text(n) for n in f["rank_counters"].attrs["names"]], ["task_clock_ns", "page_faults"], "counter names")
        eq(float(f["rank_counters"][2, 1]), 3000.0, "counter value")

        names = [text(n) for n in f["mpi/function_names"][:]]
        calls = f["mpi/calls"][:]
        eq(len(calls), 12, "mpi rows")
        allreduce = calls[[names[i] == "MPI_Allreduce" for i in calls["function"]]]
        eq(int(allreduce["calls"].sum()), 40, "allreduce calls")
        eq(float(allreduce["total_s"].sum()), 6.0, "allreduce time")
        hist = f["mpi/size_hist"][:]
        eq(int(hist["count"][hist["bin"] == 13].sum()), 800, "4 KiB messages")
        eq(text(f["mpi/traffic"].attrs["layout"]), "dense", "traffic layout")
        eq(int(f["mpi/traffic/bytes"][3, 0]), 409600, "traffic 3->0")
        eq(int(np.count_nonzero(f["mpi/traffic/messages"][:])), 4, "traffic links")

        index = f["series/index"][:]
        eq([text(m) for m in index["metric"]], ["rss", "rss", "cpu_util"], "series metrics")
        node = index[2]
        values = f["series/values"][int(node["offset"]) : int(node["offset"] + node["count"])]
        eq(list(values), [0.0, 0.25, 0.5, 0.75, 1.0], "node cpu_util series")
        t = f["series/t_ns"][int(node["t_offset"]) : int(node["t_offset"] + node["count"])]
        eq(int(t[1] - t[0]), 2_000_000_000, "sample spacing")
        eq(f["series/t_ns"].shape, (5,), "series sampled together share their times")
        eq(f["series/t_ns"].compression, "gzip", "times compressed")
        eq(f["series/values"].compression, "gzip", "series compressed")
        eq(f["series/values"].shuffle, True, "series shuffled")
        eq(f["series/values"].maxshape, (None,), "series extendible")

        s = f["summary"]
        eq(float(s.attrs["mpi_fraction"]), 0.3, "summary mpi fraction")
        metrics = s["metrics"][:]
        mpi = metrics[[text(m) == "mpi_s" for m in metrics["metric"]]][0]
        eq((float(mpi["max"]), float(mpi["imbalance"]), int(mpi["max_rank"])), (6.0, 2.0, 3), "mpi_s stats")
        eq(text(s["functions"][0]["function"]), "MPI_Allreduce", "top function")
print("h5py reads the known record: ok")
