! Fortran entries beyond handles (1-based indices, 600 requests, strings, datatype arrays,
! a Fortran reduction, ranges) through `use mpi_f08`.
#define HPCMON_F08 1
#include "fortran_more_body.inc"
