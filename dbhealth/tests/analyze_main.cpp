// hpcmon_dbhealth_analyze LOG [--state FILE] [key=value ...]: one follower round over a slow log
// (from the position kept in FILE, when given) and the analysis of what it read, as JSON on
// stdout with the follower's totals; accounting_db thresholds as key=value. Messages on stderr.
#include "hpcmon/dbhealth/dbhealth.hpp"

#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: hpcmon_dbhealth_analyze LOG [key=value ...]\n";
        return 2;
    }
    std::string yaml = "accounting_db:\n";
    std::string state;
    int settings = 0;
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--state" && i + 1 < argc) {
            state = argv[++i];
            continue;
        }
        ++settings;
        const auto eq = arg.find('=');
        if (eq == std::string::npos) {
            std::cerr << "expected key=value, got " << arg << "\n";
            return 2;
        }
        yaml += "  " + arg.substr(0, eq) + ": " + arg.substr(eq + 1) + "\n";
    }
    try {
        const auto config = hpcmon::config::load_string(settings > 0 ? yaml : "general: {}\n", "(arguments)");
        hpcmon::dbhealth::Analyzer analyzer(config.accounting_db);
        hpcmon::dbhealth::SlowLogFollower follower(argv[1], state, 1ull << 40,
                                                   [](const std::string& line) { std::cerr << line << "\n"; });
        const auto round = follower.poll();
        for (const auto& entry : round.entries) analyzer.add(entry);
        auto report = hpcmon::dbhealth::report_json(analyzer, 50);
        const auto& p = follower.position();
        report["follower"] = {{"round_entries", round.entries.size()}, {"round_malformed", round.malformed},
                              {"rotated", round.rotated}, {"truncated", round.truncated}, {"offset", p.offset},
                              {"entries", p.entries}, {"malformed", p.malformed}};
        std::cout << report.dump(2) << "\n";
    } catch (const std::exception& error) {
        std::cerr << error.what() << "\n";
        return 2;
    }
    return 0;
}
