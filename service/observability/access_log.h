#ifndef VERKENNER_SERVICE_OBSERVABILITY_ACCESS_LOG_H_
#define VERKENNER_SERVICE_OBSERVABILITY_ACCESS_LOG_H_

#include <google/protobuf/stubs/logging.h>
#include <grpcpp/support/server_interceptor.h>

#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

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
// metrics interceptor measures them (service/observability/metrics.h). The method is the one
// the client called when `is_known_method` says the server has it (Server passes
// MetricsRegistry::IsRegistered), else "unknown": a name a client made up is never logged, so
// it cannot carry data or bytes that break the line into the log.
// Pass to grpc::ServerBuilder::experimental().SetInterceptorCreators(). `log` is not owned;
// `is_known_method` must be thread-safe.
class AccessLogInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  AccessLogInterceptorFactory(StructuredLog* log,
                              std::function<bool(std::string_view)> is_known_method)
      : log_(log), is_known_method_(std::move(is_known_method)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  StructuredLog* const log_;
  const std::function<bool(std::string_view)> is_known_method_;
};

// While it lives, what the protobuf library logs (for example "String field
// 'verkenner.v1.Vacancy.text' contains invalid UTF-8 data when parsing a protocol buffer",
// which a client triggers at will) goes to `log` as a "protobuf" line with level, source and
// message (protobuf's messages name fields and types, never values; capped at 300 bytes),
// instead of as plain text on stderr beside the JSON lines. Protobuf has one log handler per
// process: the newest route wins, and destroying it restores the handler before (routes end in
// the reverse order of their start).
// Create and destroy routes on one thread; `log` must outlive the route.
class ProtobufLogRoute {
 public:
  explicit ProtobufLogRoute(StructuredLog* log);
  ~ProtobufLogRoute();

  ProtobufLogRoute(const ProtobufLogRoute&) = delete;
  ProtobufLogRoute& operator=(const ProtobufLogRoute&) = delete;

 private:
  StructuredLog* const previous_log_;
  google::protobuf::LogHandler* const previous_handler_;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_OBSERVABILITY_ACCESS_LOG_H_
