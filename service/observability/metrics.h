#ifndef VERKENNER_SERVICE_OBSERVABILITY_METRICS_H_
#define VERKENNER_SERVICE_OBSERVABILITY_METRICS_H_

#include <grpcpp/support/interceptor.h>
#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/status.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace verkenner::service {

// The canonical name of a gRPC status code ("INVALID_ARGUMENT"); "UNKNOWN" out of range. The
// metric labels, the access log and the web API's error bodies all use these names.
const char* GrpcCodeName(grpc::StatusCode code);

// Counts and times the server's gRPC calls and renders them, with a few gauges, in the Prometheus
// text exposition format 0.0.4 (the HTTP layer serves PrometheusText() at /metrics).
//
// Families, in the order PrometheusText() writes them:
//
//   verkenner_grpc_server_handled_total{grpc_method, grpc_service, grpc_code}      counter
//   verkenner_grpc_server_handling_seconds{grpc_method, grpc_service, le}          histogram
//   verkenner_grpc_server_in_flight_calls                                          gauge
//   every gauge set with SetGauge(), by name
//
// grpc_service and grpc_method are the two parts of the full method name
// "/verkenner.v1.CandidateSearchService/SearchCandidates"; grpc_code is the canonical name of the
// status code the server sent ("OK", "INVALID_ARGUMENT", ...). There is no separate errors
// counter: an error is a call whose grpc_code is not OK, so the error rate is
// sum(rate(verkenner_grpc_server_handled_total{grpc_code!="OK"}[5m])) and calls = OK + errors holds
// by construction instead of between two counters read at different moments. A method's OK series
// exists from its registration on, so rate() sees its first call; the other codes appear at their
// first call, which keeps 17 mostly-zero series per method out of every scrape.
//
// Method names come from the client: an unknown method is still a call (answered UNIMPLEMENTED)
// and is counted, but only the methods registered at startup (RegisterMethod, at most
// Options::max_methods) get series of their own. Calls to any other name are counted under
// grpc_service="unknown", grpc_method="unknown", so a client that makes up names cannot grow the
// scrape: the number of series is fixed once the server has started.
//
// Thread-safe. Record(), CallStarted() and CallEnded() never block once a method has been seen:
// a method's counters are atomics in an entry that is created once, under a mutex, and then
// published in a fixed-size open-addressing table that readers probe without locking. A sharded
// or reader-locked map would make every call touch a shared lock word; here a call touches only
// its own method's counters. PrometheusText() takes the mutex only to list the entries.
// PrometheusText() reads the counters while calls go on, so one scrape may see a call in
// handled_total but not yet in the histogram; within one histogram, _count always equals the
// +Inf bucket.
class MetricsRegistry {
 public:
  struct Options {
    // Distinct method names with series of their own, including registered ones.
    int max_methods = 128;
  };

  // Upper bounds (le) of the latency buckets, in seconds; +Inf follows. Searches take ~2-25 ms and
  // durable writes ~2-20 ms, so the buckets are densest there; the top ones catch imports and
  // calls that waited on a full engine queue.
  static constexpr std::array<double, 12> kLatencyBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1,   0.25,   0.5,   1,    2.5,   5};

  MetricsRegistry();
  explicit MetricsRegistry(Options options);
  ~MetricsRegistry();

  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Creates the series of `full_method` ("/package.Service/Method") with zero counts.
  // Errors: InvalidArgument when the name is not "/service/method" in valid UTF-8;
  // ResourceExhausted when max_methods names have series already.
  absl::Status RegisterMethod(std::string_view full_method);

  // Whether `full_method` has series of its own (was registered). Never blocks.
  bool IsRegistered(std::string_view full_method) const;

  // Counts one finished call of `full_method` that ended with `code` after `seconds`, under the
  // unknown series when the method was not registered. Negative or NaN durations count as 0;
  // codes outside the canonical 0..16 count as UNKNOWN.
  void Record(std::string_view full_method, grpc::StatusCode code, double seconds);

  // The in-flight gauge: calls started and not yet ended. MetricsInterceptorFactory pairs these.
  void CallStarted();
  void CallEnded();
  // The gauge's value: calls started and not yet ended.
  int64_t InFlightCalls() const { return in_flight_.load(std::memory_order_relaxed); }

  // Sets the gauge `name` (e.g. "verkenner_index_documents") to `value`, with `help` as its
  // description; the latest help wins. Errors: InvalidArgument when `name` is not a Prometheus
  // metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or starts with "verkenner_grpc_server_", which the
  // call families own.
  absl::Status SetGauge(std::string_view name, std::string_view help, double value);

  // All families in the text exposition format 0.0.4, ending in a newline. Methods are sorted by
  // service, then method; codes by number; gauges by name.
  std::string PrometheusText() const;

 private:
  struct MethodSeries;
  struct Gauge {
    std::string help;
    double value = 0;
  };

  // The entry for `full_method`, or nullptr; never blocks.
  MethodSeries* Find(std::string_view full_method, size_t hash) const;
  // The entry for `full_method`, created when there is room; nullptr when the name is invalid or
  // the table is full.
  MethodSeries* FindOrAdd(std::string_view full_method);

  const size_t max_methods_;
  const size_t slot_mask_;
  // Open addressing with linear probing, at most half full so that every probe sequence meets an
  // empty slot. A slot goes from nullptr to an entry once (release) and never changes again.
  const std::unique_ptr<std::atomic<MethodSeries*>[]> slots_;
  // Set when max_methods entries exist, so that registering more stops taking the mutex.
  std::atomic<bool> full_{false};
  // Calls to names without series of their own.
  const std::unique_ptr<MethodSeries> unknown_;
  std::atomic<int64_t> in_flight_{0};

  mutable absl::Mutex mu_;
  // Owns the entries the slots point to.
  std::vector<std::unique_ptr<MethodSeries>> series_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Gauge, std::less<>> gauges_ ABSL_GUARDED_BY(mu_);
};

// Creates, for every call of a grpc::Server, an interceptor that records the call into a
// MetricsRegistry: the clock starts when gRPC hands the call to the server (for unary calls that
// is after the request message has arrived; for client streams, before the first message) and
// stops when the handler's status is sent, so the latency is what the server spent, queueing
// for an engine worker included. The code recorded is the one the handler finished with; a call
// the client cancelled still counts with that code, because the server sends no status then and
// the handler's is the only one there is. A call that ends without sending a status at all
// (server shutdown before Finish) leaves the in-flight gauge and is not counted.
//
// Works with callback, sync and generic services, and with calls to unimplemented methods
// (recorded as UNIMPLEMENTED under the unknown series). Never blocks; per call it adds one
// small heap object (gRPC's own interceptor bookkeeping allocates as well) and a copy of the
// status message.
//
// Pass to grpc::ServerBuilder::experimental().SetInterceptorCreators(). Thread-safe; `registry`
// is not owned and must outlive the server.
class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(MetricsRegistry* registry);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  MetricsRegistry* const registry_;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_OBSERVABILITY_METRICS_H_
