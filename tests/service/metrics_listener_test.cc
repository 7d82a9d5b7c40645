#include "service/http/metrics_listener.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <string>

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

TEST(MetricsListenerTest, BadAddressesAreRefused) {
  EXPECT_EQ(MetricsListener::Start("localhost", [] { return ""; }).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MetricsListener::Start("127.0.0.1:70000", [] { return ""; }).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace verkenner::service
