// Time series of one owner (a node or a task) sampled at shared instants, bounded: past
// max_points, every other point is dropped (the series keeps its span at half the resolution),
// so a step of any length costs bounded memory.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hpcmon/record.hpp"

namespace hpcmon::agent {

struct Reading {
  std::string name;
  std::string unit;
  double value = 0;
};

class SampleTable {
 public:
  explicit SampleTable(std::size_t max_points = 16384) : max_points_(max_points < 16 ? 16 : max_points) {}
  // Columns that are absent from a row read NaN at that instant.
  void append(std::int64_t t_ns, const std::vector<Reading>& row);
  std::size_t size() const { return t_ns_.size(); }
  const std::vector<std::int64_t>& times() const { return t_ns_; }
  const std::vector<double>* column(const std::string& name) const;
  // One record::Series per column, in name order.
  void to_series(const std::string& owner_kind, const std::string& owner, const std::string& source,
                 std::vector<record::Series>& out) const;

 private:
  struct Column {
    std::string unit;
    std::vector<double> values;
  };
  void halve();
  std::size_t max_points_;
  std::vector<std::int64_t> t_ns_;
  std::map<std::string, Column> columns_;
};

}  // namespace hpcmon::agent
