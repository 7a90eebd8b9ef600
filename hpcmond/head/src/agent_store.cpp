// Agent pushes (agent_store.hpp).
#include "hpcmon/head/agent_store.hpp"

#include <chrono>

namespace hpcmon::head {
namespace {

using nlohmann::json;

ApiError bad_body(const std::string& message) { return ApiError{ErrorType::bad_body, message, ""}; }

bool is_string(const json& object, const char* key) {
  return object.contains(key) && object[key].is_string() && !object[key].get<std::string>().empty();
}

}  // namespace

Outcome AgentStore::push(const std::string& body) {
  return push(body, std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count());
}

void AgentStore::forget_stale(std::int64_t now_ns) {
  for (auto agent = agents_.begin(); agent != agents_.end();) {
    if (now_ns - agent->second.heard_ns > forget_after_ns_) {
      agent = agents_.erase(agent);
      continue;
    }
    auto& heard = agent->second.step_heard;
    for (auto step = heard.begin(); step != heard.end();) {
      if (now_ns - step->second > forget_after_ns_) {
        agent->second.steps.erase(step->first);
        agent->second.mpi.erase(step->first);
        step = heard.erase(step);
      } else {
        ++step;
      }
    }
    ++agent;
  }
}

std::size_t AgentStore::agent_count() const {
  std::lock_guard lock(mutex_);
  return agents_.size();
}

std::size_t AgentStore::step_count() const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (const auto& [id, agent] : agents_) count += agent.steps.size();
  return count;
}

Outcome AgentStore::push(const std::string& body, std::int64_t now_ns) {
  const json message = json::parse(body, nullptr, false);
  if (message.is_discarded() || !message.is_object()) return bad_body("body is not a JSON object");
  if (!message.contains("v") || !message["v"].is_number_integer() || message["v"].get<int>() != 1)
    return bad_body("unknown payload version (expected \"v\": 1)");
  const std::string kind = message.value("kind", "");
  if (kind != "samples" && kind != "record_ready") return bad_body("kind must be samples or record_ready");
  if (!message.contains("seq") || !message["seq"].is_number_unsigned() || message["seq"].get<std::uint64_t>() == 0)
    return bad_body("seq must be a positive integer");
  if (!message.contains("agent") || !message["agent"].is_object() || !is_string(message["agent"], "node") ||
      !is_string(message["agent"], "instance"))
    return bad_body("agent.node and agent.instance are required");
  if (kind == "samples" && (!message.contains("samples") || !message["samples"].is_object()))
    return bad_body("samples must be an object");
  if (kind == "record_ready" && (!message.contains("record") || !message["record"].is_object()))
    return bad_body("record must be an object");

  const std::uint64_t seq = message["seq"].get<std::uint64_t>();
  const std::string node = message["agent"]["node"].get<std::string>();
  const std::string id = node + "/" + message["agent"]["instance"].get<std::string>();
  {
    std::lock_guard lock(mutex_);
    forget_stale(now_ns);
    Agent& agent = agents_[id];
    agent.heard_ns = now_ns;
    if (seq <= agent.contiguous || agent.above.count(seq)) {
      ++duplicates_;
      return json{{"stored", false}, {"duplicate", true}, {"seq", seq}};
    }
    agent.above.insert(seq);
    while (!agent.above.empty() && *agent.above.begin() == agent.contiguous + 1) {
      agent.above.erase(agent.above.begin());
      ++agent.contiguous;
    }
    // A bounded spool may drop messages: a gap never closes, so keep the set small.
    while (agent.above.size() > 4096) {
      agent.contiguous = *agent.above.begin();
      agent.above.erase(agent.above.begin());
    }
    agent.last_push_ns = message.value("sent_ns", std::int64_t{0});
    if (kind == "samples") {
      const json& samples = message["samples"];
      if (samples.contains("node") && samples["node"].is_array() && !samples["node"].empty())
        agent.last_node = samples["node"].back();
      if (samples.contains("steps") && samples["steps"].is_array())
        for (const auto& step : samples["steps"])
          if (step.is_object()) {
            const std::string key = step.value("job", "") + "." + step.value("step", "");
            agent.steps[key] = step;
            agent.step_heard[key] = now_ns;
          }
      if (samples.contains("mpi") && samples["mpi"].is_array())
        for (const auto& entry : samples["mpi"])
          if (entry.is_object()) {
            const std::string key = entry.value("job", "") + "." + entry.value("step", "");
            auto& kept = agent.mpi[key];
            // Pushes retried from a spool may arrive late: the newest reading stays.
            if (kept.is_null() || kept.value("t_ns", std::int64_t{0}) <= entry.value("t_ns", std::int64_t{0})) kept = entry;
            agent.step_heard[key] = now_ns;
          }
    } else {
      // The step ended on this node: its live reading is history now.
      const json& record = message["record"];
      agent.steps.erase(record.value("job", "") + "." + record.value("step", ""));
      agent.mpi.erase(record.value("job", "") + "." + record.value("step", ""));
      agent.step_heard.erase(record.value("job", "") + "." + record.value("step", ""));
    }
    ++stored_;
  }
  if (kind == "record_ready" && on_record_ready_) on_record_ready_();
  return json{{"stored", true}, {"seq", seq}};
}

nlohmann::json AgentStore::live() const {
  std::lock_guard lock(mutex_);
  json out = json::object();
  for (const auto& [id, agent] : agents_) {
    const std::string node = id.substr(0, id.find('/'));
    json steps = json::array();
    for (const auto& [key, step] : agent.steps) steps.push_back(step);
    json& entry = out[node];
    if (entry.is_null() || entry.value("sent_ns", std::int64_t{0}) <= agent.last_push_ns)
      entry = {{"node", node}, {"sent_ns", agent.last_push_ns}, {"heard_ns", agent.heard_ns},
               {"reading", agent.last_node}, {"steps", steps}};
  }
  return out;
}

std::vector<nlohmann::json> AgentStore::live_mpi() const {
  std::lock_guard lock(mutex_);
  std::vector<json> out;
  for (const auto& [id, agent] : agents_)
    for (const auto& [key, entry] : agent.mpi) {
      out.push_back(entry);
      out.back()["node"] = id.substr(0, id.find('/'));
    }
  return out;
}

std::uint64_t AgentStore::stored() const {
  std::lock_guard lock(mutex_);
  return stored_;
}

std::uint64_t AgentStore::duplicates() const {
  std::lock_guard lock(mutex_);
  return duplicates_;
}

}  // namespace hpcmon::head
