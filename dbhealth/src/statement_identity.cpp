// The identity shared by a slow-log statement and its performance_schema digest (fingerprint.hpp).
#include "hpcmon/dbhealth/fingerprint.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace hpcmon::dbhealth {
namespace {

// MariaDB's digest prints a keyword by the first name of its token: `user` becomes SYSTEM_USER,
// DISTINCT becomes DISTINCTROW, BIGINT INT8 ... One spelling for each.
const std::map<std::string, std::string, std::less<>> synonyms = {
    {"system_user", "user"}, {"session_user", "user"}, {"distinctrow", "distinct"}, {"int8", "bigint"},
    {"integer", "int"},      {"int4", "int"},          {"float8", "double"},        {"float4", "float"},
    {"schema", "database"},  {"schemas", "databases"}, {"&&", "and"},              {"||", "or"},
    {"<>", "!="},            {"value", "values"},      {"current_timestamp", "now"},
    {"substr", "substring"},    {"mid", "substring"},
};

bool literal(const Token& t) {
    return t.kind == TokenKind::string || t.kind == TokenKind::number || t.kind == TokenKind::placeholder ||
           (t.kind == TokenKind::word && (t.text == "null" || t.text == "true" || t.text == "false"));
}

std::string unquoted(const Token& t) {
    if (t.kind != TokenKind::quoted_identifier || t.text.size() < 2) return t.text;
    std::string text = t.text.substr(1, t.text.size() - 2);
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// Index just past the ')' matching the '(' at `open`, or tokens.size().
std::size_t closing(const std::vector<Token>& tokens, std::size_t open) {
    int depth = 0;
    for (std::size_t i = open; i < tokens.size(); ++i) {
        if (tokens[i].kind != TokenKind::punct) continue;
        if (tokens[i].text == "(") ++depth;
        if (tokens[i].text == ")" && --depth == 0) return i + 1;
    }
    return tokens.size();
}

// Between the parentheses only literals, commas, signs, nested groups and the digest's "...".
bool literal_group(const std::vector<Token>& tokens, std::size_t open, std::size_t end) {
    if (end > tokens.size() || end < open + 2) return false;
    for (std::size_t i = open + 1; i + 1 < end; ++i) {
        const Token& t = tokens[i];
        if (literal(t)) continue;
        if (t.kind == TokenKind::punct && (t.text == "," || t.text == "(" || t.text == ")")) continue;
        if (t.kind == TokenKind::op && (t.text == "-" || t.text == "+" || t.text == ".")) continue;
        return false;
    }
    return true;
}

}  // namespace

std::string statement_identity(std::string_view sql) { return statement_identity(tokenize_sql(sql)); }

std::string statement_identity(const std::vector<Token>& tokens) {
    std::vector<std::string> pieces;
    pieces.reserve(tokens.size());
    bool glue_next = false;  // after a '.': t1 . col -> t1.col
    auto emit = [&](std::string piece) {
        if (glue_next && !pieces.empty()) pieces.back() += piece;
        else pieces.push_back(std::move(piece));
        glue_next = false;
    };
    std::size_t n = tokens.size();
    while (n > 0 && tokens[n - 1].kind == TokenKind::punct && tokens[n - 1].text == ";") --n;
    for (std::size_t i = 0; i < n; ++i) {
        const Token& t = tokens[i];
        if (t.kind == TokenKind::punct && t.text == "(" && closing(tokens, i) <= n && literal_group(tokens, i, closing(tokens, i))) {
            const std::size_t end = closing(tokens, i);
            // VALUES (..), (..) and the digest's VALUES (...) /* , ... */: one group.
            const bool values = !pieces.empty() && pieces.back() == "values";
            emit("(?+)");
            i = end - 1;
            while (values && i + 2 < n && tokens[i + 1].text == "," && tokens[i + 2].text == "(") {
                const std::size_t next = closing(tokens, i + 2);
                if (next > n || !literal_group(tokens, i + 2, next)) break;
                i = next - 1;
            }
            continue;
        }
        // The digest's "..." (a list it shortened): a value.
        if (t.kind == TokenKind::op && t.text == "." && i + 2 < n && tokens[i + 1].text == "." && tokens[i + 2].text == ".") {
            emit("?");
            i += 2;
            continue;
        }
        if (t.kind == TokenKind::op && t.text == ".") {
            if (pieces.empty()) continue;
            pieces.back() += ".";
            glue_next = true;
            continue;
        }
        // A sign before a literal after an operator, '(' or ',' (MariaDB prints - ?).
        if (t.kind == TokenKind::op && (t.text == "-" || t.text == "+") && i + 1 < n && literal(tokens[i + 1]) &&
            (i == 0 || tokens[i - 1].kind == TokenKind::op ||
             (tokens[i - 1].kind == TokenKind::punct && tokens[i - 1].text != ")") ||
             (tokens[i - 1].kind == TokenKind::word && (tokens[i - 1].text == "and" || tokens[i - 1].text == "or" ||
                                                          tokens[i - 1].text == "where" || tokens[i - 1].text == "set")))) {
            emit("?");
            ++i;
            continue;
        }
        // NULL is a value (MariaDB prints ?) except in IS [NOT] NULL.
        const bool is_null_test = t.text == "null" && i > 0 && (tokens[i - 1].text == "is" || tokens[i - 1].text == "not");
        if (literal(t) && !is_null_test && !(t.kind == TokenKind::word && t.text != "null")) {
            emit("?");
            continue;
        }
        std::string text = t.kind == TokenKind::quoted_identifier ? unquoted(t) : t.text;
        if (t.kind == TokenKind::word || t.kind == TokenKind::op) {
            if (const auto it = synonyms.find(text); it != synonyms.end()) text = it->second;
            // SHOW COLUMNS: the digest says SHOW FIELDS.
            if (text == "columns" && !pieces.empty() && (pieces.back() == "show" || pieces.back() == "full"))
                text = "fields";
            // A user variable: the digest prints @ ? for @name.
            if (text.size() > 1 && text[0] == '@' && text[1] != '@') {
                emit("@");
                emit("?");
                continue;
            }
            // t1.`partition`: the word ends with its dot and glues to the quoted name.
            if (text.size() > 1 && text.back() == '.') {
                emit(std::move(text));
                glue_next = true;
                continue;
            }
        }
        emit(std::move(text));
    }
    // A run of values "?, ?, ?" (the digest prints "?, ..."): one "?+".
    std::vector<std::string> folded;
    folded.reserve(pieces.size());
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        if (pieces[i] == "?" && i + 2 < pieces.size() && pieces[i + 1] == "," && pieces[i + 2] == "?") {
            while (i + 2 < pieces.size() && pieces[i + 1] == "," && pieces[i + 2] == "?") i += 2;
            folded.emplace_back("?+");
            continue;
        }
        folded.push_back(std::move(pieces[i]));
    }
    std::string out;
    for (const std::string& piece : folded) {
        if (!out.empty()) out += ' ';
        out += piece;
    }
    return out;
}

}  // namespace hpcmon::dbhealth
