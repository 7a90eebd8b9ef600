! Known-traffic workload through mpif.h (calls reach mpi_send_ and friends).
program fortran_mpif
  implicit none
  include 'mpif.h'
  character(len=*), parameter :: workload = 'fortran_mpif'
  include 'fortran_body.inc'
end program fortran_mpif
