#!/usr/bin/python3
"""Checks of libhpcmon_mpi.so that need no MPI run.

  check_library.py coverage <mpi_functions.tsv> <libmpi.so> <libhpcmon_mpi.so>
      Every MPI_*/MPIX_* function libmpi.so exports (nm -D --defined-only, types T/W/i) has a
      table row; every row that is not excluded is exported by the preload, and the preload
      exports nothing but table rows and their Fortran entries (mpi_send_ and its aliases,
      mpi_send_f08_).
  check_library.py runpath <library>...
      No RPATH/RUNPATH entry is empty or relative (it would load libraries from the job's
      working directory into every rank).
  check_library.py dependencies <libhpcmon_mpi.so>
      readelf -d: NEEDED only libc, libdl, libm, libpthread and the C++ runtime; nm: no
      undefined MPI or Open MPI symbol (they are found with dlsym at MPI_Init).
  check_library.py counters <libhpcmon_mpi_counters.so>
      The companion every rank loads at MPI_Init: no NEEDED libpapi, libpfm or libhwloc (libpapi
      is dlopen'ed only when an event needs it) and no undefined PAPI_ or hwloc_ symbol.
"""
import re
import subprocess
import sys


def defined_functions(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True, capture_output=True,
                         text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in ("T", "W", "i"):
            names.add(parts[2].split("@")[0])
    return names


def table_rows(path):
    rows = {}
    for line in open(path, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        cols = line.rstrip("\n").split("\t")
        rows[cols[0]] = cols
    return rows


def coverage(table, libmpi, preload):
    rows = table_rows(table)
    exported = {n for n in defined_functions(libmpi) if re.match(r"MPIX?_", n)}
    failures = []
    for name in sorted(exported - set(rows)):
        failures.append(f"{name}: exported by {libmpi} but neither wrapped nor excluded in the table")
    for name, cols in sorted(rows.items()):
        if cols[2] == "excluded" and (len(cols) < 5 or len(cols[4].strip()) < 10):
            failures.append(f"{name}: excluded without a reason")
    defined = defined_functions(preload)
    # Fortran entries (mpif.h / `use mpi`): mpi_send_, mpi_send, mpi_send__ and MPI_SEND;
    # (`use mpi_f08`): mpi_send_f08_.
    fortran = {n for n in defined if re.match(r"mpix?_", n) or (re.match(r"MPIX?_", n) and n == n.upper())}
    wrapped = defined - fortran
    by_fortran_name = {name.lower(): name for name in rows}
    for name in sorted(fortran):
        base = re.sub(r"_f08$", "", name.lower().rstrip("_"))
        row = by_fortran_name.get(base)
        if row is None or rows[row][2] == "excluded":
            failures.append(f"{name}: a Fortran entry of the preload without a wrapped table row")
    for name, cols in sorted(rows.items()):
        if cols[2] != "excluded" and name in exported and name not in wrapped:
            failures.append(f"{name}: table row but {preload} does not define it")
        if cols[2] == "excluded" and name in wrapped:
            failures.append(f"{name}: excluded but {preload} defines it")
    for name in sorted(wrapped - set(rows)):
        failures.append(f"{name}: exported by the preload but not in the table")
    print(f"{len(exported)} MPI functions exported by libmpi, {len(rows)} table rows, "
          f"{len(wrapped)} defined by the preload, {len(fortran)} Fortran entries")
    return failures


ALLOWED_NEEDED = re.compile(r"^(libc|libdl|libm|libpthread|libstdc\+\+|libgcc_s)\.so")


def dependencies(preload):
    dyn = subprocess.run(["readelf", "-d", preload], check=True, capture_output=True, text=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)
    failures = [f"NEEDED {n}: the preload may depend on libc, libdl and the C++ runtime only"
                for n in needed if not ALLOWED_NEEDED.match(n)]
    for bad in ("mpi", "hdf5", "papi", "hwloc", "yaml"):
        if any(bad in n for n in needed):
            failures.append(f"NEEDED mentions {bad}")
    undefined = subprocess.run(["nm", "-D", "--undefined-only", preload], check=True,
                               capture_output=True, text=True).stdout.split()
    for sym in undefined:
        if re.match(r"(P?MPIX?_|ompi_|opal_|H5|PAPI_|hwloc_)", sym):
            failures.append(f"undefined symbol {sym}: must be found with dlsym at MPI_Init")
    print("NEEDED:", ", ".join(needed))
    return failures


def counters(lib):
    dyn = subprocess.run(["readelf", "-d", lib], check=True, capture_output=True, text=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)
    failures = [f"NEEDED {n}: loaded in every rank, PAPI must wait for an event that needs it"
                for n in needed if re.match(r"lib(papi|pfm|hwloc|hdf5|yaml)", n)]
    undefined = subprocess.run(["nm", "-D", "--undefined-only", lib], check=True,
                               capture_output=True, text=True).stdout.split()
    failures += [f"undefined symbol {sym}" for sym in undefined if re.match(r"(PAPI_|hwloc_|H5)", sym)]
    print("NEEDED:", ", ".join(needed))
    return failures


def runpath(*libs):
    failures = []
    for lib in libs:
        dyn = subprocess.run(["readelf", "-d", lib], check=True, capture_output=True, text=True).stdout
        for kind, value in re.findall(r"\((RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[([^\]]*)\]", dyn):
            for entry in value.split(":"):
                if not entry.startswith("/") and not entry.startswith("$ORIGIN"):
                    failures.append(f"{lib}: {kind} entry '{entry}' is empty or relative")
    print(f"{len(libs)} libraries checked")
    return failures


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "runpath":
        failures = runpath(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "coverage":
        failures = coverage(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "dependencies":
        failures = dependencies(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "counters":
        failures = counters(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
