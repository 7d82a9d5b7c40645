#ifndef VERKENNER_SERVICE_HTTP_HTTP_LISTENER_H_
#define VERKENNER_SERVICE_HTTP_HTTP_LISTENER_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace verkenner::service {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // "/api/v1/...", with its query
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  // The IP address of the connection's other end, without its port (a proxy's, when there is
  // one in front; see ApiGateway for X-Forwarded-For).
  std::string remote_address;

  std::string Header(const std::string& lower_case_name) const {
    auto found = headers.find(lower_case_name);
    return found == headers.end() ? "" : found->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// An HTTP/1.1 listener on Boost.Beast and Asio, as in Beast's async server example: one session
// per connection on a strand of its own, a deadline on every read and write, limits on header and
// body size (a request over them is answered 413 or dropped), one request per connection. The
// head is read first, so that a route may get a larger body limit and more time (an upload) than
// the rest; a body announced larger than its limit is refused before any of it is read. The
// handler never touches a socket: it gets the request and answers through `respond`, from any
// thread, once.
//
// Thread-safe; the destructor stops the listener and waits for its threads. An answer that comes
// after that is dropped (its connection is closed).
class HttpListener {
 public:
  // The limits of one request's body: its size, and the time to read it.
  struct BodyLimits {
    size_t max_body_bytes = 0;
    std::chrono::seconds timeout{0};
  };
  struct Options {
    size_t max_header_bytes = 8 * 1024;
    size_t max_body_bytes = 1 << 20;
    std::chrono::seconds timeout{10};  // per read and per write
    int threads = 1;
    // Called on the listener's thread with a request's head (no body yet): other limits for its
    // body than max_body_bytes and timeout, or nullopt for those. Must not block. Unset: the
    // defaults for every request.
    std::function<std::optional<BodyLimits>(const HttpRequest& head)> body_limits;
  };
  using Handler =
      std::function<void(HttpRequest request, std::function<void(HttpResponse)> respond)>;

  // Listens on "host:port" (port 0: any free one). Errors: InvalidArgument for a malformed
  // address, Unavailable when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpListener>> Start(const std::string& address,
                                                             Options options, Handler handler);
  ~HttpListener();

  int port() const { return port_; }

 private:
  struct Loop;
  HttpListener() = default;

  std::shared_ptr<Loop> loop_;  // shared with answers being posted (see the .cc)
  std::vector<std::thread> threads_;
  int port_ = 0;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_HTTP_HTTP_LISTENER_H_
