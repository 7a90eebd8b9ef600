// The HTTP layer on a real loopback socket: the envelope, typed errors and their statuses,
// unknown routes, method checks, body limits (declared and chunked).
#include <gtest/gtest.h>

#include "harness.hpp"
#include "hpcmon/head/http.hpp"

namespace hpcmon::head {
namespace {

using test::http;

class HttpLayer : public ::testing::Test {
 protected:
  void SetUp() override {
    router.get("/api/v1/echo", [](const Request& request) -> Outcome {
      return nlohmann::json{{"q", request.param("q").value_or("")}, {"peer", request.peer}};
    });
    router.get("/api/v1/fail", [](const Request&) -> Outcome {
      return ApiError{ErrorType::bad_parameter, "bad start", "start"};
    });
    router.get("/api/v1/throws", [](const Request&) -> Outcome { throw std::runtime_error("boom"); });
    router.post("/api/v1/size", [](const Request& request) -> Outcome {
      return nlohmann::json{{"bytes", request.body.size()}};
    });
    router.get_prefix("/api/v1/item/", [](const Request& request) -> Outcome {
      return nlohmann::json{{"tail", request.path_tail}};
    });
    router.get("/metrics", [](const Request&) -> Outcome {
      return RawBody{"text/plain; version=0.0.4", "up 1\n", nullptr};
    });
    router.get("/api/v1/cached", [this](const Request&) -> Outcome { return RawBody{"application/json", "", cached}; });
    ASSERT_EQ(server.start("127.0.0.1", 0), "");
    base = "http://127.0.0.1:" + std::to_string(server.port());
  }
  std::shared_ptr<const std::string> cached =
      std::make_shared<const std::string>(R"({"status":"success","data":{"n":1}})");
  Router router;
  HttpServer server{router, 4096};
  std::string base;
};

TEST_F(HttpLayer, DataIsWrappedInTheSuccessEnvelope) {
  const auto reply = http(base + "/api/v1/echo?q=a%20b");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/json");
  const auto body = reply.json();
  EXPECT_EQ(body["status"], "success");
  EXPECT_EQ(body["data"]["q"], "a b");
  EXPECT_EQ(body["data"]["peer"], "127.0.0.1");
}

TEST_F(HttpLayer, TypedErrorsMapToTheirStatusAndNameTheParameter) {
  const auto reply = http(base + "/api/v1/fail");
  EXPECT_EQ(reply.status, 400);
  const auto body = reply.json();
  EXPECT_EQ(body["status"], "error");
  EXPECT_EQ(body["error"]["type"], "bad_parameter");
  EXPECT_EQ(body["error"]["parameter"], "start");
  EXPECT_EQ(body["error"]["message"], "bad start");
  const auto thrown = http(base + "/api/v1/throws");
  EXPECT_EQ(thrown.status, 500);
  EXPECT_EQ(thrown.json()["error"]["type"], "internal");
}

TEST_F(HttpLayer, UnknownRouteIs404JsonAndWrongMethodIs405) {
  const auto missing = http(base + "/api/v1/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json()["error"]["type"], "not_found");
  const auto wrong = http(base + "/api/v1/echo", "POST", "{}");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.json()["error"]["type"], "method_not_allowed");
  EXPECT_EQ(http(base + "/api/v1/item/12_3.batch").json()["data"]["tail"], "12_3.batch");
}

TEST_F(HttpLayer, OversizedBodiesAreRefusedWith413) {
  EXPECT_EQ(http(base + "/api/v1/size", "POST", std::string(4096, 'x')).json()["data"]["bytes"], 4096);
  const auto declared = http(base + "/api/v1/size", "POST", std::string(4097, 'x'));
  EXPECT_EQ(declared.status, 413);
  EXPECT_EQ(declared.json()["error"]["type"], "payload_too_large");
  // Chunked: no Content-Length, the limit is found while reading.
  const auto chunked = http(base + "/api/v1/size", "POST", std::string(10000, 'y'),
                            {"Transfer-Encoding: chunked", "Content-Length:"});
  EXPECT_EQ(chunked.status, 413);
  EXPECT_EQ(server.request_counter().load(), 3u);
}

TEST_F(HttpLayer, RawBodiesKeepTheirContentType) {
  const auto reply = http(base + "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/plain; version=0.0.4");
  EXPECT_EQ(reply.body, "up 1\n");
}

// A cached body is sent as is, again and again, and every response lets go of it: the
// cache alone holds it once the answers are done (no leak, no copy kept alive).
TEST_F(HttpLayer, SharedBodyIsServedUncopiedAndReleased) {
  for (int i = 0; i < 3; ++i) {
    const auto reply = http(base + "/api/v1/cached");
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.content_type, "application/json");
    EXPECT_EQ(reply.body, *cached);
  }
  EXPECT_TRUE(test::eventually([&] { return cached.use_count() == 1; }, 2)) << cached.use_count();
  cached = std::make_shared<const std::string>(R"({"status":"success","data":{"n":2}})");
  EXPECT_EQ(http(base + "/api/v1/cached").json()["data"]["n"], 2);
}

}  // namespace
}  // namespace hpcmon::head
