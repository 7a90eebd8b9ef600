! A Fortran rank that aborts the job while its peer waits in MPI_Recv for a message that never
! comes: through `use mpi`, or `use mpi_f08` when HPCMON_F08 is defined. Rank 1 sends 2
! integers, makes 3 Barriers, then calls MPI_Abort with error code 7.
program fortran_abort
#ifdef HPCMON_F08
  use mpi_f08
#else
  use mpi
#endif
  implicit none
  integer :: ierr, rank, i, v(2)

  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  v = (/ rank, 42 /)
  if (rank == 1) call MPI_Send(v, 2, MPI_INTEGER, 0, 1, MPI_COMM_WORLD, ierr)
  if (rank == 0) call MPI_Recv(v, 2, MPI_INTEGER, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE, ierr)
  do i = 1, 3
    call MPI_Barrier(MPI_COMM_WORLD, ierr)
  end do
  if (rank == 1) then
    print '(A)', 'fortran_abort: rank 1 aborts'
    flush(6)
    call MPI_Abort(MPI_COMM_WORLD, 7, ierr)
  else
    call MPI_Recv(v, 2, MPI_INTEGER, 1, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE, ierr)
  end if
  call MPI_Finalize(ierr)
end program fortran_abort
