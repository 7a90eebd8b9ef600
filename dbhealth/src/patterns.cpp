// Findings from the per-fingerprint statistics, each with evidence and a suggestion; index
// suggestions from the columns the offending WHERE compares with literals.
#include "hpcmon/dbhealth/patterns.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

namespace hpcmon::dbhealth {
namespace {

// Slurm's TEXT/TINYTEXT columns that statements filter on: an index needs a prefix length.
const std::set<std::string> text_columns = {"job_name", "account", "partition", "wckey", "nodelist",
                                            "admin_comment", "system_comment", "work_dir", "constraints",
                                            "acct", "user", "name", "description", "comment", "extra",
                                            "submit_line", "mcs_label", "container", "failed_node"};
constexpr int text_prefix = 64;

std::string number(double value) {
    char text[64];
    std::snprintf(text, sizeof text, "%.3g", value);
    return text;
}

std::string seconds(double value) {
    char text[64];
    if (value < 1e-3) std::snprintf(text, sizeof text, "%.0f us", value * 1e6);
    else if (value < 1) std::snprintf(text, sizeof text, "%.1f ms", value * 1e3);
    else std::snprintf(text, sizeof text, "%.2f s", value);
    return text;
}

std::string plan_text(const std::vector<ExplainRow>& plan) {
    std::string text;
    for (const ExplainRow& row : plan) {
        if (!text.empty()) text += "; ";
        text += row.table + " " + row.type + " (possible keys " + row.possible_keys + ", key " + row.key + ", ~" +
                number(row.rows) + " rows)";
    }
    return text;
}

}  // namespace

std::string_view pattern_name(PatternKind kind) {
    switch (kind) {
    case PatternKind::full_scan: return "full_scan";
    case PatternKind::n_plus_one: return "n_plus_one";
    case PatternKind::leading_wildcard_like: return "leading_wildcard_like";
    case PatternKind::unbounded_result: return "unbounded_result";
    }
    return "?";
}

std::optional<IndexSuggestion> suggest_index(const FingerprintStats& stats) {
    if (stats.shape.tables.empty()) return std::nullopt;
    // The scanned table: an ALL row of the plan (by alias), else the statement's main table.
    std::string table = stats.shape.tables.front().name;
    for (const ExplainRow& row : stats.full_scan_plan)
        if (row.type == "ALL")
            for (const TableRef& ref : stats.shape.tables)
                if (ref.alias == row.table || ref.name == row.table) {
                    table = ref.name;
                    goto found;
                }
found:
    std::vector<std::string> columns;
    auto add = [&](const std::string& column) {
        const std::string entry = text_columns.contains(column) ? column + "(" + std::to_string(text_prefix) + ")" : column;
        if (std::find(columns.begin(), columns.end(), entry) == columns.end()) columns.push_back(entry);
    };
    for (const ColumnPredicate& p : stats.shape.predicates)
        if (p.table == table && p.equality && !p.under_or) add(p.column);
    for (const ColumnPredicate& p : stats.shape.predicates)
        if (p.table == table && !p.equality && !p.under_or && !text_columns.contains(p.column)) {
            add(p.column);  // one range column after the equalities
            break;
        }
    if (columns.empty()) return std::nullopt;
    IndexSuggestion index;
    index.table = table;
    index.columns = columns;
    std::string name = "hpcmon";
    std::string list;
    for (const std::string& column : columns) {
        const std::string bare = column.substr(0, column.find('('));
        name += "_" + bare;
        list += (list.empty() ? "" : ", ") + column;
    }
    if (name.size() > 64) name.resize(64);
    index.statement = "CREATE INDEX " + name + " ON `" + table + "` (" + list + ");";
    return index;
}

std::vector<Finding> find_patterns(const Analyzer& analyzer) {
    const config::AccountingDb& cfg = analyzer.settings();
    std::vector<Finding> findings;
    for (const auto& [id, s] : analyzer.fingerprints()) {
        if (s.full_scans > 0) {
            Finding f{PatternKind::full_scan, s.id, s.fingerprint, s.full_scans, "", "", std::nullopt, {}};
            const double ratio = static_cast<double>(s.rows_examined) / static_cast<double>(std::max<std::uint64_t>(s.rows_sent, 1));
            f.evidence = std::to_string(s.full_scans) + " of " + std::to_string(s.count) +
                         " executions read whole tables: " + std::to_string(s.rows_examined) + " rows examined for " +
                         std::to_string(s.rows_sent) + " rows sent (" + number(ratio) + " per row), worst " +
                         std::to_string(s.max_rows_examined) + " rows; p95 " + seconds(s.latency.quantile(0.95)) +
                         (s.full_scan_plan.empty() ? "" : "; plan: " + plan_text(s.full_scan_plan));
            f.index = suggest_index(s);
            f.suggestion = f.index ? "No index serves this WHERE clause, so every execution reads the whole table. "
                                     "An index on " + f.index->table + " (" + [&] {
                                         std::string l;
                                         for (const auto& c : f.index->columns) l += (l.empty() ? "" : ", ") + c;
                                         return l;
                                     }() + ") would let MariaDB read only the matching rows. Measure it first with "
                                           "`hpcmon db try-index` on a development copy: slurmdbd drops indexes it "
                                           "does not know at its next start."
                                   : "No index serves this WHERE clause and no single index would (its conditions "
                                     "are ORed or not comparisons with constants): narrow the query (a time window, "
                                     "a user, a job id) or archive old rows (slurmdbd's Purge* settings).";
            f.details = {{"executions", s.count}, {"full_scans", s.full_scans}, {"rows_examined", s.rows_examined},
                         {"rows_sent", s.rows_sent}, {"max_rows_examined", s.max_rows_examined}};
            findings.push_back(std::move(f));
        }
        const Burst& b = s.largest_burst;
        if (b.count >= static_cast<std::uint64_t>(cfg.n_plus_one_min_count)) {
            Finding f{PatternKind::n_plus_one, s.id, s.fingerprint, b.count, "", "", std::nullopt, {}};
            const std::uint64_t bursts = s.bursts + (s.open_burst.count >= static_cast<std::uint64_t>(cfg.n_plus_one_min_count) ? 1 : 0);
            f.evidence = std::to_string(b.count) + " executions by one connection (thread " + std::to_string(b.thread_id) +
                         ", " + b.client + ") within " + std::to_string(b.last - b.first) +
                         " s, one per row of an earlier query; " + std::to_string(bursts) + " such burst" +
                         (bursts == 1 ? "" : "s") + ", " + std::to_string(s.count) + " executions in all";
            f.suggestion = "The client runs this statement once per row of a previous result (N+1). For sacct this "
                           "is the step query run once per job: `sacct -X` (allocations only) skips it; otherwise "
                           "narrow the job selection (-S/-E, -u, -j) so fewer jobs are listed.";
            f.details = {{"burst_count", b.count}, {"thread_id", b.thread_id}, {"client", b.client},
                         {"first", b.first}, {"last", b.last}, {"bursts", bursts}};
            findings.push_back(std::move(f));
        }
        if (s.leading_wildcard > 0) {
            Finding f{PatternKind::leading_wildcard_like, s.id, s.fingerprint, s.leading_wildcard, "", "", std::nullopt, {}};
            f.evidence = std::to_string(s.leading_wildcard) + " executions compare with LIKE '%...': " +
                         std::to_string(s.rows_examined) + " rows examined for " + std::to_string(s.rows_sent) + " sent";
            f.suggestion = "A LIKE pattern that starts with a wildcard cannot use an index: every row is read. "
                           "Match a prefix ('abc%') or the exact value instead.";
            f.details = {{"executions", s.leading_wildcard}};
            findings.push_back(std::move(f));
        }
        if (s.unbounded > 0) {
            Finding f{PatternKind::unbounded_result, s.id, s.fingerprint, s.unbounded, "", "", std::nullopt, {}};
            f.evidence = std::to_string(s.unbounded) + " executions without LIMIT sent at least " +
                         std::to_string(cfg.unbounded_rows_sent) + " rows (largest " + std::to_string(s.max_rows_sent) + ")";
            f.suggestion = "The result has no bound: every matching row is sent to the client. For sacct/sreport, "
                           "give a time window (-S/-E) or a user/account; purge or archive old accounting rows.";
            f.details = {{"executions", s.unbounded}, {"max_rows_sent", s.max_rows_sent}};
            findings.push_back(std::move(f));
        }
    }
    std::sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
        if (a.kind != b.kind) return a.kind < b.kind;
        if (a.count != b.count) return a.count > b.count;
        return a.fingerprint_id < b.fingerprint_id;
    });
    return findings;
}

}  // namespace hpcmon::dbhealth
