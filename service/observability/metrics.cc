#include "service/observability/metrics.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <functional>
#include <optional>
#include <system_error>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/utf8.h"

namespace verkenner::service {
namespace {

// Canonical status code names, indexed by grpc::StatusCode (0..16).
constexpr std::array<const char*, 17> kCodeNames = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};
static_assert(grpc::StatusCode::UNAUTHENTICATED == 16);

constexpr std::string_view kUnknownLabel = "unknown";
constexpr std::string_view kReservedPrefix = "verkenner_grpc_server_";
// Arrays rather than std::string_view: Debian's Abseil has its own string_view, which StrCat takes.
constexpr char kHandled[] = "verkenner_grpc_server_handled_total";
constexpr char kHandling[] = "verkenner_grpc_server_handling_seconds";
constexpr char kInFlight[] = "verkenner_grpc_server_in_flight_calls";

// A stuck clock or a call left open for weeks must not overflow the nanosecond sum; no call of
// this service takes a day.
constexpr double kMaxRecordedSeconds = 86400;

struct MethodParts {
  std::string_view service;
  std::string_view method;
};

// Splits "/service/method". Names that would not make two non-empty UTF-8 label values, and the
// one name whose labels are those of the unknown series, get no series of their own.
std::optional<MethodParts> SplitMethod(std::string_view full_method) {
  if (full_method.empty() || full_method[0] != '/') return std::nullopt;
  const size_t slash = full_method.find('/', 1);
  if (slash == std::string_view::npos) return std::nullopt;
  MethodParts parts{full_method.substr(1, slash - 1), full_method.substr(slash + 1)};
  if (parts.service.empty() || parts.method.empty()) return std::nullopt;
  if (parts.service == kUnknownLabel && parts.method == kUnknownLabel) return std::nullopt;
  if (!base::IsValidUtf8(full_method)) return std::nullopt;
  return parts;
}

bool IsMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

void AppendLabelValue(std::string* out, std::string_view value) {
  for (const char c : value) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

// HELP text escapes backslash and newline but, unlike label values, not the double quote.
void AppendHelpText(std::string* out, std::string_view help) {
  for (const char c : help) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

// The shortest text that reads back as the same double, like the Go client's
// strconv.FormatFloat(v, 'g', -1, 64), so that "0.005" stays "0.005" and not
// "0.0050000000000000001".
void AppendDouble(std::string* out, double value) {
  if (std::isnan(value)) {
    out->append("NaN");
  } else if (std::isinf(value)) {
    out->append(value > 0 ? "+Inf" : "-Inf");
  } else {
    char buffer[32];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    out->append(buffer, error == std::errc() ? end : buffer);
  }
}

void AppendFamilyHeader(std::string* out, std::string_view name, std::string_view help,
                        std::string_view type) {
  out->append("# HELP ").append(name).append(" ");
  AppendHelpText(out, help);
  out->append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }

}  // namespace

const char* GrpcCodeName(grpc::StatusCode code) {
  const auto index = static_cast<size_t>(code);
  return index < kCodeNames.size() ? kCodeNames[index] : "UNKNOWN";
}

struct MetricsRegistry::MethodSeries {
  MethodSeries(std::string_view full, std::string_view service_name, std::string_view method_name)
      : full_method(full), service(service_name), method(method_name) {}

  const std::string full_method;
  const std::string service;
  const std::string method;
  std::array<std::atomic<uint64_t>, kCodeNames.size()> calls{};
  // Per bucket, not cumulative, so that Record() adds to one counter; the last is +Inf.
  std::array<std::atomic<uint64_t>, kLatencyBounds.size() + 1> buckets{};
  // Nanoseconds: integer addition keeps the sum exact and needs no compare-and-swap loop.
  std::atomic<uint64_t> sum_nanos{0};
};

MetricsRegistry::MetricsRegistry() : MetricsRegistry(Options()) {}

MetricsRegistry::MetricsRegistry(Options options)
    : max_methods_(static_cast<size_t>(std::max(options.max_methods, 0))),
      slot_mask_(std::bit_ceil(2 * std::max<size_t>(max_methods_, 1)) - 1),
      slots_(std::make_unique<std::atomic<MethodSeries*>[]>(slot_mask_ + 1)),
      unknown_(std::make_unique<MethodSeries>("", kUnknownLabel, kUnknownLabel)) {
  full_.store(max_methods_ == 0, std::memory_order_relaxed);
}

MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::MethodSeries* MetricsRegistry::Find(std::string_view full_method,
                                                     size_t hash) const {
  for (size_t i = hash & slot_mask_;; i = (i + 1) & slot_mask_) {
    MethodSeries* series = slots_[i].load(std::memory_order_acquire);
    if (series == nullptr) return nullptr;
    if (series->full_method == full_method) return series;
  }
}

MetricsRegistry::MethodSeries* MetricsRegistry::FindOrAdd(std::string_view full_method) {
  if (full_.load(std::memory_order_relaxed)) return nullptr;
  const std::optional<MethodParts> parts = SplitMethod(full_method);
  if (!parts.has_value()) return nullptr;
  const size_t hash = std::hash<std::string_view>()(full_method);
  absl::MutexLock lock(&mu_);
  if (MethodSeries* existing = Find(full_method, hash); existing != nullptr) return existing;
  if (series_.size() >= max_methods_) return nullptr;
  auto series = std::make_unique<MethodSeries>(full_method, parts->service, parts->method);
  size_t i = hash & slot_mask_;
  while (slots_[i].load(std::memory_order_relaxed) != nullptr) i = (i + 1) & slot_mask_;
  slots_[i].store(series.get(), std::memory_order_release);
  series_.push_back(std::move(series));
  if (series_.size() >= max_methods_) full_.store(true, std::memory_order_relaxed);
  return series_.back().get();
}

absl::Status MetricsRegistry::RegisterMethod(std::string_view full_method) {
  if (!SplitMethod(full_method).has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("full_method: not \"/service/method\" in UTF-8: ", ToAbsl(full_method)));
  }
  // Find() first: FindOrAdd() gives up early once the table is full, even for names in it.
  if (Find(full_method, std::hash<std::string_view>()(full_method)) == nullptr &&
      FindOrAdd(full_method) == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("full_method: already ", max_methods_, " methods with series"));
  }
  return absl::OkStatus();
}

bool MetricsRegistry::IsRegistered(std::string_view full_method) const {
  return Find(full_method, std::hash<std::string_view>()(full_method)) != nullptr;
}

void MetricsRegistry::Record(std::string_view full_method, grpc::StatusCode code, double seconds) {
  MethodSeries* series = Find(full_method, std::hash<std::string_view>()(full_method));
  if (series == nullptr) series = unknown_.get();

  size_t code_index = static_cast<size_t>(code);
  if (code < 0 || code_index >= kCodeNames.size()) code_index = grpc::StatusCode::UNKNOWN;
  series->calls[code_index].fetch_add(1, std::memory_order_relaxed);

  // Written so that NaN fails the test and becomes 0.
  if (!(seconds > 0)) seconds = 0;
  seconds = std::min(seconds, kMaxRecordedSeconds);
  // le is inclusive: a call of exactly 5 ms belongs in le="0.005".
  const size_t bucket = std::lower_bound(kLatencyBounds.begin(), kLatencyBounds.end(), seconds) -
                        kLatencyBounds.begin();
  series->buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  series->sum_nanos.fetch_add(static_cast<uint64_t>(std::llround(seconds * 1e9)),
                              std::memory_order_relaxed);
}

void MetricsRegistry::CallStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }

void MetricsRegistry::CallEnded() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

absl::Status MetricsRegistry::SetGauge(std::string_view name, std::string_view help, double value) {
  if (!IsMetricName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("name: not a Prometheus metric name: ", ToAbsl(name)));
  }
  if (name.substr(0, kReservedPrefix.size()) == kReservedPrefix) {
    return absl::InvalidArgumentError(
        absl::StrCat("name: the prefix ", ToAbsl(kReservedPrefix), " belongs to the call metrics"));
  }
  absl::MutexLock lock(&mu_);
  auto it = gauges_.find(name);
  if (it == gauges_.end()) it = gauges_.emplace(std::string(name), Gauge()).first;
  it->second.help.assign(help);
  it->second.value = value;
  return absl::OkStatus();
}

std::string MetricsRegistry::PrometheusText() const {
  std::vector<const MethodSeries*> entries;
  std::vector<std::pair<std::string, Gauge>> gauges;
  {
    absl::MutexLock lock(&mu_);
    entries.reserve(series_.size() + 1);
    for (const auto& series : series_) entries.push_back(series.get());
    gauges.assign(gauges_.begin(), gauges_.end());
  }
  for (const auto& calls : unknown_->calls) {
    if (calls.load(std::memory_order_relaxed) > 0) {
      entries.push_back(unknown_.get());
      break;
    }
  }
  std::sort(entries.begin(), entries.end(), [](const MethodSeries* a, const MethodSeries* b) {
    return std::tie(a->service, a->method) < std::tie(b->service, b->method);
  });

  // Label sets without the closing brace, so that each line adds its own last label.
  std::vector<std::string> labels;
  labels.reserve(entries.size());
  for (const MethodSeries* series : entries) {
    std::string& text = labels.emplace_back("{grpc_method=\"");
    AppendLabelValue(&text, series->method);
    text.append("\",grpc_service=\"");
    AppendLabelValue(&text, series->service);
    text.append("\"");
  }

  std::string out;
  AppendFamilyHeader(&out, kHandled,
                     "gRPC calls completed by the server, by method and status code.", "counter");
  for (size_t i = 0; i < entries.size(); ++i) {
    for (size_t code = 0; code < kCodeNames.size(); ++code) {
      const uint64_t calls = entries[i]->calls[code].load(std::memory_order_relaxed);
      // OK always, for methods with series of their own, so that rate() sees the first call.
      const bool always = code == grpc::StatusCode::OK && entries[i] != unknown_.get();
      if (calls == 0 && !always) continue;
      absl::StrAppend(&out, kHandled, labels[i], ",grpc_code=\"", kCodeNames[code], "\"} ", calls,
                      "\n");
    }
  }

  AppendFamilyHeader(&out, kHandling,
                     "Time from the server receiving a gRPC call to sending its status.",
                     "histogram");
  for (size_t i = 0; i < entries.size(); ++i) {
    uint64_t cumulative = 0;
    for (size_t b = 0; b < entries[i]->buckets.size(); ++b) {
      cumulative += entries[i]->buckets[b].load(std::memory_order_relaxed);
      absl::StrAppend(&out, kHandling, "_bucket", labels[i], ",le=\"");
      AppendDouble(&out, b < kLatencyBounds.size() ? kLatencyBounds[b] : HUGE_VAL);
      absl::StrAppend(&out, "\"} ", cumulative, "\n");
    }
    absl::StrAppend(&out, kHandling, "_sum", labels[i], "} ");
    AppendDouble(&out,
                 static_cast<double>(entries[i]->sum_nanos.load(std::memory_order_relaxed)) / 1e9);
    // The +Inf bucket's value, not a counter of its own: the two must be equal in every scrape.
    absl::StrAppend(&out, "\n", kHandling, "_count", labels[i], "} ", cumulative, "\n");
  }

  AppendFamilyHeader(&out, kInFlight, "gRPC calls the server has started and not yet finished.",
                     "gauge");
  absl::StrAppend(&out, kInFlight, " ", in_flight_.load(std::memory_order_relaxed), "\n");

  for (const auto& [name, gauge] : gauges) {
    AppendFamilyHeader(&out, name, gauge.help, "gauge");
    absl::StrAppend(&out, name, " ");
    AppendDouble(&out, gauge.value);
    out.push_back('\n');
  }
  return out;
}

namespace {

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  // gRPC creates the interceptors in the step that hands it the arrived call, right before the
  // POST_RECV_INITIAL_METADATA batch, so the clock starts here: the constructor runs exactly once
  // per call, which keeps CallStarted() paired with the CallEnded() below whatever batches follow.
  MetricsInterceptor(MetricsRegistry* registry, const char* full_method)
      : registry_(registry),
        full_method_(full_method == nullptr ? "" : full_method),
        start_(std::chrono::steady_clock::now()) {
    registry_->CallStarted();
  }

  ~MetricsInterceptor() override {
    if (!ended_) registry_->CallEnded();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    // Finish() happens once per call, so PRE_SEND_STATUS does too. Recording before Proceed()
    // means a client that has its status finds the call counted.
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
      registry_->Record(full_method_, methods->GetSendStatus().error_code(), elapsed.count());
      registry_->CallEnded();
      ended_ = true;
    }
    methods->Proceed();
  }

 private:
  MetricsRegistry* const registry_;
  // Points into the call's context (for generic and unimplemented calls, into a string there), so
  // it is read only while the call runs, never in the destructor.
  const std::string_view full_method_;
  const std::chrono::steady_clock::time_point start_;
  bool ended_ = false;
};

}  // namespace

MetricsInterceptorFactory::MetricsInterceptorFactory(MetricsRegistry* registry)
    : registry_(registry) {}

grpc::experimental::Interceptor* MetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new MetricsInterceptor(registry_, info->method());
}

}  // namespace verkenner::service
