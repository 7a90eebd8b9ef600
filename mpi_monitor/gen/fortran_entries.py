"""Fortran entry points of libhpcmon_mpi.so, written beside the C wrappers by generate_wrappers.py.

mpif.h and `use mpi` programs call mpi_<name>_ (aliases mpi_<name>, mpi_<name>__, MPI_<NAME>);
`use mpi_f08` programs call mpi_<name>_f08_. Open MPI gives both the same arguments: everything
by reference (an mpi_f08 handle is its one INTEGER, an mpi_f08 status the same MPI_STATUS_SIZE
INTEGERs), ierror last (optional in mpi_f08: a null pointer when absent), then one hidden length
per CHARACTER argument. So one body per function serves both bindings: it converts only what
the shared record function reads (handles with *_f2c, 1-based indices, statuses, the datatype
arrays of alltoallw) and forwards the program's own arguments to pmpi_<name>_ or
pmpi_<name>_f08_, so MPI_IN_PLACE, MPI_BOTTOM, MPI_STATUS(ES)_IGNORE, LOGICALs, strings and
callbacks keep the meaning the MPI's Fortran binding gives them. An argument the record function
does not read (a string, a callback, an output array of datatypes) reaches it as a null pointer.
"""
import re
from dataclasses import dataclass, field

HANDLE_TYPES = {"MPI_Comm": "Comm", "MPI_Datatype": "Type", "MPI_Op": "Op", "MPI_Group": "Group",
                "MPI_Info": "Info", "MPI_Win": "Win", "MPI_Errhandler": "Errhandler",
                "MPI_Message": "Message", "MPI_Request": "Request", "MPI_File": "File"}
WIDE_SCALARS = {"MPI_Aint", "MPI_Offset", "MPI_Count"}
# Roles whose record function reads a datatype array: its length, given the role's arguments.
TYPE_ARRAY_EXTENTS = {
    # alltoallw reads the send types, or the receive types when sending MPI_IN_PLACE (the send
    # arguments are then ignored by the MPI and may be any array).
    "alltoallw": lambda a: {
        a[2]: f"hm::fortran_api().buffer({a[0]}) == MPI_IN_PLACE ? 0 : hm::fortran_comm_peers({a[5]})",
        a[4]: f"hm::fortran_api().buffer({a[0]}) == MPI_IN_PLACE ? hm::fortran_comm_peers({a[5]}) : 0"},
    "neighbor_w": lambda a: {a[1]: f"hm::fortran_comm_outdegree({a[2]})"},
}
COMPLETION_ROLES = {"waitall", "testall", "waitany", "testany", "waitsome", "testsome"}
# Roles that read requests and statuses only for this thread's pending receives: their entries
# compute rx_pending once and convert nothing more when it is false.
RX_FLAG_ROLES = COMPLETION_ROLES | {"wait", "test"}
INDEX_ROLES = {"waitany", "testany"}
INDICES_ROLES = {"waitsome", "testsome"}


class FortranError(Exception):
    pass


@dataclass
class Arg:
    decl: str                  # the entry's parameter: "MPI_Fint* comm"
    c_arg: str                 # what the record function gets
    forward: str               # what pmpi_<name>_ gets, inside the forwarding lambda
    setup: list = field(default_factory=list)   # before the record function
    post: list = field(default_factory=list)    # after forwarding, inside the lambda
    hidden: str = ""           # a CHARACTER argument's hidden length parameter
    scratch: tuple = ()        # (C type, key of its length n_<key>) from the per-thread block
    extent: str = ""           # expression of n_<key> when it is not the count argument

    @property
    def name(self):
        return self.decl[self.decl.rfind(" ") + 1:]


def c_type(param, pname):
    idx = param.rfind(pname)
    ctype = param[:idx] + param[idx + len(pname):]
    return " ".join(ctype.replace("const", " ").split()).replace(" *", "*").replace(" [", "[")


def map_arg(row, param, pname, read, count_name):
    """How one C parameter travels through a Fortran entry; None if it cannot."""
    ctype = c_type(param, pname)
    role, a = row["role"], row["args"]
    unread = pname not in read
    if ctype == "void*":
        return Arg(f"void* {pname}", f"hm::fortran_api().buffer({pname})", pname)
    if ctype == "int" or ctype in WIDE_SCALARS:
        t = "MPI_Fint" if ctype == "int" else ctype
        return Arg(f"{t}* {pname}", f"*{pname}", pname)
    if role in INDEX_ROLES and pname == a[2]:
        # One index, 1-based in Fortran; MPI_UNDEFINED is the same value in both languages.
        return Arg(f"MPI_Fint* {pname}", f"&c_{pname}", pname,
                   setup=[f"int c_{pname} = MPI_UNDEFINED;"],
                   post=[f"*a_{pname} = *{pname} == MPI_UNDEFINED ? MPI_UNDEFINED : *{pname} - 1;"])
    if role in INDICES_ROLES and pname == a[3]:
        outcount = a[2]
        return Arg(f"MPI_Fint* {pname}", f"c_{pname}", pname,
                   post=[f"if (*{outcount} != MPI_UNDEFINED) "
                         f"for (int k = 0; k < *{outcount} && k < n_{count_name}; ++k) "
                         f"a_{pname}[k] = {pname}[k] - 1;"],
                   scratch=("int", count_name))
    if ctype in ("int*", "int[]"):
        return Arg(f"MPI_Fint* {pname}", pname, pname)
    if ctype in (t + s for t in WIDE_SCALARS for s in ("*", "[]")):
        return Arg(f"{ctype.rstrip('*[]')}* {pname}", pname, pname)
    if ctype in HANDLE_TYPES:
        kind = HANDLE_TYPES[ctype]
        return Arg(f"MPI_Fint* {pname}", f"hm::fortran_api().{kind}_f2c(*{pname})", pname)
    if ctype.endswith("*") and ctype[:-1] in HANDLE_TYPES:
        t, kind = ctype[:-1], HANDLE_TYPES[ctype[:-1]]
        return Arg(f"MPI_Fint* {pname}", f"&c_{pname}", pname,
                   setup=[f"{t} c_{pname} = hm::fortran_api().{kind}_f2c(*{pname});"],
                   post=[f"if (a_{pname}) *a_{pname} = hm::fortran_api().{kind}_f2c(*{pname});"])
    if ctype == "MPI_Status*" and "const" in param:
        # An input status (MPI_Get_count...): converted before the call.
        return Arg(f"MPI_Fint* {pname}", f"&c_{pname}", pname,
                   setup=[f"MPI_Status c_{pname};",
                          f"hm::fortran_api().Status_f2c({pname}, &c_{pname});"])
    if ctype == "MPI_Status*" and not pname.startswith("array_of_"):
        # The record function needs the status even when the program ignores it (the wait/test
        # roles only when a receive is pending).
        when = "rx_pending && " if role in RX_FLAG_ROLES else ""
        return Arg(f"MPI_Fint* {pname}", f"&c_{pname}", f"fs_{pname}",
                   setup=[f"MPI_Status c_{pname};",
                          f"MPI_Fint f_{pname}[hm::kFortranStatusInts];",
                          f"MPI_Fint* fs_{pname} = {when}hm::fortran_api().status_ignored({pname}) ? f_{pname} : {pname};"],
                   post=[f"if ({when}a_{pname} != MPI_STATUS_IGNORE) hm::fortran_api().Status_f2c(fs_{pname}, a_{pname});"])
    if pname.startswith("array_of_") and ctype in ("MPI_Request[]", "MPI_Request*") and count_name:
        # The wait/test roles read the requests only to find this thread's pending receives
        # among them (completion.hpp): with none pending, no conversion at all.
        when = "rx_pending && " if role in COMPLETION_ROLES else ""
        return Arg(f"MPI_Fint* {pname}", f"c_{pname}", pname,
                   setup=[f"for (int i = 0; {when}i < n_{count_name}; ++i) "
                          f"c_{pname}[i] = hm::fortran_api().Request_f2c({pname}[i]);"],
                   post=[f"for (int i = 0; {when}i < n_{count_name}; ++i) "
                         f"a_{pname}[i] = hm::fortran_api().Request_f2c({pname}[i]);"],
                   scratch=("MPI_Request", count_name))
    if pname.startswith("array_of_") and ctype in ("MPI_Status[]", "MPI_Status*") and count_name:
        # Room for the statuses even when the program ignores them (bytes of receives).
        when = "rx_pending && " if role in RX_FLAG_ROLES else ""
        return Arg(f"MPI_Fint* {pname}", f"c_{pname}", f"fs_{pname}",
                   setup=[f"MPI_Fint* f_{pname} = scratch.take<MPI_Fint>(n_{count_name} * hm::kFortranStatusStride);",
                          f"MPI_Fint* fs_{pname} = {when}hm::fortran_api().statuses_ignored({pname}) ? f_{pname} : {pname};"],
                   post=[f"for (int i = 0; {when}i < n_{count_name}; ++i) "
                         f"hm::fortran_api().Status_f2c(fs_{pname} + i * hm::kFortranStatusStride, &a_{pname}[i]);"],
                   scratch=("MPI_Status", count_name))
    if ctype in ("MPI_Datatype[]", "MPI_Datatype*") and pname in TYPE_ARRAY_EXTENTS.get(role, lambda a: {})(a):
        return Arg(f"MPI_Fint* {pname}", f"c_{pname}", pname,
                   setup=[f"for (int i = 0; i < n_{pname}; ++i) "
                          f"c_{pname}[i] = hm::fortran_api().Type_f2c({pname}[i]);"],
                   scratch=("MPI_Datatype", pname), extent=TYPE_ARRAY_EXTENTS[role](a)[pname])
    if not unread:
        return None
    # Arguments the record function never reads: passed through untouched.
    if ctype in ("char*", "char[]", "char*[]", "char**", "char**[]", "char***"):
        # CHARACTER: the address, and a hidden length after ierror.
        return Arg(f"char* {pname}", "nullptr", pname, hidden=f"std::size_t {pname}_len")
    if re.fullmatch(r"MPI_\w+_function\*", ctype):
        # A procedure (user reduction, attribute or error callback): its address.
        return Arg(f"void* {pname}", "nullptr", pname)
    if re.fullmatch(r"(MPI_\w+|int)(\[\]|\*)(\[\d+\])?", ctype) or ctype == "int[][3]":
        # An array of handles or INTEGERs (Type_create_struct's types, Group_range_incl's ranges).
        return Arg(f"MPI_Fint* {pname}", "nullptr", pname)
    return None


def entry_text(row, proto, new_request, have_mpifh, have_f08):
    """The body and the entries of one function, or raise FortranError with the reason."""
    name, names = row["name"], proto["names"]
    lower = name.lower()
    read = set(row["args"]) | ({new_request} if new_request else set())
    count_name = next((n for n in names if n in ("count", "incount")), None)
    args = []
    for param, pname in zip(proto["params"], names):
        arg = map_arg(row, param, pname, read, count_name)
        if arg is None:
            raise FortranError(f"argument '{param}' has no Fortran mapping")
        args.append(arg)
    fparams = [a.decl for a in args] + ["MPI_Fint* ierr"] + [a.hidden for a in args if a.hidden]
    fnames = [d[d.rfind(" ") + 1:] for d in fparams]
    ftypes = [d[:d.rfind(" ")] for d in fparams]
    fnext_type = f"FNext_{name}"
    lines = [f"using {fnext_type} = void (*)({', '.join(ftypes)});",
             f"HPCMON_HOT void fortran_{name}({fnext_type} fnext, {', '.join(fparams)}) {{"]
    hidden_forward = [a.hidden[a.hidden.rfind(" ") + 1:] for a in args if a.hidden]
    scratch = [a for a in args if a.scratch]
    if scratch:
        # Arrays: only a call that records converts them (see fortran_arrays.hpp).
        direct = f"fnext({', '.join(fnames)});"
        lines += ["  if (!hm::fortran_records()) {", f"    {direct}", "    return;", "  }"]
        extents = {}
        for a in scratch:
            key = a.scratch[1]
            if key not in extents:
                extents[key] = a.extent or f"hm::fortran_extent({key})"
                lines.append(f"  const int n_{key} = {extents[key]};")
        sizes = []
        for a in scratch:
            sizes.append(f"hm::scratch_bytes<{a.scratch[0]}>(n_{a.scratch[1]})")
            if a.scratch[0] == "MPI_Status":
                sizes.append(f"hm::scratch_bytes<MPI_Fint>(n_{a.scratch[1]} * hm::kFortranStatusStride)")
        lines += [f"  hm::FortranScratch scratch({' + '.join(sizes)});",
                  "  if (!scratch) {", f"    {direct}", "    return;", "  }"]
        for a in scratch:
            lines.append(f"  {a.scratch[0]}* c_{a.name} = scratch.take<{a.scratch[0]}>(n_{a.scratch[1]});")
    lines += ["  MPI_Fint own_ierr = 0;", "  MPI_Fint* e = ierr ? ierr : &own_ierr;"]
    if row["role"] in RX_FLAG_ROLES:
        lines.append("  const bool rx_pending = hm::fortran_receives_pending();")
    lines += ["  " + s for a in args for s in a.setup]
    lambda_params = []
    for param, pname in zip(proto["params"], names):
        idx = param.rfind(pname)
        lambda_params.append(param[:idx] + "a_" + pname + param[idx + len(pname):])
    forward = [a.forward for a in args] + ["e"] + hidden_forward
    lines += [f"  auto forward = [&]({', '.join(lambda_params)}) -> int {{"]
    lines += [f"    (void)a_{n};" for n in names]
    lines += [f"    fnext({', '.join(forward)});"]
    lines += ["    " + s for a in args for s in a.post]
    lines += ["    return static_cast<int>(*e);", "  };",
              f"  rec_{name}(forward{''.join(', ' + a.c_arg for a in args)});", "}"]
    call_args = ", ".join(fnames)
    decl = ", ".join(fparams)
    if have_mpifh:
        lines += [f'HPCMON_FORTRAN_ENTRY void {lower}_({decl}) {{',
                  f'  fortran_{name}(reinterpret_cast<{fnext_type}>(hm::fortran_next(hm::F_{name}, "p{lower}_")), {call_args});',
                  "}"]
        for alias in (lower, lower + "__", name.upper()):
            lines.append(f'HPCMON_FORTRAN_ENTRY void {alias}({decl}) __attribute__((alias("{lower}_")));')
    if have_f08:
        lines += [f'HPCMON_FORTRAN_ENTRY void {lower}_f08_({decl}) {{',
                  f'  fortran_{name}(reinterpret_cast<{fnext_type}>(hm::fortran_f08_next(hm::F_{name}, "p{lower}_f08_")), {call_args});',
                  "}"]
    lines.append("")
    return "\n".join(lines)
