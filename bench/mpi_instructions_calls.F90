! Loop of one MPI call for instruction counts (bench/mpi_fortran_instructions.sh): argv 1 = send |
! waitall | waitany, argv 2 = calls. `use mpi`, or `use mpi_f08` with -DHPCMON_F08.
program mpi_instructions_calls
#ifdef HPCMON_F08
  use mpi_f08
  implicit none
  type(MPI_Request) :: nulls(2)
#else
  use mpi
  implicit none
  integer :: nulls(2)
#endif
  integer :: ierr, idx, v, n
  integer(8) :: i
  character(len=32) :: arg
  call MPI_Init(ierr)
  call get_command_argument(2, arg)
  read (arg, *) n
  call get_command_argument(1, arg)
  nulls = MPI_REQUEST_NULL
  v = 1
  do i = 1, n
    select case (trim(arg))
    case ('send')
      call MPI_Send(v, 1, MPI_INTEGER, MPI_PROC_NULL, 0, MPI_COMM_WORLD, ierr)
    case ('waitall')
      call MPI_Waitall(2, nulls, MPI_STATUSES_IGNORE, ierr)
    case ('waitany')
      call MPI_Waitany(2, nulls, idx, MPI_STATUS_IGNORE, ierr)
    end select
  end do
  call MPI_Finalize(ierr)
end program mpi_instructions_calls
