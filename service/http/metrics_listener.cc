#include "service/http/metrics_listener.h"

#include "absl/strings/str_cat.h"

namespace verkenner::service {

namespace {

constexpr char kText[] = "text/plain; charset=utf-8";
constexpr std::string_view kPublishedPrefix = "/index/published/";

MetricsListener::Response PublishedFile(const MetricsListener::Options& options,
                                        const std::string& name) {
  absl::StatusOr<std::string> bytes = options.published(name);
  if (bytes.ok()) return {200, "application/octet-stream", *std::move(bytes)};
  if (absl::IsNotFound(bytes.status()) || absl::IsInvalidArgument(bytes.status())) {
    return {404, kText, "not found\n"};
  }
  return {503, kText, "the publication cannot be read now\n"};
}

}  // namespace

MetricsListener::Response MetricsListener::Handle(const std::string& method,
                                                  const std::string& target,
                                                  const std::function<std::string()>& metrics_text,
                                                  const Options& options) {
  const std::string path = target.substr(0, target.find('?'));
  const bool writer_check = path == "/healthz/writer" && options.writer != nullptr;
  const bool published = path.starts_with(kPublishedPrefix) && options.published != nullptr;
  if (path != "/metrics" && path != "/healthz" && path != "/livez" && !writer_check && !published) {
    return {404, kText, "not found\n"};
  }
  if (method != "GET") return {405, kText, "only GET\n"};
  if (published) return PublishedFile(options, path.substr(kPublishedPrefix.size()));
  if (path == "/livez") return {200, kText, "alive\n"};
  if (path != "/metrics") {
    const absl::Status ready =
        options.readiness == nullptr ? absl::OkStatus() : options.readiness();
    if (!ready.ok()) {
      return {503, kText, absl::StrCat("not ready: ", std::string(ready.message()), "\n")};
    }
    const absl::Status writing = writer_check ? options.writer() : absl::OkStatus();
    if (!writing.ok()) {
      return {503, kText,
              absl::StrCat("not the index writer: ", std::string(writing.message()), "\n")};
    }
    return {200, kText, "ok\n"};
  }
  return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_text()};
}

absl::StatusOr<std::unique_ptr<MetricsListener>> MetricsListener::Start(
    const std::string& address, std::function<std::string()> metrics_text,
    Options metrics_options) {
  std::unique_ptr<MetricsListener> metrics(new MetricsListener());
  metrics->metrics_text_ = std::move(metrics_text);
  metrics->options_ = std::move(metrics_options);
  HttpListener::Options options;
  options.max_body_bytes = 0;  // GET only
  options.timeout = std::chrono::seconds(5);
  options.max_connections = metrics->options_.max_connections;
  options.name = "metrics";
  options.log = metrics->options_.log;
  absl::StatusOr<std::unique_ptr<HttpListener>> listener = HttpListener::Start(
      address, options,
      [raw = metrics.get()](HttpRequest request, std::function<void(HttpResponse)> respond) {
        const Response answer =
            Handle(request.method, request.target, raw->metrics_text_, raw->options_);
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
