// hpcmon-config: check a configuration file, print the effective configuration, the
// environment a launcher exports, or the schema rows of docs/configuration.md.
// Exit status: 0 fine, 2 bad configuration, 1 usage error.
#include "hpcmon/config.hpp"
#include "hpcmon/config_schema.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace {

using namespace hpcmon::config;

int with_config(const std::string& file, bool ignore_env, auto&& print) {
    try {
        const std::filesystem::path path = file.empty() ? default_path() : std::filesystem::path(file);
        print(load_file(path, ignore_env ? Environment::ignore : Environment::apply));
        return 0;
    } catch (const ConfigError& error) {
        std::cerr << error.what() << '\n';
        return 2;
    }
}

void print_schema() {
    for (const Section& section : schema()) {
        std::cout << "## `" << section.name << "`\n\n" << section.doc << "\n\n"
                  << "| key | type | default | range | meaning |\n"
                  << "|-----|------|---------|-------|---------|\n";
        for (const Field& field : section.fields) std::cout << markdown_row(section, field) << '\n';
        std::cout << '\n';
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"hpcmon configuration tool"};
    app.require_subcommand(1);
    std::string file;
    bool ignore_env = false;

    auto* check = app.add_subcommand("check", "validate FILE and print the effective configuration");
    check->add_option("FILE", file, "configuration file (default: $HPCMON_CONFIG or /etc/hpcmon/...)");
    check->add_flag("--no-env", ignore_env, "ignore HPCMON_<SECTION>__<KEY> overrides");

    auto* env = app.add_subcommand("env", "print the HPCMON_* variables of the effective configuration");
    env->add_option("FILE", file, "configuration file");
    env->add_flag("--no-env", ignore_env, "ignore HPCMON_<SECTION>__<KEY> overrides");

    auto* schema_cmd = app.add_subcommand("schema", "print every key as docs/configuration.md tables");

    CLI11_PARSE(app, argc, argv);
    if (check->parsed())
        return with_config(file, ignore_env, [](const Config& c) { std::cout << to_yaml(c); });
    if (env->parsed())
        return with_config(file, ignore_env, [](const Config& c) {
            for (const std::string& line : to_environment(c)) std::cout << line << '\n';
        });
    if (schema_cmd->parsed()) print_schema();
    return 0;
}
