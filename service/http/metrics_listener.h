#ifndef VERKENNER_SERVICE_HTTP_METRICS_LISTENER_H_
#define VERKENNER_SERVICE_HTTP_METRICS_LISTENER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace verkenner::service {

// The operator's HTTP endpoint: GET /metrics answers the Prometheus text exposition (format
// 0.0.4) that `metrics_text` returns, GET /healthz answers "ok"; anything else is 404 or 405.
// Meant for a scraper on the operator's network, not for people: the web app gets a listener of
// its own. Every connection has a read timeout and a header size limit.
//
// One thread of its own runs an Asio event loop (Beast, one session per connection, as in
// Beast's async server example). Thread-safe; the destructor stops it.
class MetricsListener {
 public:
  // Listens on `address` ("host:port", port 0 for any free one). Errors: InvalidArgument for an
  // address that is not host:port, Unavailable when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsListener>> Start(
      const std::string& address, std::function<std::string()> metrics_text);
  ~MetricsListener();

  int port() const { return port_; }

  // Builds the response to one request, without any socket: what the sessions call.
  struct Response {
    int status = 200;
    std::string content_type;
    std::string body;
  };
  static Response Handle(const std::string& method, const std::string& target,
                         const std::function<std::string()>& metrics_text);

 private:
  struct Loop;
  MetricsListener() = default;

  std::unique_ptr<Loop> loop_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_HTTP_METRICS_LISTENER_H_
