! Fortran entries beyond handles (1-based indices, 600 requests, strings, datatype arrays,
! a Fortran reduction, ranges) through `use mpi`.
#include "fortran_more_body.inc"
