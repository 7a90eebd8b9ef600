// The dashboard's static routes on a real folder: files served with their type, caching
// headers and the page's policy; nothing outside the folder, no symlink, no hidden name, no
// unknown type, no FIFO (which would block a reader) is ever served.
#include "hpcmon/head/static_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace hpcmon::head;

namespace {

class StaticFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("hpcmon-static-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    dir_ = base_ / "webui";
    fs::create_directories(dir_ / "ui" / "sub");
    fs::create_directories(base_ / "outside");
    write(dir_ / "index.html", "<!doctype html><title>hpcmon</title>");
    write(dir_ / "ui" / "app.js", "export const x = 1;\n");
    write(dir_ / "ui" / "sub" / "x.css", "body{}");
    write(dir_ / "ui" / ".hidden.js", "secret");
    write(dir_ / "ui" / "data.bin", "binary");
    write(base_ / "secret.js", "secret");
    write(base_ / "outside" / "x.css", "secret");
    fs::create_symlink(base_ / "secret.js", dir_ / "ui" / "link.js");
    fs::create_directory_symlink(base_ / "outside", dir_ / "ui" / "linkdir");
    ASSERT_EQ(::mkfifo((dir_ / "ui" / "fifo.js").c_str(), 0600), 0);
    register_static_routes(router_, dir_);
  }
  void TearDown() override { fs::remove_all(base_); }

  static void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

  Outcome get(const std::string& path, const std::string& etag = "") {
    Request request;
    request.method = "GET";
    request.path = path;
    if (!etag.empty()) request.headers["if-none-match"] = etag;
    return router_.dispatch(request);
  }

  static std::string header(const RawBody& body, const std::string& name) {
    for (const auto& [key, value] : body.headers)
      if (key == name) return value;
    return "";
  }

  fs::path base_, dir_;
  Router router_;
};

TEST_F(StaticFiles, RootIsTheIndexWithThePagePolicy) {
  for (const std::string path : {"/", "/index.html"}) {
    const Outcome outcome = get(path);
    const auto* body = std::get_if<RawBody>(&outcome);
    ASSERT_NE(body, nullptr) << path;
    EXPECT_EQ(body->status, 200);
    EXPECT_EQ(body->text, "<!doctype html><title>hpcmon</title>");
    EXPECT_EQ(body->content_type, "text/html; charset=utf-8");
    EXPECT_EQ(header(*body, "Cache-Control"), "no-cache");
    EXPECT_NE(header(*body, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
    EXPECT_NE(header(*body, "Content-Security-Policy").find("script-src 'self';"), std::string::npos);
    EXPECT_EQ(header(*body, "X-Frame-Options"), "DENY");
    EXPECT_FALSE(header(*body, "ETag").empty());
  }
}

TEST_F(StaticFiles, AssetsHaveTheirTypes) {
  const Outcome js = get("/ui/app.js");
  ASSERT_TRUE(std::holds_alternative<RawBody>(js));
  EXPECT_EQ(std::get<RawBody>(js).content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(std::get<RawBody>(js).text, "export const x = 1;\n");
  EXPECT_TRUE(header(std::get<RawBody>(js), "Content-Security-Policy").empty());
  const Outcome css = get("/ui/sub/x.css");
  ASSERT_TRUE(std::holds_alternative<RawBody>(css));
  EXPECT_EQ(std::get<RawBody>(css).content_type, "text/css; charset=utf-8");
  EXPECT_EQ(std::get<RawBody>(css).text, "body{}");
}

TEST_F(StaticFiles, UnchangedFileRevalidatesWithoutBody) {
  const Outcome first = get("/ui/app.js");
  const std::string tag = header(std::get<RawBody>(first), "ETag");
  const Outcome again = get("/ui/app.js", tag);
  ASSERT_TRUE(std::holds_alternative<RawBody>(again));
  EXPECT_EQ(std::get<RawBody>(again).status, 304);
  EXPECT_TRUE(std::get<RawBody>(again).text.empty());
  EXPECT_EQ(header(std::get<RawBody>(again), "ETag"), tag);
  const Outcome other = get("/ui/app.js", "\"0-0\"");
  EXPECT_EQ(std::get<RawBody>(other).status, 200);
}

TEST_F(StaticFiles, NothingOutsideTheFolderNorOddFiles) {
  const auto start = std::chrono::steady_clock::now();
  for (const std::string path : {"/ui/../secret.js", "/ui/sub/../../../secret.js", "/ui/link.js",
                                 "/ui/linkdir/x.css", "/ui/.hidden.js", "/ui/data.bin", "/ui/fifo.js",
                                 "/ui/missing.js", "/ui//app.js", "/ui/sub/", "/ui/app.js/", "/ui/a%2e%2e/x.js",
                                 "/ui/sub", "/secret.js", "/ui/app.js\\"}) {
    const Outcome outcome = get(path);
    ASSERT_TRUE(std::holds_alternative<ApiError>(outcome)) << path;
    EXPECT_EQ(std::get<ApiError>(outcome).type, ErrorType::not_found) << path;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));  // the FIFO did not block
}

TEST_F(StaticFiles, MissingFolderIsUnavailable) {
  Router router;
  register_static_routes(router, base_ / "not-there");
  Request request;
  request.method = "GET";
  request.path = "/";
  const Outcome outcome = router.dispatch(request);
  ASSERT_TRUE(std::holds_alternative<ApiError>(outcome));
  EXPECT_EQ(std::get<ApiError>(outcome).type, ErrorType::unavailable);
}

TEST(StaticPaths, OnlyThePageAndItsAssetsArePublic) {
  EXPECT_TRUE(is_static_path("/"));
  EXPECT_TRUE(is_static_path("/index.html"));
  EXPECT_TRUE(is_static_path("/ui/app.js"));
  EXPECT_FALSE(is_static_path("/api/v1/jobs"));
  EXPECT_FALSE(is_static_path("/metrics"));
  EXPECT_FALSE(is_static_path("/uix"));
  EXPECT_EQ(static_content_type("a.svg"), "image/svg+xml");
  EXPECT_EQ(static_content_type(".js"), "");
  EXPECT_EQ(static_content_type("x.exe"), "");
}

TEST(StaticPaths, DefaultFolderIsBesideTheProgramsFolder) {
  const fs::path program = fs::read_symlink("/proc/self/exe");
  EXPECT_EQ(default_webui_dir(), program.parent_path().parent_path() / "share" / "hpcmon" / "webui");
}

}  // namespace
