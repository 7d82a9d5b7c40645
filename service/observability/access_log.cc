#include "service/observability/access_log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/observability/metrics.h"

namespace verkenner::service {
namespace {

class AccessLogInterceptor final : public grpc::experimental::Interceptor {
 public:
  AccessLogInterceptor(StructuredLog* log, std::string method)
      : log_(log), method_(std::move(method)), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::StatusCode code = methods->GetSendStatus().error_code();
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
              .count();
      char duration[32];
      std::snprintf(duration, sizeof(duration), "%.3f", ms);
      log_->Write(code == grpc::StatusCode::OK ? "info" : "warning", "rpc",
                  {"\"method\":" + StructuredLog::Quote(method_),
                   "\"code\":\"" + std::string(GrpcCodeName(code)) + "\"",
                   std::string("\"ms\":") + duration});
    }
    methods->Proceed();
  }

 private:
  StructuredLog* const log_;
  // Copied: for unknown methods gRPC frees the name before the interceptor is destroyed.
  const std::string method_;
  const std::chrono::steady_clock::time_point start_;
};

}  // namespace

std::string StructuredLog::Quote(std::string_view text) {
  std::string quoted = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          quoted += escaped;
        } else {
          quoted.push_back(static_cast<char>(c));
        }
    }
  }
  quoted.push_back('"');
  return quoted;
}

void StructuredLog::Write(std::string_view level, std::string_view event,
                          std::initializer_list<std::string> fields) {
  std::string line = "{\"time\":\"" +
                     absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()) +
                     "\",\"level\":" + Quote(level) + ",\"event\":" + Quote(event);
  for (const std::string& field : fields) line += "," + field;
  line += "}\n";
  std::lock_guard<std::mutex> lock(mutex_);
  *out_ << line << std::flush;
}

grpc::experimental::Interceptor* AccessLogInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  const std::string_view method = info->method() != nullptr ? info->method() : "";
  return new AccessLogInterceptor(log_, is_known_method_(method) ? std::string(method) : "unknown");
}

namespace {

// Protobuf's log handler is a plain function, so the route's log is a process-wide pointer.
std::atomic<StructuredLog*> protobuf_log{nullptr};
constexpr size_t kMaxProtobufMessageBytes = 300;

void WriteProtobufLog(google::protobuf::LogLevel level, const char* filename, int line,
                      const std::string& message) {
  StructuredLog* log = protobuf_log.load(std::memory_order_acquire);
  if (log == nullptr) return;
  const char* level_name = level == google::protobuf::LOGLEVEL_INFO      ? "info"
                           : level == google::protobuf::LOGLEVEL_WARNING ? "warning"
                                                                         : "error";
  std::string source = filename != nullptr ? filename : "";
  source += ":" + std::to_string(line);
  log->Write(level_name, "protobuf",
             {"\"source\":" + StructuredLog::Quote(source),
              "\"message\":" + StructuredLog::Quote(
                                   std::string_view(message).substr(0, kMaxProtobufMessageBytes))});
}

}  // namespace

ProtobufLogRoute::ProtobufLogRoute(StructuredLog* log)
    : previous_log_(protobuf_log.exchange(log, std::memory_order_acq_rel)),
      previous_handler_(google::protobuf::SetLogHandler(WriteProtobufLog)) {}

ProtobufLogRoute::~ProtobufLogRoute() {
  google::protobuf::SetLogHandler(previous_handler_);
  protobuf_log.store(previous_log_, std::memory_order_release);
}

}  // namespace verkenner::service
