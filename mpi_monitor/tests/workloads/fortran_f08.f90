! Known-traffic workload through `use mpi_f08` (calls reach mpi_send_f08_ and friends): the
! traffic of fortran_body.inc in mpi_f08 syntax, so fortran_f08.expected is the same table.
! Calls alternate between giving ierror and leaving it out (a null pointer in the entry).
program fortran_f08
  use mpi_f08
  implicit none
  character(len=*), parameter :: workload = 'fortran_f08'
  integer :: ierr, rank, nprocs, peer, subrank, i, round
  type(MPI_Status) :: status, statuses(2)
  type(MPI_Request) :: req_recv, req_send, reqs(2)
  type(MPI_Comm) :: sub, dup
  integer :: iv(4), isend(3)
  double precision :: a(10), b(10), x(3), y(3), z(5), w(2), s(1)
  integer(8) :: bits(16), all_bits(16, 2)

  call MPI_Init()
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nprocs)
  peer = 1 - rank
  b = 0d0
  iv = -1
  do i = 1, 10
    a(i) = 1d0 / dble(i + 3 * rank)
  end do

  ! Blocking: 10 doubles 0 -> 1 (received with ANY_SOURCE and a status), 4 doubles 1 -> 0
  ! (received into room for 10 with MPI_STATUS_IGNORE).
  if (rank == 0) then
    call MPI_Send(a, 10, MPI_DOUBLE_PRECISION, 1, 7, MPI_COMM_WORLD, ierr)
    call MPI_Recv(b, 10, MPI_DOUBLE_PRECISION, 1, 8, MPI_COMM_WORLD, MPI_STATUS_IGNORE)
  else
    call MPI_Recv(b, 10, MPI_DOUBLE_PRECISION, MPI_ANY_SOURCE, 7, MPI_COMM_WORLD, status, ierr)
    if (status%MPI_SOURCE /= 0) stop 2
    call MPI_Send(a, 4, MPI_DOUBLE_PRECISION, 0, 8, MPI_COMM_WORLD)
  end if

  ! Non-blocking, twice: 3 integers each way into room for 4; the receive completes with a
  ! status in round 1 and with MPI_STATUS_IGNORE in round 2.
  do round = 1, 2
    isend = (/ rank + round, 10 * rank, 100 + round /)
    call MPI_Irecv(iv, 4, MPI_INTEGER, peer, 9, MPI_COMM_WORLD, req_recv, ierr)
    call MPI_Isend(isend, 3, MPI_INTEGER, peer, 9, MPI_COMM_WORLD, req_send)
    call MPI_Wait(req_send, MPI_STATUS_IGNORE, ierr)
    if (round == 1) then
      call MPI_Wait(req_recv, status)
    else
      call MPI_Wait(req_recv, MPI_STATUS_IGNORE, ierr)
    end if
    if (req_recv /= MPI_REQUEST_NULL) stop 3
  end do

  ! The same through Waitall: with statuses in round 3, MPI_STATUSES_IGNORE in round 4.
  do round = 3, 4
    isend = (/ rank + round, 10 * rank, 100 + round /)
    call MPI_Irecv(iv, 4, MPI_INTEGER, peer, 9, MPI_COMM_WORLD, reqs(1))
    call MPI_Isend(isend, 3, MPI_INTEGER, peer, 9, MPI_COMM_WORLD, reqs(2), ierr)
    if (round == 3) then
      call MPI_Waitall(2, reqs, statuses, ierr)
      if (statuses(1)%MPI_SOURCE /= peer) stop 4
    else
      call MPI_Waitall(2, reqs, MPI_STATUSES_IGNORE)
    end if
  end do

  ! Collectives: Bcast of 5 doubles from root 1; an MPI_IN_PLACE Allreduce and a plain one of
  ! 3 doubles; an MPI_IN_PLACE Reduce of 2 doubles to root 0; Barrier.
  do i = 1, 5
    z(i) = dble(rank + 1) / dble(i + 2)
  end do
  call MPI_Bcast(z, 5, MPI_DOUBLE_PRECISION, 1, MPI_COMM_WORLD, ierr)
  x = (/ 1d0 / 3d0 + rank, 1d-17 * (rank + 1), 7d0 / (rank + 11) /)
  call MPI_Allreduce(MPI_IN_PLACE, x, 3, MPI_DOUBLE_PRECISION, MPI_SUM, MPI_COMM_WORLD)
  y = (/ 2d0 / 7d0, 1d0 + rank, 1d0 / (rank + 3) /)
  call MPI_Allreduce(y, a(1:3), 3, MPI_DOUBLE_PRECISION, MPI_SUM, MPI_COMM_WORLD, ierr)
  w = (/ 1d0 / (rank + 5), 3d0 * rank /)
  if (rank == 0) then
    call MPI_Reduce(MPI_IN_PLACE, w, 2, MPI_DOUBLE_PRECISION, MPI_SUM, 0, MPI_COMM_WORLD, ierr)
  else
    call MPI_Reduce(w, w, 2, MPI_DOUBLE_PRECISION, MPI_SUM, 0, MPI_COMM_WORLD)
  end if
  call MPI_Barrier(MPI_COMM_WORLD)

  ! A split (key -rank reverses the order), its duplicate, one double reduced on it.
  call MPI_Comm_split(MPI_COMM_WORLD, 0, -rank, sub, ierr)
  call MPI_Comm_dup(sub, dup)
  call MPI_Comm_rank(dup, subrank, ierr)
  s(1) = 1d0 / (subrank + 7)
  call MPI_Allreduce(MPI_IN_PLACE, s, 1, MPI_DOUBLE_PRECISION, MPI_SUM, dup)
  call MPI_Comm_free(dup, ierr)
  call MPI_Comm_free(sub)

  ! Results as bit patterns, gathered to rank 0 (16 INTEGER(8) per rank) and printed there:
  ! identical with and without the preload.
  bits(1:2) = (/ transfer(b(1), 1_8), transfer(b(4), 1_8) /)
  bits(3:5) = transfer(x, (/ 1_8 /))
  bits(6:8) = transfer(a(1:3), (/ 1_8 /))
  bits(9) = transfer(z(5), 1_8)
  bits(10:11) = transfer(w, (/ 1_8 /))
  bits(12) = transfer(s(1), 1_8)
  bits(13:16) = iv
  call MPI_Gather(bits, 16, MPI_INTEGER8, all_bits, 16, MPI_INTEGER8, 0, MPI_COMM_WORLD, ierr)
  if (rank == 0) then
    do i = 1, 2
      write (*, '(A, A, I0, 12(1X, Z16.16), 4(1X, I0))') workload, ' rank ', i - 1, all_bits(:, i)
    end do
  end if
  call MPI_Finalize()
end program fortran_f08
