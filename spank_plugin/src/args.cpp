#include "args.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>
#include <string_view>

namespace hpcmon::spank {
namespace {

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool valid_papi_preset(std::string_view e) {
  if (e.size() <= 5 || e.substr(0, 5) != "PAPI_") return false;
  for (char c : e)
    if (!(std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  return true;
}

bool valid_perf_event(std::string_view e) {
  static const std::set<std::string_view> known = {
      "perf::task-clock",     "perf::cpu-clock",   "perf::context-switches", "perf::cpu-migrations",
      "perf::page-faults",    "perf::minor-faults", "perf::major-faults"};
  return known.count(e) != 0;
}

// component:::event, component of word characters, event starting with a word character.
bool valid_native_event(std::string_view e) {
  std::size_t sep = e.find(":::");
  if (sep == std::string_view::npos || sep == 0 || sep + 3 >= e.size()) return false;
  for (char c : e.substr(0, sep))
    if (!is_word_char(c)) return false;
  std::string_view ev = e.substr(sep + 3);
  if (!is_word_char(ev[0])) return false;
  for (char c : ev)
    if (!is_word_char(c) && std::string_view(":.-=@/").find(c) == std::string_view::npos) return false;
  return true;
}

bool valid_bool_word(const std::string& v, bool* out) {
  if (v == "on") *out = true;
  else if (v == "off") *out = false;
  else return false;
  return true;
}

}  // namespace

bool valid_absolute_path(const std::string& path) {
  if (path.empty() || path[0] != '/' || path.size() >= 4096) return false;
  for (char c : path)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

bool valid_interval(const std::string& seconds) {
  // Plain decimals only (`2`, `0.25`): the ranks parse the same text as YAML.
  if (seconds.empty() || seconds.size() > 32) return false;
  if (!std::isdigit(static_cast<unsigned char>(seconds.front())) || !std::isdigit(static_cast<unsigned char>(seconds.back())))
    return false;
  int dots = 0;
  for (char c : seconds)
    if (!std::isdigit(static_cast<unsigned char>(c)) && (c != '.' || ++dots > 1)) return false;
  char* end = nullptr;
  double v = std::strtod(seconds.c_str(), &end);
  return end && *end == '\0' && std::isfinite(v) && v >= 0.01 && v <= 3600;
}

bool valid_trace_events(const std::string& count) {
  if (count.empty() || count.size() > 8 || count.front() == '0') return false;
  for (char c : count)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return std::stoll(count) <= (1LL << 26);
}

bool valid_events(const std::string& csv) {
  if (csv.empty()) return false;
  std::set<std::string_view> seen;
  std::string_view rest(csv);
  while (true) {
    std::size_t comma = rest.find(',');
    std::string_view e = rest.substr(0, comma);
    if (!(valid_papi_preset(e) || valid_perf_event(e) || valid_native_event(e))) return false;
    if (!seen.insert(e).second) return false;
    if (comma == std::string_view::npos) return true;
    rest = rest.substr(comma + 1);
  }
}

std::vector<std::string> split_list(const std::string& csv) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (from <= csv.size()) {
    std::size_t comma = csv.find(',', from);
    if (comma == std::string::npos) comma = csv.size();
    if (comma > from) out.push_back(csv.substr(from, comma - from));
    from = comma + 1;
  }
  return out;
}

PluginArgs parse_args(int ac, const char* const* av, std::vector<std::string>* problems) {
  PluginArgs args;
  auto bad = [&](const std::string& key, const std::string& value) {
    if (problems) problems->push_back("hpcmon: " + key + ": invalid value: " + value);
  };
  for (int i = 0; i < ac; ++i) {
    const std::string word = av[i] ? av[i] : "";
    const std::size_t eq = word.find('=');
    if (eq == std::string::npos) {
      bad(word, "");
      continue;
    }
    const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "record_dir" || key == "agent_socket" || key == "run_dir" || key == "preload" ||
        key == "mem_preload") {
      if (!valid_absolute_path(value)) {
        bad(key, value);
        continue;
      }
      std::string& field = key == "record_dir"     ? args.record_dir
                           : key == "agent_socket" ? args.agent_socket
                           : key == "run_dir"      ? args.run_dir
                           : key == "mem_preload"  ? args.mem_preload
                                                   : args.preload;
      field = value;
      // Trailing slashes would make two spellings of one directory.
      while (field.size() > 1 && field.back() == '/') field.pop_back();
    } else if (key == "default") {
      if (!valid_bool_word(value, &args.default_on)) bad(key, value);
    } else if (key == "mem_default") {
      if (!valid_bool_word(value, &args.mem_default_on)) bad(key, value);
    } else if (key == "trace") {
      if (!valid_bool_word(value, &args.trace_default_on)) bad(key, value);
    } else if (key == "trace_events") {
      if (valid_trace_events(value)) args.trace_events = value;
      else bad(key, value);
    } else if (key == "interval") {
      if (valid_interval(value)) args.interval = value;
      else bad(key, value);
    } else if (key == "events") {
      if (valid_events(value)) args.events = value;
      else bad(key, value);
    } else {
      bad(key, value);
    }
  }
  if (args.mem_preload.empty())
    args.mem_preload = args.preload.substr(0, args.preload.rfind('/') + 1) + "libhpcmon_mem.so";
  return args;
}

}  // namespace hpcmon::spank
