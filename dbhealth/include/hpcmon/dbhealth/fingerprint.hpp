// Fingerprints of SQL as slurmdbd writes it: double-quoted (ANSI_QUOTES) and backquoted
// identifiers kept as written, string and number literals folded to ?, IN lists and VALUES
// rows folded to (?+), comments dropped, whitespace collapsed, unquoted words in lower case.
// Unlike pt-query-digest it never takes "t1.account" for a number ("t?ount").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hpcmon::dbhealth {

enum class TokenKind { word, quoted_identifier, string, number, placeholder, punct, op };

struct Token {
    TokenKind kind;
    std::string text;  // words lower-cased; quoted identifiers with their quotes
};

// Tokens of a statement (comments and whitespace dropped).
std::vector<Token> tokenize_sql(std::string_view sql);

// The fingerprint text, e.g. select ... from "testcluster_step_table" as t1 where t1.job_db_inx=? ...
std::string fingerprint(std::string_view sql);
std::string fingerprint(const std::vector<Token>& tokens);  // of tokenize_sql's tokens

// 16 hex digits (FNV-1a 64 of the text): the fingerprint's id in the API, taken of the
// statement's identity (below) so that a slow-log statement and its performance_schema digest
// have the same id.
std::string fingerprint_id(std::string_view fingerprint_text);

// The statement's identity: one text for the statement as slurmdbd sent it (double quotes,
// t1.col, 'literals', IN (1,2)) and as performance_schema's DIGEST_TEXT shows it (backquotes,
// `t1` . `col`, ?, IN (...), VALUES (...) /* , ... */, keyword synonyms such as SYSTEM_USER for
// user or DISTINCTROW for distinct, a trailing ;): identifiers unquoted, lower case, literal
// lists folded to (?+), && and || as and/or.
std::string statement_identity(const std::vector<Token>& tokens);
std::string statement_identity(std::string_view sql);

// select, insert, update, delete, commit, set, call, show, ... (first word, lower case).
std::string statement_kind(std::string_view sql);
std::string statement_kind(const std::vector<Token>& tokens);

// True when a LIKE compares with a string literal that starts with % or _.
bool has_leading_wildcard_like(std::string_view sql);
bool has_leading_wildcard_like(const std::vector<Token>& tokens);

}  // namespace hpcmon::dbhealth
