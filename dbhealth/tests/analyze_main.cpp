// hpcmon_dbhealth_analyze LOG [key=value ...]: the analysis of a slow log as JSON on stdout
// (accounting_db thresholds as key=value: n_plus_one_min_count=5 ...). Messages on stderr.
#include "hpcmon/dbhealth/dbhealth.hpp"

#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: hpcmon_dbhealth_analyze LOG [key=value ...]\n";
        return 2;
    }
    std::string yaml = "accounting_db:\n";
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        const auto eq = arg.find('=');
        if (eq == std::string::npos) {
            std::cerr << "expected key=value, got " << arg << "\n";
            return 2;
        }
        yaml += "  " + arg.substr(0, eq) + ": " + arg.substr(eq + 1) + "\n";
    }
    try {
        const auto config = hpcmon::config::load_string(argc > 2 ? yaml : "general: {}\n", "(arguments)");
        hpcmon::dbhealth::Analyzer analyzer(config.accounting_db);
        hpcmon::dbhealth::SlowLogFollower follower(argv[1], "", 1ull << 40,
                                                   [](const std::string& line) { std::cerr << line << "\n"; });
        for (const auto& entry : follower.poll().entries) analyzer.add(entry);
        std::cout << hpcmon::dbhealth::report_json(analyzer, 50).dump(2) << "\n";
    } catch (const std::exception& error) {
        std::cerr << error.what() << "\n";
        return 2;
    }
    return 0;
}
