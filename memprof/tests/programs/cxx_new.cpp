// C++ allocations: operator new through libstdc++ is the user's (leak_with_new), libstdc++'s own
// allocations are not. Leaks MEMPROF_TEST_BLOCKS arrays of MEMPROF_TEST_SIZE bytes.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

static char* volatile sink;

__attribute__((noinline)) void leak_with_new(std::size_t blocks, std::size_t size) {
  for (std::size_t i = 0; i < blocks; ++i) sink = new char[size];
}

int main() {
  auto number = [](const char* name, std::size_t fallback) {
    const char* text = std::getenv(name);
    return text != nullptr ? std::strtoull(text, nullptr, 10) : fallback;
  };
  std::vector<std::string> balanced;
  for (int i = 0; i < 100; ++i) balanced.push_back(std::string(100, 'x'));
  leak_with_new(number("MEMPROF_TEST_BLOCKS", 3), number("MEMPROF_TEST_SIZE", 500));
  std::cout << "cxx done " << balanced.size() << std::endl;
}
