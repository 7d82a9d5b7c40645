#include "service/http/metrics_listener.h"

#include "absl/strings/str_cat.h"

namespace verkenner::service {

MetricsListener::Response MetricsListener::Handle(const std::string& method,
                                                  const std::string& target,
                                                  const std::function<std::string()>& metrics_text,
                                                  const std::function<absl::Status()>& readiness,
                                                  const std::function<absl::Status()>& writer) {
  const std::string path = target.substr(0, target.find('?'));
  const bool writer_check = path == "/healthz/writer" && writer != nullptr;
  if (path != "/metrics" && path != "/healthz" && !writer_check) {
    return {404, "text/plain; charset=utf-8", "not found\n"};
  }
  if (method != "GET") return {405, "text/plain; charset=utf-8", "only GET\n"};
  if (path != "/metrics") {
    const absl::Status ready = readiness == nullptr ? absl::OkStatus() : readiness();
    if (!ready.ok()) {
      return {503, "text/plain; charset=utf-8",
              absl::StrCat("not ready: ", std::string(ready.message()), "\n")};
    }
    const absl::Status writing = writer_check ? writer() : absl::OkStatus();
    if (!writing.ok()) {
      return {503, "text/plain; charset=utf-8",
              absl::StrCat("not the index writer: ", std::string(writing.message()), "\n")};
    }
    return {200, "text/plain; charset=utf-8", "ok\n"};
  }
  return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_text()};
}

absl::StatusOr<std::unique_ptr<MetricsListener>> MetricsListener::Start(
    const std::string& address, std::function<std::string()> metrics_text,
    Options metrics_options) {
  std::unique_ptr<MetricsListener> metrics(new MetricsListener());
  metrics->metrics_text_ = std::move(metrics_text);
  metrics->readiness_ = std::move(metrics_options.readiness);
  metrics->writer_ = std::move(metrics_options.writer);
  HttpListener::Options options;
  options.max_body_bytes = 0;  // GET only
  options.timeout = std::chrono::seconds(5);
  options.max_connections = metrics_options.max_connections;
  options.name = "metrics";
  options.log = metrics_options.log;
  absl::StatusOr<std::unique_ptr<HttpListener>> listener = HttpListener::Start(
      address, options,
      [text = &metrics->metrics_text_, ready = &metrics->readiness_, writer = &metrics->writer_](
          HttpRequest request, std::function<void(HttpResponse)> respond) {
        const Response answer = Handle(request.method, request.target, *text, *ready, *writer);
        HttpResponse response;
        response.status = answer.status;
        response.content_type = answer.content_type;
        response.body = answer.body;
        response.headers.emplace_back("Cache-Control", "no-store");
        respond(std::move(response));
      });
  if (!listener.ok()) {
    return absl::Status(listener.status().code(),
                        "metrics: " + std::string(listener.status().message()));
  }
  metrics->listener_ = std::move(*listener);
  return metrics;
}

}  // namespace verkenner::service
