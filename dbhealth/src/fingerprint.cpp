// Tokenizer and fingerprint of SQL as MariaDB receives it from slurmdbd (ANSI_QUOTES: "x" is an
// identifier) and from other clients (`x` is an identifier; 'x' a string).
#include "hpcmon/dbhealth/fingerprint.hpp"

#include <cctype>

namespace hpcmon::dbhealth {
namespace {

bool word_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '@'; }
bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '.' || c == '@'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

bool is_literal(const Token& t) {
    return t.kind == TokenKind::string || t.kind == TokenKind::number || t.kind == TokenKind::placeholder ||
           (t.kind == TokenKind::word && (t.text == "null" || t.text == "true" || t.text == "false"));
}

// Index just past the ')' matching the '(' at `open`, or tokens.size().
std::size_t matching(const std::vector<Token>& tokens, std::size_t open) {
    int depth = 0;
    for (std::size_t i = open; i < tokens.size(); ++i) {
        if (tokens[i].kind != TokenKind::punct) continue;
        if (tokens[i].text == "(") ++depth;
        if (tokens[i].text == ")" && --depth == 0) return i + 1;
    }
    return tokens.size();
}

// Only literals, commas and parentheses between open and close (exclusive).
bool only_literals(const std::vector<Token>& tokens, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
        const Token& t = tokens[i];
        if (is_literal(t)) continue;
        if (t.kind == TokenKind::punct && (t.text == "," || t.text == "(" || t.text == ")")) continue;
        if (t.kind == TokenKind::op && t.text == "-") continue;
        return false;
    }
    return true;
}

}  // namespace

std::vector<Token> tokenize_sql(std::string_view sql) {
    std::vector<Token> tokens;
    tokens.reserve(sql.size() / 6 + 4);
    std::size_t i = 0;
    const std::size_t n = sql.size();
    while (i < n) {
        const char c = sql[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        if (c == '#' || (c == '-' && i + 1 < n && sql[i + 1] == '-' && (i + 2 == n || std::isspace(static_cast<unsigned char>(sql[i + 2]))))) {
            while (i < n && sql[i] != '\n') ++i;
            continue;
        }
        if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
            const std::size_t end = sql.find("*/", i + 2);
            i = end == std::string_view::npos ? n : end + 2;
            continue;
        }
        if (c == '\'' || c == '"' || c == '`') {
            std::size_t j = i + 1;
            while (j < n) {
                if (sql[j] == '\\' && c != '`' && j + 1 < n) {
                    j += 2;
                    continue;
                }
                if (sql[j] == c) {
                    if (j + 1 < n && sql[j + 1] == c) {  // doubled quote
                        j += 2;
                        continue;
                    }
                    break;
                }
                ++j;
            }
            const std::size_t end = j < n ? j + 1 : n;
            tokens.push_back({c == '\'' ? TokenKind::string : TokenKind::quoted_identifier,
                              std::string(sql.substr(i, end - i))});
            i = end;
            continue;
        }
        if (digit(c) || (c == '.' && i + 1 < n && digit(sql[i + 1]))) {
            std::size_t j = i;
            if (c == '0' && i + 1 < n && (sql[i + 1] == 'x' || sql[i + 1] == 'X')) {
                j += 2;
                while (j < n && std::isxdigit(static_cast<unsigned char>(sql[j]))) ++j;
            } else {
                while (j < n && (digit(sql[j]) || sql[j] == '.')) ++j;
                if (j < n && (sql[j] == 'e' || sql[j] == 'E')) {
                    std::size_t k = j + 1;
                    if (k < n && (sql[k] == '+' || sql[k] == '-')) ++k;
                    if (k < n && digit(sql[k])) {
                        j = k;
                        while (j < n && digit(sql[j])) ++j;
                    }
                }
            }
            if (j < n && word_start(sql[j])) {  // 1abc: an identifier that starts with digits
                while (j < n && word_char(sql[j])) ++j;
                std::string text(sql.substr(i, j - i));
                for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                tokens.push_back({TokenKind::word, text});
            } else {
                tokens.push_back({TokenKind::number, std::string(sql.substr(i, j - i))});
            }
            i = j;
            continue;
        }
        if (word_start(c)) {
            std::size_t j = i;
            while (j < n && word_char(sql[j])) ++j;
            std::string text(sql.substr(i, j - i));
            for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            tokens.push_back({TokenKind::word, std::move(text)});
            i = j;
            continue;
        }
        if (c == '?') {
            tokens.push_back({TokenKind::placeholder, "?"});
            ++i;
            continue;
        }
        if (c == '(' || c == ')' || c == ',' || c == ';') {
            tokens.push_back({TokenKind::punct, std::string(1, c)});
            ++i;
            continue;
        }
        static constexpr std::string_view three[] = {"<=>"};
        static constexpr std::string_view two[] = {"<=", ">=", "<>", "!=", "&&", "||", ":=", "<<", ">>"};
        std::size_t length = 1;
        for (auto op : three)
            if (sql.substr(i, 3) == op) length = 3;
        if (length == 1)
            for (auto op : two)
                if (sql.substr(i, 2) == op) length = 2;
        tokens.push_back({TokenKind::op, std::string(sql.substr(i, length))});
        i += length;
    }
    return tokens;
}

std::string fingerprint(std::string_view sql) { return fingerprint(tokenize_sql(sql)); }

std::string fingerprint(const std::vector<Token>& tokens) {
    std::string text;
    text.reserve(tokens.size() * 8);
    bool first = true;
    auto emit = [&](std::string_view piece) {
        const bool glue = first || piece == "," || piece == ")" || text.back() == '(';
        if (!glue) text += ' ';
        text += piece;
        first = false;
    };
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const Token& t = tokens[i];
        if (t.kind == TokenKind::punct && t.text == ";" && i + 1 == tokens.size()) break;
        // IN (1, 2, 3) and IN ((8, 5), (9, 1)) -> in (?+)
        if (t.kind == TokenKind::word && t.text == "in" && i + 1 < tokens.size() && tokens[i + 1].text == "(") {
            const std::size_t end = matching(tokens, i + 1);
            if (only_literals(tokens, i + 2, end - 1)) {
                emit("in");
                emit("(?+)");
                i = end - 1;
                continue;
            }
        }
        // VALUES (...), (...) -> values (?+)
        if (t.kind == TokenKind::word && (t.text == "values" || t.text == "value") && i + 1 < tokens.size() &&
            tokens[i + 1].text == "(") {
            emit("values");
            emit("(?+)");
            std::size_t j = matching(tokens, i + 1);
            while (j + 1 < tokens.size() && tokens[j].text == "," && tokens[j + 1].text == "(")
                j = matching(tokens, j + 1);
            i = j - 1;
            continue;
        }
        // A negative number after an operator, '(' or ',' folds with its sign.
        if (t.kind == TokenKind::op && t.text == "-" && i + 1 < tokens.size() &&
            tokens[i + 1].kind == TokenKind::number &&
            (first || (i > 0 && (tokens[i - 1].kind == TokenKind::op ||
                                       (tokens[i - 1].kind == TokenKind::punct && tokens[i - 1].text != ")"))))) {
            emit("?");
            ++i;
            continue;
        }
        if (t.kind == TokenKind::string || t.kind == TokenKind::number || t.kind == TokenKind::placeholder)
            emit("?");
        else
            emit(t.text);
    }
    return text;
}

std::string fingerprint_id(std::string_view fingerprint_text) {
    std::uint64_t hash = 1469598103934665603ull;
    for (unsigned char c : fingerprint_text) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string id(16, '0');
    for (int i = 15; i >= 0; --i, hash >>= 4) id[static_cast<std::size_t>(i)] = hex[hash & 15];
    return id;
}

std::string statement_kind(std::string_view sql) { return statement_kind(tokenize_sql(sql.substr(0, 200))); }

std::string statement_kind(const std::vector<Token>& tokens) {
    for (const Token& t : tokens) {
        if (t.kind == TokenKind::punct && t.text == "(") continue;
        if (t.kind == TokenKind::word) return t.text;
        return "other";
    }
    return "other";
}

bool has_leading_wildcard_like(std::string_view sql) { return has_leading_wildcard_like(tokenize_sql(sql)); }

bool has_leading_wildcard_like(const std::vector<Token>& tokens) {
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i)
        if (tokens[i].kind == TokenKind::word && tokens[i].text == "like" && tokens[i + 1].kind == TokenKind::string &&
            tokens[i + 1].text.size() >= 2 && (tokens[i + 1].text[1] == '%' || tokens[i + 1].text[1] == '_'))
            return true;
    return false;
}

}  // namespace hpcmon::dbhealth
