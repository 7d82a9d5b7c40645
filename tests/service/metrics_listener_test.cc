#include "service/http/metrics_listener.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "service/http/http_listener.h"
#include "tests/service/raw_http_client.h"

namespace verkenner::service {
namespace {

// A plain HTTP/1.1 exchange over a real socket: what a scraper sends, what comes back.
std::string Get(int port, const std::string& request) {
  boost::asio::io_context context;
  boost::asio::ip::tcp::socket socket(context);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
  // The server may refuse and close before it has read everything: a failed write is part of
  // the exchange, the answer (if any) is still read.
  boost::system::error_code write_error;
  boost::asio::write(socket, boost::asio::buffer(request), write_error);
  std::string response;
  boost::system::error_code error;
  char buffer[4096];
  while (true) {
    const size_t read = socket.read_some(boost::asio::buffer(buffer), error);
    response.append(buffer, read);
    if (error) break;  // the server closes after its answer
  }
  return response;
}

TEST(MetricsListenerTest, ServesThePrometheusTextAndHealthOverHttp) {
  int scrapes = 0;
  auto listener = MetricsListener::Start("127.0.0.1:0", [&] {
    ++scrapes;
    return std::string("verkenner_up 1\n");
  });
  ASSERT_TRUE(listener.ok()) << listener.status();
  const int port = (*listener)->port();
  ASSERT_GT(port, 0);

  const std::string metrics = Get(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(metrics.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << metrics;
  EXPECT_NE(metrics.find("Content-Type: text/plain; version=0.0.4; charset=utf-8"),
            std::string::npos);
  EXPECT_NE(metrics.find("\r\n\r\nverkenner_up 1\n"), std::string::npos);
  EXPECT_EQ(scrapes, 1);

  EXPECT_NE(Get(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").find("\r\n\r\nok\n"),
            std::string::npos);
  EXPECT_EQ(Get(port, "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(Get(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                .rfind("HTTP/1.1 405", 0),
            0u);
  // Garbage and oversized headers get no answer but a closed connection.
  EXPECT_EQ(Get(port, "NOT HTTP\r\n\r\n"), "");
  EXPECT_EQ(Get(port, "GET /metrics HTTP/1.1\r\nX: " + std::string(10000, 'a') + "\r\n\r\n"), "");
  EXPECT_EQ(scrapes, 1);
}

// The handler keeps `respond` and answers only after the listener has stopped, as a gRPC call of
// the web gateway may. The answer must be dropped without touching the stopped listener's
// connection (under ASan, a session that outlived its io_context was a heap-use-after-free).
TEST(HttpListenerTest, AnAnswerAfterTheListenerStoppedIsDropped) {
  std::promise<std::function<void(HttpResponse)>> kept;
  auto listener = HttpListener::Start("127.0.0.1:0", HttpListener::Options{},
                                      [&](HttpRequest, std::function<void(HttpResponse)> respond) {
                                        kept.set_value(std::move(respond));
                                      });
  ASSERT_TRUE(listener.ok()) << listener.status();
  const int port = (*listener)->port();
  std::thread client([port] {
    // The connection is closed when the listener stops, and no answer comes. (Waiting for
    // 10 s instead means a stopped listener left its connection open.)
    boost::asio::io_context context;
    boost::asio::ip::tcp::socket socket(context);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
    const timeval ten_seconds{10, 0};
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &ten_seconds, sizeof ten_seconds);
    boost::asio::write(socket, boost::asio::buffer(std::string("GET /slow HTTP/1.1\r\n\r\n")));
    // Plain recv: Asio's own blocking read would wait past the socket's timeout.
    char buffer[256];
    const ssize_t read = recv(socket.native_handle(), buffer, sizeof buffer, 0);
    EXPECT_TRUE(read == 0 || (read < 0 && errno == ECONNRESET))
        << "read " << read << ": " << (read < 0 ? strerror(errno) : "an answer");
  });
  std::function<void(HttpResponse)> respond = kept.get_future().get();
  listener->reset();  // stops it while the request waits for its answer
  client.join();
  HttpResponse late;
  late.body = "too late\n";
  respond(std::move(late));  // must not write, nor crash
  respond = nullptr;         // the last reference to the request goes here
}

// The metrics listener has a cap of its own, far below the web app's.
TEST(MetricsListenerTest, HealthSaysNotReadyWhileTheInstanceCannotServe) {
  absl::Status ready = absl::OkStatus();
  MetricsListener::Options options;
  options.readiness = [&] { return ready; };
  const auto text = [] { return std::string(); };
  EXPECT_EQ(MetricsListener::Handle("GET", "/healthz", text, options).status, 200);
  ready = absl::UnavailableError("stopping");
  const MetricsListener::Response stopping =
      MetricsListener::Handle("GET", "/healthz", text, options);
  EXPECT_EQ(stopping.status, 503);
  EXPECT_EQ(stopping.body, "not ready: stopping\n");
  EXPECT_EQ(MetricsListener::Handle("GET", "/metrics", text, options).status, 200);
  // Liveness is not readiness: a process that answers at all is alive, and restarting it would
  // not make its store answer or its index arrive sooner.
  const MetricsListener::Response alive = MetricsListener::Handle("GET", "/livez", text, options);
  EXPECT_EQ(alive.status, 200);
  EXPECT_EQ(alive.body, "alive\n");
  EXPECT_EQ(MetricsListener::Handle("POST", "/livez", text, options).status, 405);
}

TEST(MetricsListenerTest, TheWriterCheckPassesOnlyOnAReadyIndexWriter) {
  absl::Status ready = absl::OkStatus();
  absl::Status writer = absl::OkStatus();
  MetricsListener::Options options;
  options.readiness = [&] { return ready; };
  const auto text = [] { return std::string(); };
  EXPECT_EQ(MetricsListener::Handle("GET", "/healthz/writer", text, options).status, 404)
      << "a listener without a writer check has no such path";
  options.writer = [&] { return writer; };
  EXPECT_EQ(MetricsListener::Handle("GET", "/healthz/writer", text, options).status, 200);
  writer = absl::FailedPreconditionError("imports go to the index writer at 127.0.0.2:50051");
  const MetricsListener::Response follower =
      MetricsListener::Handle("GET", "/healthz/writer", text, options);
  EXPECT_EQ(follower.status, 503);
  EXPECT_EQ(follower.body,
            "not the index writer: imports go to the index writer at 127.0.0.2:50051\n");
  EXPECT_EQ(MetricsListener::Handle("GET", "/healthz", text, options).status, 200)
      << "a follower serves searches";
  writer = absl::OkStatus();
  ready = absl::UnavailableError("stopping");
  EXPECT_EQ(MetricsListener::Handle("GET", "/healthz/writer", text, options).status, 503);
  EXPECT_EQ(MetricsListener::Handle("POST", "/healthz/writer", text, options).status, 405);
}

TEST(MetricsListenerTest, PublishedFilesAreServedByNameAndNothingElse) {
  MetricsListener::Options options;
  const auto text = [] { return std::string(); };
  EXPECT_EQ(MetricsListener::Handle("GET", "/index/published/MANIFEST", text, options).status, 404)
      << "a listener without a publication has no such path";
  std::vector<std::string> asked;
  options.published = [&](const std::string& name) -> absl::StatusOr<std::string> {
    asked.push_back(name);
    if (name == "MANIFEST") return std::string("bytes\0of it", 11);
    if (name == "broken") return absl::InternalError("disk");
    return absl::NotFoundError("no such file");
  };
  const MetricsListener::Response manifest =
      MetricsListener::Handle("GET", "/index/published/MANIFEST?x=1", text, options);
  EXPECT_EQ(manifest.status, 200);
  EXPECT_EQ(manifest.body, std::string("bytes\0of it", 11));
  EXPECT_EQ(manifest.content_type, "application/octet-stream");
  EXPECT_EQ(MetricsListener::Handle("GET", "/index/published/c1.s0", text, options).status, 404);
  EXPECT_EQ(MetricsListener::Handle("GET", "/index/published/broken", text, options).status, 503);
  EXPECT_EQ(MetricsListener::Handle("PUT", "/index/published/MANIFEST", text, options).status, 405);
  EXPECT_EQ(asked, (std::vector<std::string>{"MANIFEST", "c1.s0", "broken"}))
      << "the name goes to the publication, which checks it (indexer::FetchFromDirectory)";
}

TEST(MetricsListenerTest, AConnectionOverItsCapIsRefused) {
  MetricsListener::Options options;
  options.max_connections = 1;
  auto listener = MetricsListener::Start(
      "127.0.0.1:0", [] { return std::string(); }, options);
  ASSERT_TRUE(listener.ok()) << listener.status();
  const int idle = testing::ConnectToLoopback((*listener)->port());
  ASSERT_GE(idle, 0);
  const std::string refused =
      testing::Exchange((*listener)->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
  close(idle);
}

TEST(MetricsListenerTest, BadAddressesAreRefused) {
  EXPECT_EQ(MetricsListener::Start("localhost", [] { return ""; }).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MetricsListener::Start("127.0.0.1:70000", [] { return ""; }).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace verkenner::service
