#ifndef VERKENNER_SERVICE_OBSERVABILITY_ACCESS_LOG_H_
#define VERKENNER_SERVICE_OBSERVABILITY_ACCESS_LOG_H_

#include <grpcpp/support/server_interceptor.h>

#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

namespace verkenner::service {

// Structured logs: one JSON object per line, so that a log shipper parses them without rules.
// Every line has "time" (RFC 3339, UTC, milliseconds), "level" and "event"; the rest depends on
// the event. Log lines never hold personal data: no names, e-mail addresses, profile contents or
// tokens, and no error messages (which could echo input) — only methods, codes and durations.
//
// Thread-safe: lines from several threads never interleave.
class StructuredLog {
 public:
  explicit StructuredLog(std::ostream* out) : out_(out) {}

  // Writes {"time":..., "level": level, "event": event, <fields>}. `fields` is a list of
  // already-encoded JSON members, e.g. {"\"port\":50051"}; use Quote() for string values.
  void Write(std::string_view level, std::string_view event,
             std::initializer_list<std::string> fields = {});

  // `text` as a JSON string literal, quotes included.
  static std::string Quote(std::string_view text);

 private:
  std::mutex mutex_;
  std::ostream* out_;
};

// Writes one "rpc" line per call: method, status code name and milliseconds spent, like the
// metrics interceptor measures them (service/observability/metrics.h).
// Pass to grpc::ServerBuilder::experimental().SetInterceptorCreators(). `log` is not owned.
class AccessLogInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit AccessLogInterceptorFactory(StructuredLog* log) : log_(log) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  StructuredLog* const log_;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_OBSERVABILITY_ACCESS_LOG_H_
