#include "hpcmon/agent/protocol.hpp"

#include <charconv>
#include <limits>

#include <nlohmann/json.hpp>

namespace hpcmon::agent {
namespace {

using nlohmann::json;

struct Missing {
  std::string what;
};

const json& field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) throw Missing{std::string("missing field \"") + name + "\""};
  return *it;
}

template <class Int>
Int integer(const json& j, const char* name, bool required = true, Int fallback = 0) {
  auto it = j.find(name);
  if (it == j.end()) {
    if (required) throw Missing{std::string("missing field \"") + name + "\""};
    return fallback;
  }
  if (!it->is_number_integer()) throw Missing{std::string("field \"") + name + "\" is not an integer"};
  if (it->is_number_unsigned()) {
    const auto v = it->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<Int>::max()))
      throw Missing{std::string("field \"") + name + "\" is out of range"};
    return static_cast<Int>(v);
  }
  const auto v = it->get<std::int64_t>();
  if (v < static_cast<std::int64_t>(std::numeric_limits<Int>::min()) ||
      (v > 0 && static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(std::numeric_limits<Int>::max())))
    throw Missing{std::string("field \"") + name + "\" is out of range"};
  return static_cast<Int>(v);
}

std::string text(const json& j, const char* name, bool required = false) {
  auto it = j.find(name);
  if (it == j.end()) {
    if (required) throw Missing{std::string("missing field \"") + name + "\""};
    return {};
  }
  if (!it->is_string()) throw Missing{std::string("field \"") + name + "\" is not a string"};
  return it->get<std::string>();
}

// argv and events may come as one string or as a list of strings.
std::vector<std::string> words(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) return {};
  if (it->is_string()) return {it->get<std::string>()};
  if (!it->is_array()) throw Missing{std::string("field \"") + name + "\" is not a string or a list"};
  std::vector<std::string> out;
  for (const auto& item : *it) {
    if (!item.is_string()) throw Missing{std::string("field \"") + name + "\" holds a non-string"};
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::string job_id_of(const json& j) {
  const json& v = field(j, "job_id");
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_string()) {
    auto s = v.get<std::string>();
    if (!s.empty() && s.size() < 20 && s.find_first_not_of("0123456789") == std::string::npos) return s;
  }
  throw Missing{"field \"job_id\" is not a job number"};
}

}  // namespace

ParseResult parse_event(std::string_view line) {
  ParseResult result;
  if (line.size() > kMaxLineBytes) {
    result.error = "line longer than 64 KiB";
    return result;
  }
  json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    result.error = "not JSON";
    return result;
  }
  if (!j.is_object()) {
    result.error = "not a JSON object";
    return result;
  }
  try {
    const json& v = field(j, "v");
    if (!v.is_number_integer() || v.get<std::int64_t>() != kProtocolVersion) {
      result.unknown_version = true;
      result.error = "unknown protocol version " + v.dump();
      return result;
    }
    Event e;
    const std::string kind = text(j, "event", true);
    if (kind == "step_start") e.kind = EventKind::step_start;
    else if (kind == "task_start") e.kind = EventKind::task_start;
    else if (kind == "task_exit") e.kind = EventKind::task_exit;
    else if (kind == "step_end") e.kind = EventKind::step_end;
    else if (kind == "job_end") e.kind = EventKind::job_end;
    else throw Missing{"unknown event \"" + kind.substr(0, 40) + "\""};
    e.id.job_id = job_id_of(j);
    if (e.kind != EventKind::job_end) {
      e.id.step = text(j, "step", true);
      if (e.id.step.empty()) throw Missing{"empty field \"step\""};
    }
    switch (e.kind) {
      case EventKind::step_start: {
        auto& s = e.start;
        s.cluster = text(j, "cluster");
        s.job = text(j, "job");
        if (s.job.empty()) s.job = e.id.job_id;
        s.restart_count = integer<std::uint32_t>(j, "restart_count", false);
        s.uid = integer<uid_t>(j, "uid");
        s.gid = integer<gid_t>(j, "gid", false, s.uid);
        s.user = text(j, "user", true);
        s.node = text(j, "node", true);
        if (s.user.empty() || s.node.empty()) throw Missing{"empty \"user\" or \"node\""};
        s.start_ns = integer<std::int64_t>(j, "start_ns");
        s.ntasks = integer<std::uint32_t>(j, "ntasks", false);
        s.local_tasks = integer<std::uint32_t>(j, "local_tasks", false);
        s.cpus = text(j, "cpus");
        s.mem_bytes = integer<std::uint64_t>(j, "mem_bytes", false);
        s.time_limit_s = integer<std::uint64_t>(j, "time_limit_s", false);
        s.job_name = text(j, "job_name");
        s.partition = text(j, "partition");
        s.account = text(j, "account");
        s.node_list = text(j, "node_list");
        std::string argv;
        for (const auto& w : words(j, "argv")) argv += (argv.empty() ? "" : " ") + w;
        s.argv = argv;
        s.run_dir = text(j, "run_dir");
        const std::string monitor = text(j, "monitor");
        if (!monitor.empty() && monitor != "on" && monitor != "off") throw Missing{"field \"monitor\" is not on or off"};
        s.monitor = monitor != "off";
        s.events = words(j, "events");
        if (const std::string mem = text(j, "mem_profile"); !mem.empty()) {
          if (mem != "on" && mem != "off") throw Missing{"field \"mem_profile\" is not on or off"};
          s.mem_profile = mem == "on";
        }
        break;
      }
      case EventKind::task_start:
      case EventKind::task_exit:
        e.task.task = integer<std::int32_t>(j, "task", false, -1);
        e.task.global_task = integer<std::int32_t>(j, "global_task", false, e.task.task);
        e.task.pid = integer<pid_t>(j, "pid");
        if (e.task.pid <= 0) throw Missing{"field \"pid\" is not a process id"};
        if (e.kind == EventKind::task_exit) e.task.status = integer<int>(j, "status");
        break;
      case EventKind::step_end:
        e.end.end_ns = integer<std::int64_t>(j, "end_ns");
        e.end.exit_status = integer<std::int32_t>(j, "exit_status");
        break;
      case EventKind::job_end:
        break;
    }
    result.event = std::move(e);
  } catch (const Missing& m) {
    result.error = m.what;
  }
  return result;
}

std::uint32_t count_cpu_list(std::string_view list) {
  std::uint32_t count = 0;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    unsigned a = 0, b = 0;
    const auto dash = item.find('-');
    const auto first = item.substr(0, dash);
    auto whole = [](std::string_view text, unsigned& v) {
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      return ec == std::errc() && end == text.data() + text.size() && !text.empty();
    };
    if (!whole(first, a)) return 0;
    b = a;
    if (dash != std::string_view::npos) {
      const auto second = item.substr(dash + 1);
      if (!whole(second, b) || b < a) return 0;
    }
    count += b - a + 1;
  }
  return count;
}

}  // namespace hpcmon::agent
