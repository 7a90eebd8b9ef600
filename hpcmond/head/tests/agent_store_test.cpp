// The agent store forgets agents and steps not heard from within its window, by the head's
// clock, so departed nodes and steps whose end notice was lost do not pile up.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hpcmon/head/agent_store.hpp"

namespace hpcmon::head {
namespace {

constexpr std::int64_t kSecond = 1000000000;

std::string samples(const std::string& instance, std::uint64_t seq, const std::vector<std::string>& jobs) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& job : jobs) steps.push_back({{"job", job}, {"step", "0"}, {"cpu", 1.0}});
  return nlohmann::json{{"v", 1},
                        {"kind", "samples"},
                        {"seq", seq},
                        {"agent", {{"node", "n-" + instance}, {"instance", instance}}},
                        {"samples", {{"node", nlohmann::json::array({{{"cpu", 0.5}}})}, {"steps", steps}}}}
      .dump();
}

TEST(AgentStore, AgentsAndStepsNotHeardFromAreForgotten) {
  AgentStore store({}, 60 * kSecond);
  const std::int64_t t0 = 1795813200LL * kSecond;
  ASSERT_TRUE(std::holds_alternative<nlohmann::json>(store.push(samples("a", 1, {"1", "2"}), t0)));
  ASSERT_TRUE(std::holds_alternative<nlohmann::json>(store.push(samples("b", 1, {"3"}), t0)));
  EXPECT_EQ(store.agent_count(), 2u);
  EXPECT_EQ(store.step_count(), 3u);
  // Agent a keeps pushing, step 2 no longer in its readings; agent b fell silent.
  for (std::uint64_t i = 2; i <= 4; ++i) store.push(samples("a", i, {"1"}), t0 + static_cast<std::int64_t>(i) * 30 * kSecond);
  EXPECT_EQ(store.agent_count(), 1u);
  EXPECT_EQ(store.step_count(), 1u);
  EXPECT_EQ(store.live().size(), 1u);
  EXPECT_TRUE(store.live().contains("n-a"));
  // Many restarted instances of one node do not accumulate.
  for (int i = 0; i < 100; ++i)
    store.push(samples("r" + std::to_string(i), 1, {}), t0 + (200 + 120LL * i) * kSecond);
  EXPECT_EQ(store.agent_count(), 1u);
}

}  // namespace
}  // namespace hpcmon::head
