// Tables and literal comparisons of a statement, for index suggestions. A column counts when it
// is compared with a literal (=, IN, <, <=, >, >=, BETWEEN); under_or when any enclosing
// parenthesis group of the WHERE/ON (or the clause itself) has an OR at its own level.
#include "hpcmon/dbhealth/sql_predicates.hpp"

#include <optional>
#include <set>

namespace hpcmon::dbhealth {
namespace {

const std::set<std::string> clause_words = {
    "where", "on", "left", "right", "inner", "outer", "cross", "join", "straight_join", "group", "order",
    "limit", "having", "for", "union", "set", "natural", "using", "lock", "into", "values", "select", "procedure"};

bool is_literal(const Token& t) {
    return t.kind == TokenKind::string || t.kind == TokenKind::number || t.kind == TokenKind::placeholder;
}

std::string unquote(const Token& t) {
    if (t.kind == TokenKind::quoted_identifier && t.text.size() >= 2) return t.text.substr(1, t.text.size() - 2);
    return t.text;
}

bool is_column(const Token& t) {
    return t.kind == TokenKind::word && !clause_words.contains(t.text) && t.text != "and" && t.text != "or" &&
           t.text != "not" && t.text != "null" && t.text != "is" && t.text[0] != '@';
}

}  // namespace

StatementShape statement_shape(const std::vector<Token>& tokens) {
    StatementShape shape;
    const std::size_t n = tokens.size();

    // Tables: after FROM / JOIN / UPDATE / INTO, and after ',' in a FROM list.
    bool in_from = false;
    for (std::size_t i = 0; i < n; ++i) {
        const Token& t = tokens[i];
        const bool opens = t.kind == TokenKind::word &&
                           (t.text == "from" || t.text == "join" || t.text == "straight_join" ||
                            (t.text == "update" && i == 0) || (t.text == "into" && i <= 2));
        const bool list_more = in_from && t.kind == TokenKind::punct && t.text == ",";
        if (t.kind == TokenKind::word && clause_words.contains(t.text) && t.text != "join") in_from = false;
        if (t.kind == TokenKind::word && t.text == "from") in_from = true;
        if (!(opens || list_more) || i + 1 >= n) continue;
        const Token& name = tokens[i + 1];
        if (name.kind != TokenKind::quoted_identifier && !(name.kind == TokenKind::word && !clause_words.contains(name.text)))
            continue;
        TableRef ref{unquote(name), unquote(name)};
        std::size_t j = i + 2;
        if (j < n && tokens[j].kind == TokenKind::word && tokens[j].text == "as") ++j;
        if (j < n && tokens[j].kind == TokenKind::word && !clause_words.contains(tokens[j].text) &&
            tokens[j].text != "and" && tokens[j].text != "or")
            ref.alias = tokens[j].text;
        shape.tables.push_back(ref);
    }

    // Parenthesis groups: parent of each and whether it has an OR at its own level.
    std::vector<int> group_of(n, -1);
    std::vector<int> parent;
    std::vector<bool> has_or;
    parent.push_back(-1);  // group 0: the whole statement
    has_or.push_back(false);
    std::vector<int> stack = {0};
    for (std::size_t i = 0; i < n; ++i) {
        const Token& t = tokens[i];
        if (t.kind == TokenKind::punct && t.text == "(") {
            parent.push_back(stack.back());
            has_or.push_back(false);
            stack.push_back(static_cast<int>(parent.size()) - 1);
        }
        group_of[i] = stack.back();
        if (t.kind == TokenKind::punct && t.text == ")" && stack.size() > 1) stack.pop_back();
        if ((t.kind == TokenKind::op && t.text == "||") || (t.kind == TokenKind::word && t.text == "or"))
            has_or[static_cast<std::size_t>(stack.back())] = true;
        if (t.kind == TokenKind::word && t.text == "where") shape.has_where = true;
        if (t.kind == TokenKind::word && t.text == "limit") shape.has_limit = true;
    }
    auto under_or = [&](std::size_t i) {
        for (int g = group_of[i]; g >= 0; g = parent[static_cast<std::size_t>(g)])
            if (has_or[static_cast<std::size_t>(g)]) return true;
        return false;
    };
    auto resolve = [&](const std::string& word, std::string& table, std::string& column) {
        const std::size_t dot = word.rfind('.');
        if (dot == std::string::npos) {
            if (shape.tables.empty()) return false;
            table = shape.tables.front().name;
            column = word;
            return true;
        }
        std::string alias = word.substr(0, dot);
        if (const std::size_t inner = alias.rfind('.'); inner != std::string::npos) alias = alias.substr(inner + 1);
        column = word.substr(dot + 1);
        for (const TableRef& ref : shape.tables)
            if (ref.alias == alias || ref.name == alias) {
                table = ref.name;
                return true;
            }
        return false;
    };

    // Predicates in WHERE and ON.
    bool in_condition = false;
    for (std::size_t i = 0; i < n; ++i) {
        const Token& t = tokens[i];
        if (t.kind == TokenKind::word && (t.text == "where" || t.text == "on")) in_condition = true;
        else if (t.kind == TokenKind::word && (t.text == "group" || t.text == "order" || t.text == "limit" ||
                                               t.text == "having" || t.text == "join" || t.text == "union"))
            in_condition = false;
        if (!in_condition || !is_column(t) || i + 1 >= n) continue;
        const Token& op = tokens[i + 1];
        std::optional<bool> equality;
        if (op.kind == TokenKind::op && (op.text == "=" || op.text == "<=>") && i + 2 < n && is_literal(tokens[i + 2]))
            equality = true;
        else if (op.kind == TokenKind::op && (op.text == "<" || op.text == "<=" || op.text == ">" || op.text == ">=") &&
                 i + 2 < n && is_literal(tokens[i + 2]))
            equality = false;
        else if (op.kind == TokenKind::word && op.text == "in" && i + 3 < n && tokens[i + 2].text == "(" &&
                 is_literal(tokens[i + 3]))
            equality = true;
        else if (op.kind == TokenKind::word && op.text == "between" && i + 2 < n && is_literal(tokens[i + 2]))
            equality = false;
        if (!equality) continue;
        ColumnPredicate predicate;
        if (!resolve(t.text, predicate.table, predicate.column)) continue;
        predicate.equality = *equality;
        predicate.under_or = under_or(i);
        shape.predicates.push_back(std::move(predicate));
    }
    return shape;
}

}  // namespace hpcmon::dbhealth
