#!/usr/bin/python3
"""Writes the MPI wrappers of libhpcmon_mpi.so into the build tree.

Signatures come from the installed mpi.h (and mpi-ext.h when present), preprocessed by the
MPI C compiler; semantics come from mpi_functions.tsv. Templates below hold no per-function
knowledge: each role of the table maps to one accounting call of src/accounting.hpp or
src/completion.hpp. Nothing this script writes is committed.

Usage: generate_wrappers.py --table mpi_functions.tsv --mpicc mpicc --out DIR
Fortran entries (gen/fortran_entries.py) for every row whose pmpi_<name>_ the --fortran-lib
library defines, and mpi_f08 entries for every row whose pmpi_<name>_f08_ the mpi_f08 library
beside it (libmpi_usempif08.so) defines.
Outputs: DIR/function_ids.hpp, DIR/function_ids.cpp, DIR/wrappers.cpp, DIR/notes.txt
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

from fortran_entries import FortranError, entry_text as fortran_entry_text

ROLE_ARITY = {
    "none": 0, "excluded": 0, "manual": 0,
    "send": 4, "recv": 1, "irecv": 4, "sendrecv": 5,
    "psend_init": 5, "precv_init": 4, "start": 1, "startall": 2, "request_free": 1,
    "wait": 2, "test": 3, "waitall": 3, "testall": 4, "waitany": 4, "testany": 5,
    "waitsome": 5, "testsome": 5,
    "count_type": 2, "bcast": 4, "gather": 6, "gatherv": 6, "scatter": 6, "scatterv": 6,
    "allgather": 3, "allgatherv": 3, "alltoall": 6, "alltoallv": 6, "alltoallw": 6,
    "reduce_scatter": 3, "reduce_scatter_block": 3,
    "neighbor": 3, "neighbor_v": 3, "neighbor_w": 3,
    "comm_new": 2, "comm_free": 1, "comm_spawn": 3, "comm_connect": 3, "comm_join": 1,
    "comm_parent": 1, "intercomm_create": 3,
}
COLLECTIVE_ROLES = {"bcast", "gather", "gatherv", "scatter", "scatterv", "allgather", "allgatherv",
                    "alltoall", "alltoallv", "alltoallw", "reduce_scatter",
                    "reduce_scatter_block", "neighbor", "neighbor_v", "neighbor_w"}
COMM_ROLES = {"comm_new", "comm_free", "comm_spawn", "comm_connect", "comm_join", "comm_parent",
              "intercomm_create"}
FLAGS = {"poll", "persistent", "optional", "manual"}


class TableError(Exception):
    pass


def read_table(path):
    rows = []
    for lineno, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 5:
            raise TableError(f"{path}:{lineno}: expected 5 tab-separated columns, got {len(cols)}")
        name, family, role, args, last = cols
        if role not in ROLE_ARITY:
            raise TableError(f"{path}:{lineno}: {name}: unknown role '{role}'")
        args = [] if args == "-" else args.split(",")
        if role not in ("excluded",) and len(args) != ROLE_ARITY[role]:
            raise TableError(f"{path}:{lineno}: {name}: role {role} takes {ROLE_ARITY[role]} args")
        if role == "excluded":
            flags, reason = set(), last
            if not reason or reason == "-":
                raise TableError(f"{path}:{lineno}: {name}: an excluded row needs a reason")
        else:
            flags, reason = (set() if last == "-" else set(last.split(","))), ""
            if not flags <= FLAGS:
                raise TableError(f"{path}:{lineno}: {name}: unknown flags {sorted(flags - FLAGS)}")
        rows.append(dict(name=name, family=family, role=role, args=args, flags=flags,
                         reason=reason, line=lineno))
    return rows


def preprocess(mpicc):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write("#include <mpi.h>\n#if defined(__has_include)\n#if __has_include(<mpi-ext.h>)\n"
                    "#include <mpi-ext.h>\n#endif\n#endif\n")
        out = subprocess.run([mpicc, "-E", "-DOMPI_SKIP_MPICXX", src], check=True,
                             capture_output=True, text=True).stdout
    return re.sub(r"^#.*$", "", out, flags=re.M)


def split_params(text):
    params, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            params.append(cur.strip())
            cur = ""
            continue
        depth += ch in "(["
        depth -= ch in ")]"
        cur += ch
    if cur.strip():
        params.append(cur.strip())
    return [] if params == ["void"] else params


def param_name(param):
    if param == "...":
        return "..."
    m = re.search(r"(\w+)\s*(\[[^\]]*\]\s*)*$", param)
    if not m:
        raise TableError(f"cannot find the parameter name in '{param}'")
    return m.group(1)


def parse_prototypes(text):
    protos = {}
    pattern = re.compile(r"\b(int|double|MPI_\w+)\s+((?:MPIX?)_\w+)\s*\(([^;{]*?)\)\s*"
                         r"(?:__attribute__\s*\(\(.*?\)\)\s*)*;", re.S)
    for m in pattern.finditer(text):
        params = split_params(" ".join(m.group(3).split()))
        protos[m.group(2)] = dict(ret=m.group(1), params=params,
                                  names=[param_name(p) for p in params],
                                  variadic=any(p == "..." for p in params))
    return protos


def role_code(row, names):
    """(pre, call_expr, post) for one row; `names` are the prototype's parameter names."""
    role, a, persistent = row["role"], row["args"], "persistent" in row["flags"]
    for arg in a:
        if not re.fullmatch(r"-?\d+", arg) and arg not in names:
            raise TableError(f"table line {row['line']}: {row['name']}: no parameter '{arg}' "
                             f"in mpi.h (parameters: {', '.join(names)})")
    call_args = list(names)
    pre, post = [], []
    call = None
    if role in ("none", "excluded"):
        pass
    elif role == "send":
        post.append(f"b = hm::acct_send(t, {a[0]}, {a[1]}, {a[2]}, {a[3]});")
    elif role in ("recv", "sendrecv"):
        status = a[-1]
        pre.append(f"MPI_Status hm_local; MPI_Status* hm_st = {status} == MPI_STATUS_IGNORE ? &hm_local : {status};")
        call_args[names.index(status)] = "hm_st"
        received = "(rc == MPI_SUCCESS ? hm::status_bytes(hm_st) : 0)"
        if role == "recv":
            post.append(f"b = {received};")
        else:
            post.append(f"b = hm::acct_send(t, {a[0]}, {a[1]}, {a[2]}, {a[3]}) + {received};")
    elif role == "irecv":
        post.append(f"hm::acct_irecv(t, rc, {a[0]}, {a[1]}, {a[2]}, *{a[3]});")
    elif role == "psend_init":
        post.append(f"hm::acct_psend_init(t, rc, {a[0]}, {a[1]}, {a[2]}, {a[3]}, *{a[4]});")
    elif role == "precv_init":
        post.append(f"hm::acct_precv_init(t, rc, {a[0]}, {a[1]}, {a[2]}, *{a[3]});")
    elif role == "start":
        post.append(f"b = rc == MPI_SUCCESS ? hm::acct_start(t, *{a[0]}) : 0;")
    elif role == "startall":
        post.append(f"b = rc == MPI_SUCCESS ? hm::acct_startall(t, {a[0]}, {a[1]}) : 0;")
    elif role == "request_free":
        pre.append(f"if ({a[0]}) hm::request_forget(t, *{a[0]});")
    elif role in ("wait", "test", "waitall", "testall", "waitany", "testany", "waitsome", "testsome"):
        helper = {"waitsome": "do_some", "testsome": "do_some"}.get(role, "do_" + role)
        call = f"hm::{helper}(next, t, {', '.join(a)}, &b)"
    elif role == "count_type":
        post.append(f"b = hm::type_bytes({a[0]}, {a[1]});")
    elif role in COLLECTIVE_ROLES:
        expr = f"hm::coll_{role}({', '.join(a)})"
        if persistent:
            if "request" not in names:
                raise TableError(f"{row['name']}: a persistent collective needs a 'request' parameter")
            post.append(f"hm::acct_pcoll_init(t, rc, rc == MPI_SUCCESS ? {expr} : 0, *request);")
        else:
            post.append(f"b = {expr};")
    elif role == "comm_new":
        post.append(f"if (rc == MPI_SUCCESS) hm::comm_created(*{a[1]}, {a[0]}, hm::Origin::derived);")
    elif role == "comm_free":
        pre.append(f"if ({a[0]}) hm::comm_freed(*{a[0]});")
    elif role == "comm_spawn":
        post.append(f"if (rc == MPI_SUCCESS) hm::comm_created(*{a[2]}, {a[1]}, hm::Origin::spawned, {a[0]});")
    elif role == "comm_connect":
        post.append(f"if (rc == MPI_SUCCESS) hm::comm_created(*{a[2]}, {a[1]}, hm::Origin::connected, {a[0]});")
    elif role == "comm_join":
        post.append(f"if (rc == MPI_SUCCESS) hm::comm_created(*{a[0]}, nullptr, hm::Origin::joined);")
    elif role == "comm_parent":
        post.append(f"if (rc == MPI_SUCCESS) hm::comm_created(*{a[0]}, nullptr, hm::Origin::parent);")
    elif role == "intercomm_create":
        post.append(f"if (rc == MPI_SUCCESS) hm::comm_intercomm_created(*{a[2]}, {a[1]});")
    else:
        raise TableError(f"{row['name']}: role {role} has no template")
    if call is None:
        call = f"next({', '.join(call_args)})"
    return pre, call, post


# Take an existing request and do not return a new one.
REQUEST_USERS = {"MPI_Cancel", "MPI_Request_free", "MPI_Start", "MPI_Test", "MPI_Wait"}


def new_request_param(name, proto):
    """The `MPI_Request *` parameter through which a call returns a new request, or None."""
    if name in REQUEST_USERS:
        return None
    for param, pname in zip(proto["params"], proto["names"]):
        if re.fullmatch(r"MPI_Request\s*\*\s*\w+", param):
            return pname
    return None


def trace_args(row, proto):
    """(peer, tag, comm) expressions of a traced event (src/trace_args.hpp), from the
    prototype's parameter names: comm, dest/source/root, tag/sendtag; a receive's status."""
    typed = dict(zip(proto["names"], proto["params"]))

    def has(name, ctype):
        p = typed.get(name)
        return p is not None and re.fullmatch(rf"{ctype}\s+{name}", p) is not None

    comm = "comm" if has("comm", "MPI_Comm") else None
    peer_arg = next((n for n in ("dest", "source", "root") if has(n, "int")), None)
    tag_arg = next((n for n in ("tag", "sendtag") if has(n, "int")), None)
    peer = f"hm::trace_peer({comm}, {peer_arg})" if comm and peer_arg else "-1"
    tag = tag_arg or "-1"
    if row["role"] == "recv" and comm:
        peer = f"hm::trace_status_peer({comm}, rc, hm_st, {peer_arg or -1})"
        tag = f"hm::trace_status_tag(rc, hm_st, {tag_arg or -1})"
    return peer, tag, (f"hm::trace_comm({comm})" if comm else "hm::kTraceNoComm")


def wrapper(row, proto):
    """The record function (all bookkeeping, generic in how it forwards) and the C entry."""
    name = row["name"]
    params = ", ".join(proto["params"])
    names = proto["names"]
    pre, call, post = role_code(row, names)
    peer, tag, comm = trace_args(row, proto)
    if new_request := new_request_param(name, proto):
        # Before the role's own bookkeeping: a stale entry of a reused handle must never match.
        post.insert(0, f"if (t) hm::request_created(t, rc, *{new_request});")
    poll = "poll" in row["flags"]
    fn = f"hm::F_{name}"
    lines = ["template <class Next>",
             f"HPCMON_HOT int rec_{name}(Next next, {params}) {{"]
    begin = f"call.begin_poll({fn})" if poll else f"call.begin({fn})"
    if row["role"] in COMM_ROLES:
        # Communicator bookkeeping runs even while recording is paused (MPI_Pcontrol(0)),
        # so the peer tables never describe a freed communicator.
        lines += ["  hm::Call call;",
                  f"  const bool rec = {begin};",
                  f"  if (!rec && !hm::g_active) return next({', '.join(names)});",
                  "  hm::ThreadTables* t = rec ? call.tables() : nullptr;",
                  "  (void)t;"]
        lines += ["  " + p for p in pre]
        lines += [f"  int rc = {call};", "  if (rec) call.stop();"]
        lines += ["  " + p for p in post]
        lines += [f"  if (rec && HPCMON_UNLIKELY(hm::g_tracing)) call.trace(0, {peer}, {tag}, {comm});",
                  "  if (rec) call.commit(rc, 0);", "  return rc;", "}", ""]
    else:
        lines += ["  hm::Call call;",
                  f"  if (!{begin}) return next({', '.join(names)});",
                  "  hm::ThreadTables* t = call.tables();",
                  "  (void)t;",
                  "  std::uint64_t b = 0;"]
        lines += ["  " + p for p in pre]
        lines.append(f"  int rc = {call};")
        if not poll:
            lines.append("  call.stop();")
        lines += ["  " + p for p in post]
        if not poll:
            lines.append(f"  if (HPCMON_UNLIKELY(hm::g_tracing)) call.trace(b, {peer}, {tag}, {comm});")
        lines += [f"  call.{'commit_poll' if poll else 'commit'}(rc, b);", "  return rc;", "}", ""]
    lines += [f'extern "C" int {name}({params}) {{',
              f"  using Next = decltype(&::{name});",
              f"  return rec_{name}(reinterpret_cast<Next>(hm::next_fn({fn})), {', '.join(names)});",
              "}", ""]
    return "\n".join(lines)


def fortran_library_symbols(path):
    if not path or not os.path.exists(path):
        return set()
    out = subprocess.run(["nm", "-D", "--defined-only", path], check=True, capture_output=True,
                         text=True).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.split()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", required=True)
    ap.add_argument("--mpicc", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--fortran-lib", default="",
                    help="the MPI's mpif.h library (libmpi_mpifh.so): its pmpi_*_ entries")
    opts = ap.parse_args()
    try:
        rows = read_table(opts.table)
        protos = parse_prototypes(preprocess(opts.mpicc))
        fortran_symbols = fortran_library_symbols(opts.fortran_lib)
        # Open MPI installs the mpi_f08 library beside the mpif.h one.
        f08_symbols = fortran_library_symbols(
            os.path.join(os.path.dirname(opts.fortran_lib), "libmpi_usempif08.so")
            if opts.fortran_lib else "")
        f08_count = 0
        ids, wrappers, notes, fortran = [], [], [], []
        for row in rows:
            name = row["name"]
            if row["role"] == "excluded":
                continue
            proto = protos.get(name)
            if proto is None:
                if "optional" in row["flags"]:
                    notes.append(f"{name}: not declared by this MPI, skipped (optional row)")
                    continue
                raise TableError(f"table line {row['line']}: {name} is not declared by mpi.h "
                                 f"(mark the row optional if some MPI libraries lack it)")
            ids.append(name)
            if row["role"] == "manual":
                continue
            if proto["ret"] != "int" or proto["variadic"]:
                raise TableError(f"{name}: returns {proto['ret']} or is variadic: mark it manual "
                                 f"or excluded")
            wrappers.append(wrapper(row, proto))
            lower = name.lower()
            have_mpifh, have_f08 = f"p{lower}_" in fortran_symbols, f"p{lower}_f08_" in f08_symbols
            if not (have_mpifh or have_f08):
                if fortran_symbols:
                    notes.append(f"{name}: no Fortran entry (no pmpi_*_ entry in the Fortran libraries)")
                continue
            try:
                fortran.append(fortran_entry_text(row, proto, new_request_param(name, proto),
                                                  have_mpifh, have_f08))
                f08_count += have_f08
            except FortranError as e:
                notes.append(f"{name}: no Fortran entry ({e})")
    except TableError as e:
        print(f"generate_wrappers.py: {e}", file=sys.stderr)
        return 1
    os.makedirs(opts.out, exist_ok=True)
    write_if_changed(os.path.join(opts.out, "function_ids.hpp"), "\n".join([
        "// Generated by gen/generate_wrappers.py from mpi_functions.tsv. Do not edit.",
        "#pragma once", "", "namespace hpcmon::mpi {", "",
        "enum Fn : int {"] + [f"  F_{n}," for n in ids] + [
        "  kFunctionCount", "};", "",
        "extern const char* const kFunctionNames[kFunctionCount];", "",
        "}  // namespace hpcmon::mpi", ""]))
    write_if_changed(os.path.join(opts.out, "function_ids.cpp"), "\n".join([
        "// Generated by gen/generate_wrappers.py from mpi_functions.tsv. Do not edit.",
        '#include "function_ids.hpp"', "", "namespace hpcmon::mpi {", "",
        "const char* const kFunctionNames[kFunctionCount] = {"] + [f'    "{n}",' for n in ids] + [
        "};", "", "}  // namespace hpcmon::mpi", ""]))
    write_if_changed(os.path.join(opts.out, "wrappers.cpp"), "\n".join([
        "// Generated by gen/generate_wrappers.py from mpi_functions.tsv and mpi.h. Do not edit.",
        "#include <mpi.h>",
        "#if defined(__has_include)",
        "#if __has_include(<mpi-ext.h>)",
        "#include <mpi-ext.h>",
        "#endif",
        "#endif",
        "#include <cstdint>",
        '#include "accounting.hpp"',
        '#include "completion.hpp"',
        '#include "fortran_api.hpp"',
        '#include "fortran_arrays.hpp"',
        '#include "lifecycle.hpp"',
        '#include "trace_args.hpp"',
        "",
        "// Deprecated MPI-2 functions (MPI_Attr_get...) are still called by programs: wrap them.",
        '#pragma GCC diagnostic ignored "-Wdeprecated-declarations"',
        "",
        "namespace hm = hpcmon::mpi;",
        ""] + wrappers + [
        "// Fortran entries (mpif.h, `use mpi`, `use mpi_f08`): the same record functions,",
        "// forwarded to pmpi_*_ and pmpi_*_f08_.",
        ""] + fortran))
    write_if_changed(os.path.join(opts.out, "notes.txt"),
                     "\n".join(notes + [f"{len(ids)} functions recorded, {len(wrappers)} generated, "
                                         f"{len(fortran)} with Fortran entries, {f08_count} with mpi_f08 entries"]) + "\n")
    return 0


def write_if_changed(path, text):
    try:
        if open(path, encoding="utf-8").read() == text:
            return
    except OSError:
        pass
    # Atomic: make may run this rule twice at once for its several outputs.
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
