// The slow-log parser: entries of MariaDB's slow log (log_slow_verbosity=query_plan,explain)
// split on their header lines, with the numbers checked; a malformed entry is skipped with its
// byte offset and a reason, the entries around it are kept.
#include "hpcmon/dbhealth/slow_log.hpp"

#include <charconv>
#include <cstdlib>
#include <ctime>

namespace hpcmon::dbhealth {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
    return text;
}

// The lines MariaDB writes when it opens a log file (start, FLUSH LOGS): not entries.
bool is_server_banner(std::string_view line) {
    return line.find(", Version: ") != std::string_view::npos || starts_with(line, "Tcp port: ") ||
           (starts_with(line, "Time") && line.find("Id Command") != std::string_view::npos);
}

std::optional<std::int64_t> to_integer(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    if (value >= (std::uint64_t{1} << 63)) return std::nullopt;  // an underflowed counter
    return static_cast<std::int64_t>(value);
}

std::optional<double> to_number(std::string_view text) {
    if (text.empty()) return std::nullopt;
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
    return value;
}

// "Key: value  Key2: value2" -> pairs.
std::vector<std::pair<std::string_view, std::string_view>> fields_of(std::string_view text) {
    std::vector<std::pair<std::string_view, std::string_view>> fields;
    std::size_t at = 0;
    while (at < text.size()) {
        while (at < text.size() && text[at] == ' ') ++at;
        const std::size_t colon = text.find(": ", at);
        if (colon == std::string_view::npos) break;
        const std::string_view key = text.substr(at, colon - at);
        std::size_t value_start = colon + 2;
        while (value_start < text.size() && text[value_start] == ' ') ++value_start;
        std::size_t value_end = text.find(' ', value_start);
        if (value_end == std::string_view::npos) value_end = text.size();
        fields.emplace_back(key, text.substr(value_start, value_end - value_start));
        at = value_end;
    }
    return fields;
}

struct Builder {
    SlowQuery query;
    bool have_query_time = false;
    std::string error;  // first problem found
    std::vector<std::string> statement_lines;

    void fail(std::string reason) {
        if (error.empty()) error = std::move(reason);
    }

    void user_host(std::string_view rest) {
        // "slurm[slurm] @  [127.0.0.1]" or "root[root] @ localhost []"
        const std::size_t bracket = rest.find('[');
        query.user = std::string(trim(rest.substr(0, bracket)));
        const std::size_t at = rest.find('@');
        if (at == std::string_view::npos || query.user.empty()) return fail("User@Host line without user and host");
        std::string_view host = trim(rest.substr(at + 1));
        const std::size_t open = host.find('[');
        const std::size_t close = host.find(']', open == std::string_view::npos ? 0 : open);
        std::string_view name = trim(host.substr(0, open));
        std::string_view address;
        if (open != std::string_view::npos && close != std::string_view::npos)
            address = host.substr(open + 1, close - open - 1);
        query.host = std::string(!address.empty() ? address : name);
        if (const std::size_t id = rest.find("Id:"); id != std::string_view::npos)
            if (auto value = to_integer(trim(rest.substr(id + 3)))) query.thread_id = *value;
    }

    void header(std::string_view line) {
        if (starts_with(line, "explain: ")) return explain(line.substr(9));
        for (const auto& [key, value] : fields_of(line)) {
            auto number = [&](double& into) {
                if (auto v = to_number(value)) into = *v;
                else fail(std::string(key) + " is not a number: \"" + std::string(value) + "\"");
            };
            auto integer = [&](std::int64_t& into) {
                if (auto v = to_integer(value)) into = *v;
                else fail(std::string(key) + " is not a count: \"" + std::string(value) + "\"");
            };
            auto yes = [&](bool& into) { into = value == "Yes"; };
            if (key == "Query_time") number(query.query_time_s), have_query_time = true;
            else if (key == "Lock_time") number(query.lock_time_s);
            else if (key == "Rows_sent") integer(query.rows_sent);
            else if (key == "Rows_examined") integer(query.rows_examined);
            else if (key == "Rows_affected") integer(query.rows_affected);
            else if (key == "Thread_id") integer(query.thread_id);
            else if (key == "Schema") query.schema = std::string(value);
            else if (key == "Bytes_sent") query.bytes_sent = to_integer(value);  // underflow: unknown
            else if (key == "Full_scan") yes(query.full_scan), query.has_plan = true;
            else if (key == "Full_join") yes(query.full_join);
            else if (key == "Tmp_table_on_disk") yes(query.tmp_table_on_disk);
            else if (key == "Filesort") yes(query.filesort);
        }
    }

    void explain(std::string_view row) {
        // id select_type table type possible_keys key key_len ref rows r_rows filtered r_filtered Extra
        std::vector<std::string_view> cells;
        std::size_t at = 0;
        while (at <= row.size()) {
            const std::size_t tab = row.find('\t', at);
            cells.push_back(row.substr(at, tab == std::string_view::npos ? std::string_view::npos : tab - at));
            if (tab == std::string_view::npos) break;
            at = tab + 1;
        }
        if (cells.size() < 9 || cells[0] == "id") return;  // the column-name row
        ExplainRow out;
        out.table = std::string(cells[2]);
        out.type = std::string(cells[3]);
        out.possible_keys = std::string(cells[4]);
        out.key = std::string(cells[5]);
        out.rows = to_number(cells[8]).value_or(0);
        query.explain.push_back(std::move(out));
    }
};

struct Line {
    std::string_view text;  // without the newline
    std::size_t start = 0;
    bool terminated = false;  // ended by '\n'
};

}  // namespace

std::optional<std::int64_t> parse_slow_log_time(std::string_view value) {
    value = trim(value);
    // YYMMDD HH:MM:SS (the hour may be one digit, padded with a space)
    if (value.size() < 13 || value[6] != ' ') return std::nullopt;
    std::tm tm{};
    auto two = [&](std::size_t at) -> int {
        const char a = value[at] == ' ' ? '0' : value[at], b = value[at + 1];
        if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
        return (a - '0') * 10 + (b - '0');
    };
    std::string_view clock = trim(value.substr(7));
    if (clock.size() == 7) return parse_slow_log_time(std::string(value.substr(0, 7)) + "0" + std::string(clock));
    if (clock.size() != 8 || clock[2] != ':' || clock[5] != ':') return std::nullopt;
    const int yy = two(0), mm = two(2), dd = two(4), h = two(7), mi = two(10), s = two(13);
    if (yy < 0 || mm < 1 || mm > 12 || dd < 1 || dd > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
        return std::nullopt;
    tm.tm_year = 100 + yy;
    tm.tm_mon = mm - 1;
    tm.tm_mday = dd;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return static_cast<std::int64_t>(timegm(&tm));
}

ParseResult parse_slow_log(std::string_view text, std::uint64_t base_offset, bool final) {
    ParseResult result;
    std::vector<Line> lines;
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t newline = text.find('\n', at);
        Line line;
        line.start = at;
        line.terminated = newline != std::string_view::npos;
        line.text = text.substr(at, line.terminated ? newline - at : std::string_view::npos);
        lines.push_back(line);
        at = line.terminated ? newline + 1 : text.size();
    }

    enum class State { none, header, statement } state = State::none;
    Builder entry;
    std::size_t entry_start = 0;       // where the current entry (or its # Time line) starts
    std::optional<std::int64_t> time;  // the last # Time: seen
    bool have_time_line = false;       // a # Time: line waits for its entry
    std::size_t pending_time_start = 0;

    auto finish = [&](std::size_t end) {
        if (entry.statement_lines.empty()) entry.fail("no statement after the header lines");
        if (!entry.have_query_time) entry.fail("no Query_time line");
        if (entry.error.empty()) {
            std::string statement;
            for (std::size_t i = 0; i < entry.statement_lines.size(); ++i) {
                if (i) statement += '\n';
                statement += entry.statement_lines[i];
            }
            while (!statement.empty() && (statement.back() == ';' || statement.back() == ' ')) statement.pop_back();
            entry.query.statement = std::move(statement);
            entry.query.offset = base_offset + entry_start;
            result.entries.push_back(std::move(entry.query));
        } else {
            result.malformed.push_back({base_offset + entry_start, entry.error});
        }
        entry = Builder{};
        state = State::none;
        result.consumed = end;
    };
    auto start_entry = [&](std::size_t start) {
        entry = Builder{};
        entry_start = have_time_line ? pending_time_start : start;
        have_time_line = false;
        if (time) entry.query.time = *time;
        state = State::header;
    };

    for (std::size_t i = 0; i < lines.size(); ++i) {
        const Line& line = lines[i];
        if (!line.terminated && !final) break;  // a line still being written
        const std::string_view l = line.text;
        if (starts_with(l, "# Time: ")) {
            if (state != State::none) finish(line.start);
            else if (!have_time_line) result.consumed = line.start;
            const auto parsed = parse_slow_log_time(l.substr(8));
            if (!parsed) {
                result.malformed.push_back({base_offset + line.start, "bad # Time line: \"" + std::string(l) + "\""});
                result.consumed = line.start + l.size() + (line.terminated ? 1 : 0);
                continue;
            }
            time = parsed;
            have_time_line = true;
            pending_time_start = line.start;
            continue;
        }
        if (starts_with(l, "# User@Host: ")) {
            if (state != State::none) finish(have_time_line ? pending_time_start : line.start);
            start_entry(line.start);
            entry.user_host(l.substr(13));
            continue;
        }
        if (is_server_banner(l)) {
            if (state != State::none) finish(line.start);
            result.consumed = line.start + l.size() + (line.terminated ? 1 : 0);
            continue;
        }
        if (state == State::none) {
            if (trim(l).empty()) {
                if (!have_time_line) result.consumed = line.start + l.size() + (line.terminated ? 1 : 0);
                continue;
            }
            // Text outside an entry: skip it up to the next header line, as one malformed piece.
            std::size_t j = i;
            while (j + 1 < lines.size() && !starts_with(lines[j + 1].text, "# Time: ") &&
                   !starts_with(lines[j + 1].text, "# User@Host: ") && !is_server_banner(lines[j + 1].text))
                ++j;
            if (j + 1 == lines.size() && !final) break;  // it may be the start of something still written
            result.malformed.push_back(
                {base_offset + (have_time_line ? pending_time_start : line.start),
                 std::string("text outside an entry: \"") + std::string(l.substr(0, 60)) + "\""});
            have_time_line = false;
            result.consumed = lines[j].start + lines[j].text.size() + (lines[j].terminated ? 1 : 0);
            i = j;
            continue;
        }
        if (state == State::header) {
            if (starts_with(l, "# ")) {
                entry.header(l.substr(2));
                continue;
            }
            if (l == "#") continue;
            if (starts_with(l, "use ")) {
                std::string_view schema = trim(l.substr(4));
                if (!schema.empty() && schema.back() == ';') schema.remove_suffix(1);
                if (schema.size() >= 2 && schema.front() == '`' && schema.back() == '`')
                    schema = schema.substr(1, schema.size() - 2);
                entry.query.schema = std::string(schema);
                continue;
            }
            if (starts_with(l, "SET timestamp=")) {
                std::string_view value = l.substr(14);
                if (!value.empty() && value.back() == ';') value.remove_suffix(1);
                if (auto t = to_integer(value)) entry.query.time = *t;
                else entry.fail("bad SET timestamp line");
                continue;
            }
            state = State::statement;
        }
        entry.statement_lines.emplace_back(l);
    }

    // The last entry: complete when its statement ends with ';' on a finished line, or when the
    // file will not grow any more (rotated away).
    if (state == State::statement && !lines.empty()) {
        const Line& last = lines.back();
        const std::string_view tail = trim(last.text);
        if (final || (last.terminated && !tail.empty() && tail.back() == ';'))
            finish(text.size());
    } else if (state == State::header && final) {
        finish(text.size());
    } else if (final && state == State::none && !have_time_line) {
        result.consumed = text.size();
    }
    return result;
}

}  // namespace hpcmon::dbhealth
