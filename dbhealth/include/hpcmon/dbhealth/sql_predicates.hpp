// What an index could serve in a statement: its tables with aliases (FROM/JOIN) and the
// columns its WHERE/ON compare with literals, each marked equality or range and whether it
// sits under an OR (a disjunct cannot be served by one index prefix).
#pragma once

#include "hpcmon/dbhealth/fingerprint.hpp"

#include <string>
#include <vector>

namespace hpcmon::dbhealth {

struct TableRef {
    std::string name;   // without quotes
    std::string alias;  // the name itself when none
};

struct ColumnPredicate {
    std::string table;  // resolved table name (without quotes)
    std::string column;
    bool equality = false;  // = or IN; otherwise a range (<, <=, >, >=, BETWEEN)
    bool under_or = false;
};

struct StatementShape {
    std::vector<TableRef> tables;  // first: the main table
    std::vector<ColumnPredicate> predicates;
    bool has_where = false;
    bool has_limit = false;
};

StatementShape statement_shape(const std::vector<Token>& tokens);

}  // namespace hpcmon::dbhealth
