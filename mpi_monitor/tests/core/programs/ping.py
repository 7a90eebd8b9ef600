# mpi4py (which loads libmpi into a local scope): rank 0 sends 5 messages of 10 doubles to
# rank 1, which prints their sum.
from array import array

from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
buf = array("d", [0.0] * 10)
total = 0.0
for k in range(5):
    if rank == 0:
        buf = array("d", [k + i * 0.25 for i in range(10)])
        comm.Send([buf, MPI.DOUBLE], dest=1, tag=k)
    elif rank == 1:
        comm.Recv([buf, MPI.DOUBLE], source=0, tag=k)
        total += sum(buf)
if rank == 1:
    print("ping.py: sum %r" % total)
