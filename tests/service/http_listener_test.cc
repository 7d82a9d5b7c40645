// HttpListener's limits and graceful stop, over real sockets on 127.0.0.1: more connections than
// its cap, Drain with a request in flight beside idle connections, a port in use. (Descriptors
// that run out: http_listener_exhaustion_test.cc.)
#include "service/http/http_listener.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "tests/service/raw_http_client.h"

namespace verkenner::service {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::ConnectToLoopback;
using testing::Exchange;
using testing::ReadUntilClosed;
using testing::SendAll;

constexpr char kGet[] = "GET / HTTP/1.1\r\nHost: verkenner\r\n\r\n";

HttpListener::Handler Hello() {
  return [](HttpRequest, std::function<void(HttpResponse)> respond) {
    HttpResponse response;
    response.body = "hallo\n";
    respond(std::move(response));
  };
}

TEST(HttpListenerTest, AConnectionOverTheCapIsRefusedUntilOneCloses) {
  HttpListener::Options options;
  options.max_connections = 2;
  auto listener = HttpListener::Start("127.0.0.1:0", options, Hello());
  ASSERT_TRUE(listener.ok()) << listener.status();
  const int port = (*listener)->port();

  // Two idle connections take the two places: connections are accepted in order, so both are
  // counted before the third is accepted.
  const int first = ConnectToLoopback(port);
  const int second = ConnectToLoopback(port);
  ASSERT_GE(first, 0);
  ASSERT_GE(second, 0);
  const std::string refused = Exchange(port, kGet);
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
  EXPECT_NE(refused.find("Retry-After: 1\r\n"), std::string::npos) << refused;
  EXPECT_NE(refused.find("Connection: close\r\n"), std::string::npos) << refused;
  EXPECT_NE(refused.find("Te veel verbindingen"), std::string::npos) << refused;
  EXPECT_NE(refused.find("Too many connections"), std::string::npos) << refused;

  close(first);
  // Once the listener has seen the close, the place is free again.
  std::string served;
  int attempts = 0;
  const auto give_up = std::chrono::steady_clock::now() + seconds(10);
  while (std::chrono::steady_clock::now() < give_up && attempts < 1000) {
    ++attempts;
    served = Exchange(port, kGet);
    if (served.rfind("HTTP/1.1 503", 0) != 0) break;
  }
  EXPECT_EQ(served.rfind("HTTP/1.1 200", 0), 0u) << served;
  EXPECT_NE(served.find("hallo"), std::string::npos) << served;
  std::cout << "served after " << attempts << " attempt(s)" << std::endl;
  close(second);
}

TEST(HttpListenerTest, DrainAnswersTheRequestInFlightAndClosesIdleConnectionsAtOnce) {
  std::promise<std::function<void(HttpResponse)>> slow;
  auto listener =
      HttpListener::Start("127.0.0.1:0", HttpListener::Options{},
                          [&](HttpRequest request, std::function<void(HttpResponse)> respond) {
                            if (request.target == "/slow") {
                              slow.set_value(std::move(respond));
                              return;
                            }
                            respond(HttpResponse{200, "text/plain", "hallo\n", {}});
                          });
  ASSERT_TRUE(listener.ok()) << listener.status();
  const int port = (*listener)->port();

  const int busy = ConnectToLoopback(port);
  ASSERT_GE(busy, 0);
  ASSERT_TRUE(SendAll(busy, "GET /slow HTTP/1.1\r\n\r\n"));
  std::function<void(HttpResponse)> respond = slow.get_future().get();
  const int idle = ConnectToLoopback(port);
  const int half = ConnectToLoopback(port);
  ASSERT_GE(idle, 0);
  ASSERT_GE(half, 0);
  ASSERT_TRUE(SendAll(half, "GET / HTTP/1.1\r\nHo"));
  // Answered after both were accepted (in order), and after `half`'s bytes were read.
  ASSERT_NE(Exchange(port, kGet).find("hallo"), std::string::npos);

  const auto started = std::chrono::steady_clock::now();
  std::future<void> drained = std::async(std::launch::async, [&] {
    (*listener)->Drain(std::chrono::steady_clock::now() + seconds(20));
  });
  EXPECT_EQ(ReadUntilClosed(idle, seconds(5)), "");
  EXPECT_EQ(ReadUntilClosed(half, seconds(5)), "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(5));
  // The acceptor was closed before the idle connections: no new ones.
  EXPECT_EQ(ConnectToLoopback(port), -1);
  EXPECT_EQ(drained.wait_for(milliseconds(0)), std::future_status::timeout)
      << "Drain did not wait for the request in flight";

  respond(HttpResponse{200, "text/plain", "eindelijk\n", {}});
  const std::string answer = ReadUntilClosed(busy, seconds(10));
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_NE(answer.find("eindelijk"), std::string::npos) << answer;
  EXPECT_EQ(drained.wait_for(seconds(10)), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(10));
  close(busy);
  close(idle);
  close(half);
}

// A handler may keep a streamed body past the listener's end (an upload thread that waits for
// its gRPC call while the server stops): asking it for more, and letting it go, afterwards must
// touch nothing of the listener's, whose io_context is gone.
TEST(HttpListenerTest, AStreamedBodyOutlivesItsListener) {
  std::promise<std::shared_ptr<BodyStream>> kept;
  HttpListener::Options options;
  options.body_limits = [](const HttpRequest&) {
    return HttpListener::BodyLimits{
        .max_body_bytes = 1 << 20, .timeout = seconds(10), .stream = true};
  };
  auto listener = HttpListener::Start("127.0.0.1:0", options,
                                      [&](HttpRequest request, std::function<void(HttpResponse)>) {
                                        kept.set_value(request.body_stream);  // never answered
                                      });
  ASSERT_TRUE(listener.ok()) << listener.status();
  const int client = ConnectToLoopback((*listener)->port());
  ASSERT_GE(client, 0);
  ASSERT_TRUE(SendAll(client, "POST /upload HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc"));
  std::shared_ptr<BodyStream> body = kept.get_future().get();
  ASSERT_NE(body, nullptr);

  listener->reset();  // the server stops, the handler's thread still holds the body
  std::string part;
  int parts = 0;
  while (parts < 10 && body->Read(part)) ++parts;  // at most "abc", read ahead
  EXPECT_LE(parts, 1);
  EXPECT_EQ(body->status().code(), absl::StatusCode::kUnavailable) << body->status();
  body.reset();  // the last owner lets go (ASan: no use after free)
  close(client);
}

TEST(HttpListenerTest, ASecondListenerOnAPortInUseIsRefused) {
  auto first = HttpListener::Start("127.0.0.1:0", HttpListener::Options{}, Hello());
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string address = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = HttpListener::Start(address, HttpListener::Options{}, Hello());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(address), std::string::npos) << second.status();
}

}  // namespace
}  // namespace verkenner::service
