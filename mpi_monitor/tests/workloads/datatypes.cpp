// Known-traffic workload (C++): derived datatypes, 2 ranks. Bytes are count x MPI_Type_size,
// i.e. the data moved, not the extent:
//   triple = MPI_Type_contiguous(3, MPI_DOUBLE)               size 24 B
//   column = MPI_Type_vector(4 blocks, 2 ints, stride 5)      size 32 B (extent 68 B)
//   item   = MPI_Type_create_struct {int, double[2], char}    size 21 B (extent 32 B)
// World rank 0 gathers one checksum per rank and prints it with %a.
// Expected calls, bytes and traffic: datatypes.expected (same folder).
#include <mpi.h>

#include <array>
#include <cstddef>
#include <cstdio>
#include <vector>

namespace {

constexpr int kRanks = 2;
double checksum = 0.0;

template <typename T>
void fold(const T* v, int n) {
  for (int i = 0; i < n; ++i) checksum = checksum * 1.0000001 + static_cast<double>(v[i]);
}

struct Item {
  int id;
  double xy[2];
  char tag;
};

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != kRanks) {
    if (rank == 0) std::fprintf(stderr, "datatypes: needs exactly %d ranks\n", kRanks);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const int partner = 1 - rank;

  MPI_Datatype triple, column, item;
  MPI_Type_contiguous(3, MPI_DOUBLE, &triple);
  MPI_Type_commit(&triple);
  MPI_Type_vector(4, 2, 5, MPI_INT, &column);
  MPI_Type_commit(&column);
  {
    const int lengths[3] = {1, 2, 1};
    const MPI_Aint offsets[3] = {offsetof(Item, id), offsetof(Item, xy), offsetof(Item, tag)};
    const MPI_Datatype types[3] = {MPI_INT, MPI_DOUBLE, MPI_CHAR};
    MPI_Type_create_struct(3, lengths, offsets, types, &item);
    MPI_Type_commit(&item);
  }

  std::vector<double> d(30);
  std::vector<int> grid(40);
  std::array<Item, 3> items{};

  if (rank == 0) {
    // 4 triples (96 B), received on rank 1 into a 10-triple buffer: 96 B from the status.
    for (int i = 0; i < 12; ++i) d[i] = i / 3.0;
    MPI_Send(d.data(), 4, triple, partner, 40, MPI_COMM_WORLD);
    // 2 columns (64 B), received on rank 1 as 16 plain ints (64 B).
    for (int i = 0; i < 40; ++i) grid[i] = i * i;
    MPI_Send(grid.data(), 2, column, partner, 41, MPI_COMM_WORLD);
    // 3 items (63 B) back from rank 1.
    MPI_Recv(items.data(), 3, item, partner, 42, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    for (const Item& it : items) {
      fold(&it.id, 1);
      fold(it.xy, 2);
      fold(&it.tag, 1);
    }
  } else {
    MPI_Status st;
    MPI_Recv(d.data(), 10, triple, partner, 40, MPI_COMM_WORLD, &st);
    int got = 0;
    MPI_Get_count(&st, triple, &got);
    fold(d.data(), 3 * got);
    MPI_Recv(grid.data(), 16, MPI_INT, partner, 41, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    fold(grid.data(), 16);
    for (int i = 0; i < 3; ++i) items[i] = Item{i + 1, {i * 0.5, i * -0.25}, static_cast<char>('a' + i)};
    MPI_Send(items.data(), 3, item, partner, 42, MPI_COMM_WORLD);
  }

  // MPI_Sendrecv of one column each way (32 B each).
  std::vector<int> col_out(20), col_in(20, 0);
  for (int i = 0; i < 20; ++i) col_out[i] = rank * 50 + i;
  MPI_Sendrecv(col_out.data(), 1, column, partner, 43, col_in.data(), 1, column, partner, 43,
               MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  fold(col_in.data(), 20);

  MPI_Type_free(&triple);
  MPI_Type_free(&column);
  MPI_Type_free(&item);

  std::array<double, kRanks> all{};
  MPI_Gather(&checksum, 1, MPI_DOUBLE, all.data(), 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank == 0)
    for (int r = 0; r < kRanks; ++r) std::printf("datatypes rank %d checksum %a\n", r, all[r]);
  MPI_Finalize();
  return 0;
}
