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
#include "base/tls_files.h"
#include "service/http/body_stream.h"
#include "service/observability/access_log.h"

namespace verkenner::service {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // "/api/v1/...", with its query
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  // Set instead of `body` for a route whose BodyLimits say stream: the handler gets the request
  // right after its head and reads the body as it arrives, or answers without reading it.
  std::shared_ptr<BodyStream> body_stream;
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
// Resource exhaustion does not stop it: when accept() fails (EMFILE when descriptors run out,
// ENOBUFS, ...) it logs one "http_accept_failed" line and tries again after a pause that grows
// from 50 ms to 500 ms while the failures last. At most `max_connections` connections are open at
// once; one more is answered at once with 503, Retry-After: 1 and a short Dutch and English text,
// without reading its request, and closed (after reading what the client still sends, for at
// most a second, so that closing does not reset the answer away).
//
// Thread-safe; the destructor stops the listener and waits for its threads. An answer that comes
// after that is dropped (its connection is closed).
class HttpListener {
 public:
  // The limits of one request's body: its size, and the time to read it.
  struct BodyLimits {
    size_t max_body_bytes = 0;
    std::chrono::seconds timeout{0};
    // Hand the request over at once, with HttpRequest::body_stream, instead of after its body.
    bool stream = false;
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
    // Connections open at once, from accept to close; the one after is refused with 503.
    int max_connections = 1000;
    // Names the listener in log lines ("web", "metrics").
    std::string name = "http";
    // Where accept failures are logged; not owned, must outlive the listener; null: nowhere.
    StructuredLog* log = nullptr;
    // TLS on every connection (base::LoadTlsFiles has checked it); with a client CA, only
    // clients with a certificate it signed get in. None: plain HTTP. Over the connection cap a
    // TLS connection is closed without an answer (a 503 would need the handshake first).
    std::optional<base::TlsFiles> tls;
  };
  using Handler =
      std::function<void(HttpRequest request, std::function<void(HttpResponse)> respond)>;

  // Listens on "host:port" (port 0: any free one). Errors: InvalidArgument for a malformed
  // address, Unavailable when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpListener>> Start(const std::string& address,
                                                             Options options, Handler handler);
  ~HttpListener();

  int port() const { return port_; }
  bool tls() const { return tls_; }

  // The first half of a graceful stop: stops accepting, closes the connections that carry no
  // request (nothing received, or a head that stalled), and waits until the requests in flight
  // have been answered or `deadline` has passed. Their handlers still run and their answers are
  // still written. Whatever is left at the deadline ends with the destructor. Call once, not
  // from a handler.
  void Drain(std::chrono::steady_clock::time_point deadline);

 private:
  struct Loop;
  HttpListener() = default;

  std::shared_ptr<Loop> loop_;  // shared with answers being posted (see the .cc)
  std::vector<std::thread> threads_;
  int port_ = 0;
  bool tls_ = false;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_HTTP_HTTP_LISTENER_H_
