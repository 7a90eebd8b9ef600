! Micro benchmark of the MPI preload's Fortran entries, 2 ranks, rank 0 measures. Built twice by
! bench/mpi_fortran_overhead.sh: `use mpi` and, with -DHPCMON_F08, `use mpi_f08`. One line per case:
!   send_proc_null : MPI_Send of 1 integer to MPI_PROC_NULL (a timed call, handles converted)
!   test_poll      : MPI_Test on a receive that stays pending (a polling call, a status kept)
!   waitall_2      : MPI_Waitall over 2 null requests, MPI_STATUSES_IGNORE (arrays converted
!                    in the per-thread block)
!   waitany_2      : MPI_Waitany over 2 null requests (1-based index, MPI_UNDEFINED)
! Usage: mpi_fortran_calls [calls per case]   (default 2,000,000)
program mpi_fortran_calls
#ifdef HPCMON_F08
  use mpi_f08
  implicit none
  type(MPI_Request) :: pending, nulls(2)
#else
  use mpi
  implicit none
  integer :: pending, nulls(2)
#endif
  integer :: ierr, rank, nprocs, value, incoming, go, idx
  integer(8) :: calls, i, t0, t1, rate
  logical :: flag
  character(len=32) :: arg

  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nprocs, ierr)
  if (nprocs /= 2) call MPI_Abort(MPI_COMM_WORLD, 2, ierr)
  calls = 2000000
  if (command_argument_count() > 0) then
    call get_command_argument(1, arg)
    read (arg, *) calls
  end if
  value = 1
  nulls = MPI_REQUEST_NULL
  do i = 1, 1000
    call MPI_Send(value, 1, MPI_INTEGER, MPI_PROC_NULL, 0, MPI_COMM_WORLD, ierr)
    call MPI_Waitall(2, nulls, MPI_STATUSES_IGNORE, ierr)
  end do

  if (rank == 0) then
    call system_clock(t0, rate)
    do i = 1, calls
      call MPI_Send(value, 1, MPI_INTEGER, MPI_PROC_NULL, 0, MPI_COMM_WORLD, ierr)
    end do
    call system_clock(t1)
    call report('send_proc_null', t1 - t0, rate, calls)

    call MPI_Irecv(incoming, 1, MPI_INTEGER, 1, 2, MPI_COMM_WORLD, pending, ierr)
    call system_clock(t0)
    do i = 1, calls
      call MPI_Test(pending, flag, MPI_STATUS_IGNORE, ierr)
    end do
    call system_clock(t1)
    call report('test_poll', t1 - t0, rate, calls)
    go = 1
    call MPI_Send(go, 1, MPI_INTEGER, 1, 3, MPI_COMM_WORLD, ierr)
    call MPI_Wait(pending, MPI_STATUS_IGNORE, ierr)

    call system_clock(t0)
    do i = 1, calls
      call MPI_Waitall(2, nulls, MPI_STATUSES_IGNORE, ierr)
    end do
    call system_clock(t1)
    call report('waitall_2', t1 - t0, rate, calls)

    call system_clock(t0)
    do i = 1, calls
      call MPI_Waitany(2, nulls, idx, MPI_STATUS_IGNORE, ierr)
    end do
    call system_clock(t1)
    if (idx /= MPI_UNDEFINED) call MPI_Abort(MPI_COMM_WORLD, 3, ierr)
    call report('waitany_2', t1 - t0, rate, calls)
  else
    call MPI_Recv(go, 1, MPI_INTEGER, 0, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE, ierr)
    call MPI_Send(value, 1, MPI_INTEGER, 0, 2, MPI_COMM_WORLD, ierr)
  end if
  call MPI_Finalize(ierr)
contains
  subroutine report(name, ticks, rate, calls)
    character(len=*), intent(in) :: name
    integer(8), intent(in) :: ticks, rate, calls
    print '(A, 1X, F0.2)', name, dble(ticks) * 1d9 / dble(rate) / dble(calls)
  end subroutine report
end program mpi_fortran_calls
