/* Not an MPI program: prints its arguments and a computed line, exits with code 3.
 * Run with and without the preload, its output and exit code must be identical. */
#include <stdio.h>

int main(int argc, char **argv) {
  double sum = 0;
  for (int i = 1; i <= 1000; ++i) sum += 1.0 / i;
  printf("plain: %d args, H(1000) = %.17g\n", argc, sum);
  for (int i = 1; i < argc; ++i) printf("arg %d: %s\n", i, argv[i]);
  fprintf(stderr, "plain: to stderr\n");
  return 3;
}
