// What node agents push (POST /api/v1/agent/push, docs/api.md): the latest node readings,
// step readings and steps' MPI progress (with the ranks' live tables) per node, kept in
// memory, each (node, instance, seq) stored at most once.
// A "record ready" notice asks the record scan to run now.
// Never: trusts the user or path of a notice (the scan reads files and their owners itself).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hpcmon/head/http.hpp"

namespace hpcmon::head {

class AgentStore {
 public:
  // `on_record_ready` is called (outside the lock) for each new record notice.
  // Agents and steps not heard from for `forget_after_ns` (the head's clock) are dropped, so
  // departed nodes, restarted agents and steps whose end notice was lost do not pile up.
  explicit AgentStore(std::function<void()> on_record_ready = {},
                      std::int64_t forget_after_ns = 600LL * 1000000000)
      : on_record_ready_(std::move(on_record_ready)), forget_after_ns_(forget_after_ns) {}
  // Validates and stores one push; returns the answer's data or a typed error.
  Outcome push(const std::string& body);
  Outcome push(const std::string& body, std::int64_t now_ns);  // `now_ns`: the head's receive time
  std::size_t agent_count() const;
  std::size_t step_count() const;
  // Per node: the agent's last node reading, its time and the running steps' last readings.
  nlohmann::json live() const;
  // The latest MPI entry (samples.mpi[]) of every running step on every node, each with
  // "node" set to the pushing agent's node.
  std::vector<nlohmann::json> live_mpi() const;
  std::uint64_t stored() const;
  std::uint64_t duplicates() const;

 private:
  struct Agent {
    std::uint64_t contiguous = 0;   // every seq up to this one was stored
    std::set<std::uint64_t> above;  // stored seqs beyond `contiguous`
    nlohmann::json last_node;       // latest node reading
    std::map<std::string, nlohmann::json> steps;  // "job.step" -> latest reading
    std::map<std::string, nlohmann::json> mpi;    // "job.step" -> latest MPI entry
    std::int64_t last_push_ns = 0;
    std::int64_t heard_ns = 0;                     // the head's clock at the last push
    std::map<std::string, std::int64_t> step_heard;  // "job.step" -> heard_ns of its reading
  };
  void forget_stale(std::int64_t now_ns);  // under mutex_
  std::function<void()> on_record_ready_;
  std::int64_t forget_after_ns_;
  mutable std::mutex mutex_;
  std::map<std::string, Agent> agents_;  // "node/instance"
  std::uint64_t stored_ = 0, duplicates_ = 0;
};

}  // namespace hpcmon::head
