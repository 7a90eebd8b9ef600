// The shipped default file and docs/configuration.md agree with the schema table: the
// file loads cleanly with exactly the built-in defaults and names every key; the document
// has exactly one row per key, as `hpcmon-config schema` prints it.
#include "hpcmon/config.hpp"
#include "hpcmon/config_schema.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using namespace hpcmon::config;

namespace {

const fs::path source_dir = HPCMON_SOURCE_DIR;
const fs::path shipped = source_dir / "config" / "performance_monitoring_config.yaml";

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::set<std::string> schema_keys() {
    std::set<std::string> keys;
    for (const Section& section : schema())
        for (const Field& field : section.fields)
            keys.insert(std::string(section.name) + "." + std::string(field.key));
    return keys;
}

TEST(ShippedFile, LoadsCleanlyWithTheBuiltInDefaults) {
    const Config config = load_file(shipped, Environment::ignore);
    EXPECT_TRUE(same_settings(config, defaults())) << to_yaml(config);
    EXPECT_EQ(config.source, shipped.string());
}

TEST(ShippedFile, NamesEveryKeyOfTheSchema) {
    const std::string text = read_text(shipped);
    for (const Section& section : schema()) {
        const std::size_t start = text.find("\n" + std::string(section.name) + ":\n");
        ASSERT_NE(start, std::string::npos) << section.name;
        for (const Field& field : section.fields)
            EXPECT_NE(text.find("\n  " + std::string(field.key) + ":", start), std::string::npos)
                << section.name << "." << field.key;
    }
}

TEST(Documentation, HasExactlyTheSchemaRows) {
    const std::string doc = read_text(source_dir / "docs" / "configuration.md");
    ASSERT_FALSE(doc.empty());
    for (const Section& section : schema())
        for (const Field& field : section.fields) {
            const std::string row = markdown_row(section, field);
            EXPECT_NE(doc.find("\n" + row + "\n"), std::string::npos)
                << "docs/configuration.md lacks or differs from:\n" << row
                << "\n(print every row with: hpcmon-config schema)";
        }
    std::set<std::string> documented;
    const std::regex row_key(R"(\n\| `([a-z_]+\.[a-z_0-9]+)` \|)");
    for (std::sregex_iterator it(doc.begin(), doc.end(), row_key), end; it != end; ++it)
        EXPECT_TRUE(documented.insert((*it)[1]).second) << "documented twice: " << (*it)[1];
    EXPECT_EQ(documented, schema_keys());
}

TEST(Schema, DefaultsPassTheirOwnValidation) {
    // The built-in defaults, dumped and loaded back, give the same values without error.
    const Config again = load_string(to_yaml(defaults()), "defaults.yaml");
    EXPECT_TRUE(same_settings(again, defaults()));
    EXPECT_EQ(schema_keys().size(), 129u);
}

}  // namespace
