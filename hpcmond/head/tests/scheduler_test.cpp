// The scheduler's RPC statistics without a cluster: names of Slurm 22.05's RPC ids, rates
// across resets (never negative, totals that never fall), what reaches history, /metrics and
// the built-in scheduler rules. Readings are built as libslurm returns them.
#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>

#include "hpcmon/alerts/engine.hpp"
#include "hpcmon/head/scheduler_stats.hpp"
#include "hpcmon/history.hpp"

namespace hpcmon::head {
namespace {

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::uint32_t kSubmit = 4003, kJobInfo = 2003;
// Readings an hour ago, so that the store keeps them in its raw tier.
const std::int64_t kBase = static_cast<std::int64_t>(std::time(nullptr)) - 3600;

DaemonReading reading(std::int64_t t_s, std::int64_t since_s, std::uint64_t submits, std::uint64_t submit_us,
                      std::uint64_t infos, std::uint64_t info_us) {
  DaemonReading r;
  r.t_ns = (kBase + t_s) * kS;
  r.since_s = kBase + since_s;
  r.types[kSubmit] = {submits, submit_us};
  r.types[kJobInfo] = {infos, info_us};
  r.users[0] = {submits, submit_us};
  r.users[1000] = {infos, info_us};
  r.counters["jobs_submitted"] = submits;
  r.gauges["agent_queue_size"] = 3;
  r.gauges["backfill_last_cycle_s"] = 0.07;
  return r;
}

RateTracker tracker() {
  return RateTracker("slurmctld", controller_rpc_name,
                     [](std::uint32_t uid) { return uid == 0 ? std::string("root") : "u" + std::to_string(uid); });
}

const RpcFigures& find(const std::vector<RpcFigures>& list, std::uint32_t id) {
  for (const auto& f : list)
    if (f.id == id) return f;
  throw std::runtime_error("no id " + std::to_string(id));
}

TEST(SchedulerNames, Slurm2205Ids) {
  EXPECT_EQ(controller_rpc_name(4003), "REQUEST_SUBMIT_BATCH_JOB");
  EXPECT_EQ(controller_rpc_name(5018), "REQUEST_COMPLETE_BATCH_SCRIPT");
  EXPECT_EQ(controller_rpc_name(2035), "REQUEST_STATS_INFO");
  EXPECT_EQ(controller_rpc_name(10003), "ACCOUNTING_REGISTER_CTLD");
  EXPECT_EQ(controller_rpc_name(1008), "REQUEST_PING");
  EXPECT_EQ(dbd_rpc_name(1444), "DBD_GET_JOBS_COND");
  EXPECT_EQ(dbd_rpc_name(6500), "SLURM_PERSIST_INIT");
  EXPECT_EQ(dbd_rpc_name(1401), "DBD_FINI");
  EXPECT_EQ(controller_rpc_name(65000), "65000");  // unknown: its number
  EXPECT_EQ(dbd_rpc_name(7), "7");
}

TEST(SchedulerRates, FirstReadGivesTotalsButNoRate) {
  auto t = tracker();
  const DaemonView v = t.update(reading(100, 50, 20, 2000, 7, 700));
  EXPECT_EQ(v.interval_s, 0);
  const RpcFigures& submit = find(v.types, kSubmit);
  EXPECT_EQ(submit.name, "REQUEST_SUBMIT_BATCH_JOB");
  EXPECT_EQ(submit.count, 20u);
  EXPECT_EQ(submit.total, 20u);
  EXPECT_EQ(submit.rate_per_s, 0);
  EXPECT_FALSE(submit.interval_latency_s);
  EXPECT_DOUBLE_EQ(submit.mean_latency_s, 100e-6);
  EXPECT_EQ(v.counters.at("jobs_submitted").total, 20u);
}

TEST(SchedulerRates, IncreaseOverTheInterval) {
  auto t = tracker();
  t.update(reading(100, 50, 20, 2000, 7, 700));
  const DaemonView v = t.update(reading(110, 50, 40, 6000, 37, 3700));
  EXPECT_DOUBLE_EQ(v.interval_s, 10);
  EXPECT_FALSE(v.reset);
  const RpcFigures& submit = find(v.types, kSubmit);
  EXPECT_EQ(submit.interval_count, 20u);
  EXPECT_DOUBLE_EQ(submit.rate_per_s, 2.0);
  EXPECT_DOUBLE_EQ(*submit.interval_latency_s, 200e-6);  // 4000 µs over 20 calls
  EXPECT_EQ(submit.total, 40u);
  const RpcFigures& user = find(v.users, 1000);
  EXPECT_EQ(user.name, "u1000");
  EXPECT_DOUBLE_EQ(user.share, 30.0 / 50.0);
  EXPECT_DOUBLE_EQ(v.counters.at("jobs_submitted").rate_per_s, 2.0);
}

TEST(SchedulerRates, ResetByDataSinceCountsOnlyTheNewValue) {
  auto t = tracker();
  t.update(reading(100, 50, 20, 2000, 7, 700));
  t.update(reading(110, 50, 40, 6000, 37, 3700));
  // sdiag -r at t=115: new "Data since", counters restart; 5 submits since.
  const DaemonView v = t.update(reading(120, 115, 5, 500, 2, 200));
  EXPECT_TRUE(v.reset);
  EXPECT_EQ(v.resets, 1u);
  EXPECT_DOUBLE_EQ(v.interval_s, 5);  // from the reset, not from the previous read
  const RpcFigures& submit = find(v.types, kSubmit);
  EXPECT_EQ(submit.interval_count, 5u);
  EXPECT_DOUBLE_EQ(submit.rate_per_s, 1.0);
  EXPECT_EQ(submit.count, 5u);    // as sdiag shows it
  EXPECT_EQ(submit.total, 45u);   // never falls
  EXPECT_EQ(v.counters.at("jobs_submitted").total, 45u);
  for (const auto& f : v.types) EXPECT_GE(f.rate_per_s, 0);
  for (const auto& f : v.users) EXPECT_GE(f.rate_per_s, 0);
}

TEST(SchedulerRates, ACounterThatFallsIsAResetEvenWithTheSameDataSince) {
  auto t = tracker();
  t.update(reading(100, 50, 20, 2000, 7, 700));
  const DaemonView v = t.update(reading(110, 50, 3, 300, 9, 900));
  EXPECT_TRUE(v.reset);
  EXPECT_DOUBLE_EQ(v.interval_s, 10);
  EXPECT_EQ(find(v.types, kSubmit).interval_count, 3u);
  EXPECT_EQ(find(v.types, kJobInfo).interval_count, 9u);  // every counter: the whole table restarted
  EXPECT_EQ(find(v.types, kSubmit).total, 23u);
}

TEST(SchedulerRates, ATypeThatVanishesIsAReset) {
  auto t = tracker();
  t.update(reading(100, 50, 20, 2000, 7, 700));
  DaemonReading after = reading(110, 50, 25, 2500, 0, 0);
  after.types.erase(kJobInfo);
  after.users.erase(1000);
  const DaemonView v = t.update(after);
  EXPECT_TRUE(v.reset);
  EXPECT_EQ(find(v.types, kSubmit).interval_count, 25u);
  // Still listed, with its total: a /metrics counter never disappears with Slurm's slot.
  EXPECT_EQ(find(v.types, kJobInfo).count, 0u);
  EXPECT_EQ(find(v.types, kJobInfo).total, 7u);
  EXPECT_EQ(find(v.types, kJobInfo).rate_per_s, 0);
}

SchedulerView view_of(const DaemonView& controller) {
  SchedulerView view;
  view.cluster = "c1";
  view.interval_s = 10;
  view.controller = controller;
  view.controller_rpcs = 3;
  return view;
}

TEST(SchedulerView, MetricsCountersAreTheTotalsThatNeverFall) {
  auto t = tracker();
  t.update(reading(100, 50, 20, 2000, 7, 700));
  t.update(reading(110, 50, 40, 6000, 37, 3700));
  const std::string text = scheduler_exposition(view_of(t.update(reading(120, 115, 5, 500, 2, 200))));
  EXPECT_NE(text.find("# TYPE hpcmon_scheduler_rpcs_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("hpcmon_scheduler_rpcs_total{cluster=\"c1\",daemon=\"slurmctld\",rpc=\"REQUEST_SUBMIT_BATCH_JOB\","
                      "id=\"4003\"} 45\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("hpcmon_scheduler_user_rpcs_total{cluster=\"c1\",daemon=\"slurmctld\",user=\"u1000\",uid=\"1000\"} 39\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("hpcmon_scheduler_stats_resets_total{cluster=\"c1\",daemon=\"slurmctld\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("hpcmon_scheduler_agent_queue_size{cluster=\"c1\",daemon=\"slurmctld\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("hpcmon_scheduler_backfill_last_cycle_seconds{cluster=\"c1\",daemon=\"slurmctld\"} 0.07"), std::string::npos);
  EXPECT_NE(text.find("hpcmon_scheduler_collector_rpcs_total{cluster=\"c1\",daemon=\"slurmctld\"} 3\n"), std::string::npos);
}

TEST(SchedulerView, HistoryHoldsRatesAndLatenciesPerTypeAndUser) {
  const auto dir = std::filesystem::temp_directory_path() / ("hpcmon-sched-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    history::Options options;
    options.dir = dir;
    auto store = history::Store::open(options);
    auto t = tracker();
    store_scheduler_view(*store, view_of(t.update(reading(100, 50, 20, 2000, 7, 700))));
    store_scheduler_view(*store, view_of(t.update(reading(110, 50, 40, 6000, 37, 3700))));
    store_scheduler_view(*store, view_of(t.update(reading(120, 115, 5, 500, 2, 200))));
    history::Selector rates;
    rates.metric = "scheduler.rpc_rate";
    rates.labels.push_back({"rpc", "REQUEST_SUBMIT_BATCH_JOB", history::LabelMatcher::Op::equal});
    const auto result = store->range(rates, 0, (kBase + 200) * kS, 0);
    ASSERT_EQ(result.series.size(), 1u);
    ASSERT_EQ(result.series[0].points.size(), 2u);  // no rate from the first read
    EXPECT_DOUBLE_EQ(result.series[0].points[0].avg, 2.0);
    EXPECT_DOUBLE_EQ(result.series[0].points[1].avg, 1.0);
    EXPECT_EQ(result.series[0].labels.at("daemon"), "slurmctld");
    history::Selector users;
    users.metric = "scheduler.user_rpc_rate";
    users.labels.push_back({"user", "u1000", history::LabelMatcher::Op::equal});
    const auto by_user = store->range(users, 0, (kBase + 200) * kS, 0);
    ASSERT_EQ(by_user.series.size(), 1u);
    EXPECT_DOUBLE_EQ(by_user.series[0].points[0].avg, 3.0);
    history::Selector latency;
    latency.metric = "scheduler.rpc_latency_s";
    latency.labels.push_back({"rpc", "REQUEST_SUBMIT_BATCH_JOB", history::LabelMatcher::Op::equal});
    ASSERT_EQ(store->range(latency, 0, (kBase + 200) * kS, 0).series.size(), 1u);
    EXPECT_DOUBLE_EQ(store->range(latency, 0, (kBase + 200) * kS, 0).series[0].points[0].avg, 200e-6);
  }
  std::filesystem::remove_all(dir);
}

TEST(SchedulerRules, BuiltinsFireOnTheirSamples) {
  config::Config config;
  config.scheduler.rpc_latency_max_s = 150e-6;
  config.scheduler.user_share_max = 0.5;
  config.scheduler.user_rate_min = 1.0;
  config.scheduler.agent_queue_max = 2;
  config.scheduler.backfill_cycle_max_s = 0.05;
  config.scheduler.alert_for_s = 0;
  config.scheduler.agent_queue_for_s = 0;
  auto t = tracker();
  t.update(reading(100, 50, 20, 2000, 7, 700));
  const SchedulerView view = view_of(t.update(reading(110, 50, 40, 6000, 37, 3700)));
  const auto samples = scheduler_samples(view, config.scheduler);
  alerts::Engine engine(alerts::rules_from_config(config), "", 10, 60 * kS, nullptr, [](const std::string&) {});
  engine.evaluate(samples, (kBase + 110) * kS);
  std::map<std::string, alerts::Alert> firing;
  for (const auto& alert : engine.active())
    if (alert.state == alerts::State::firing) firing[alert.rule + "/" + alert.labels.at("cluster")] = alert;
  ASSERT_TRUE(firing.count("SchedulerRpcSlow/c1"));  // 200 µs per submit over 150 µs; job info is 100 µs
  EXPECT_EQ(firing["SchedulerRpcSlow/c1"].labels.at("rpc"), "REQUEST_SUBMIT_BATCH_JOB");
  ASSERT_TRUE(firing.count("SchedulerUserFlooding/c1"));  // u1000: 30 of 50 calls
  EXPECT_EQ(firing["SchedulerUserFlooding/c1"].labels.at("user"), "u1000");
  EXPECT_TRUE(firing.count("SchedulerAgentQueueGrowing/c1"));
  EXPECT_TRUE(firing.count("SchedulerBackfillSlow/c1"));
  // Below user_rate_min no user is flooding, whatever its share.
  config.scheduler.user_rate_min = 100;
  for (const auto& sample : scheduler_samples(view, config.scheduler)) EXPECT_NE(sample.metric, "scheduler.user_rpc_share");
}

}  // namespace
}  // namespace hpcmon::head
