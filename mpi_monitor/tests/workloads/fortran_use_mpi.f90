! Known-traffic workload through the `use mpi` module (same entries as mpif.h).
program fortran_use_mpi
  use mpi
  implicit none
  character(len=*), parameter :: workload = 'fortran_use_mpi'
  include 'fortran_body.inc'
end program fortran_use_mpi
