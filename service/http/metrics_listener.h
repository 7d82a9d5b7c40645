#ifndef VERKENNER_SERVICE_HTTP_METRICS_LISTENER_H_
#define VERKENNER_SERVICE_HTTP_METRICS_LISTENER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "service/http/http_listener.h"

namespace verkenner::service {

// The operator's HTTP endpoint: GET /metrics answers the Prometheus text exposition (format
// 0.0.4) that `metrics_text` returns, GET /healthz answers 200 "ok" while Options::readiness says
// the instance can serve and 503 "not ready: <why>" otherwise (a balancer's health check:
// readiness); GET /livez answers 200 "alive" whenever the process answers at all (liveness: a
// supervisor restarts a process only when this fails, not while it is merely not ready);
// GET /healthz/writer answers 200 only while it can serve and is the index writer as well (the
// balancer's check for where imports go), 503 "not the index writer: <why>" otherwise;
// GET /index/published/NAME answers a file of the index writer's publication (Options::published:
// followers fetch the writer's index there, indexer/index_publication.h); anything else is 404
// or 405.
// Meant for a scraper on the operator's network, not for people: the web app gets a listener of
// its own. Every connection has a read timeout and a header size limit; the listener has a
// connection cap and survives accept() failures (see HttpListener).
//
// Runs on an HttpListener of its own (one thread). Thread-safe; the destructor stops it.
class MetricsListener {
 public:
  struct Options {
    // Connections open at once (HttpListener::Options::max_connections): a few scrapers and
    // health checks need a handful.
    int max_connections = 100;
    // Where accept failures are logged; not owned; null: nowhere.
    StructuredLog* log = nullptr;
    // Whether the instance can serve now (its store answers, it is not stopping); null: always.
    std::function<absl::Status()> readiness;
    // Whether it is the index writer, which takes the imports (Server::CheckWriter); null: GET
    // /healthz/writer is 404.
    std::function<absl::Status()> writer;
    // A file of this instance's index publication by name (indexer::FetchPublished): NotFound
    // and InvalidArgument answer 404, other errors 503; null: GET /index/published/... is 404.
    std::function<absl::StatusOr<std::string>(const std::string&)> published;
  };

  // Listens on `address` ("host:port", port 0 for any free one). Errors: InvalidArgument for an
  // address that is not host:port, Unavailable when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsListener>> Start(
      const std::string& address, std::function<std::string()> metrics_text, Options options);
  static absl::StatusOr<std::unique_ptr<MetricsListener>> Start(
      const std::string& address, std::function<std::string()> metrics_text) {
    return Start(address, std::move(metrics_text), Options());
  }
  ~MetricsListener() = default;

  int port() const { return listener_->port(); }

  // Builds the response to one request, without any socket: what the sessions call.
  struct Response {
    int status = 200;
    std::string content_type;
    std::string body;
  };
  static Response Handle(const std::string& method, const std::string& target,
                         const std::function<std::string()>& metrics_text, const Options& options);

 private:
  MetricsListener() = default;

  std::function<std::string()> metrics_text_;
  Options options_;
  std::unique_ptr<HttpListener> listener_;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_HTTP_METRICS_LISTENER_H_
