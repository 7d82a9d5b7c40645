#include "service/observability/metrics.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <latch>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "verkenner/v1/profile_import.grpc.pb.h"

namespace verkenner::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kSearch = "/verkenner.v1.CandidateSearchService/SearchCandidates";
constexpr std::string_view kImport = "/verkenner.v1.ProfileImportService/ImportProfiles";

// The value of the sample whose name and labels are exactly `series`, or -1 when there is none.
// (absl::string_view: Debian's Abseil does not alias std::string_view.)
double SampleValue(absl::string_view text, absl::string_view series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.size() > series.size() && line.substr(0, series.size()) == series &&
        line[series.size()] == ' ') {
      double value = 0;
      if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
    }
  }
  return -1;
}

// A registry with series for the two methods the tests call.
std::unique_ptr<MetricsRegistry> RegistryOfSearchAndImport() {
  auto registry = std::make_unique<MetricsRegistry>();
  EXPECT_TRUE(registry->RegisterMethod(kSearch).ok());
  EXPECT_TRUE(registry->RegisterMethod(kImport).ok());
  return registry;
}

TEST(MetricsRegistryTest, ExpositionTextForFixedCalls) {
  std::unique_ptr<MetricsRegistry> owned = RegistryOfSearchAndImport();
  MetricsRegistry& registry = *owned;
  registry.Record(kSearch, grpc::StatusCode::OK, 0.003);
  registry.Record(kSearch, grpc::StatusCode::OK, 0.02);
  registry.Record(kSearch, grpc::StatusCode::INVALID_ARGUMENT, 0.0005);
  registry.Record(kImport, grpc::StatusCode::OK, 1.5);
  registry.CallStarted();
  ASSERT_TRUE(
      registry.SetGauge("verkenner_index_documents", "Documents in the open index.", 74000).ok());

  constexpr std::string_view kExpected =
      R"(# HELP verkenner_grpc_server_handled_total gRPC calls completed by the server, by method and status code.
# TYPE verkenner_grpc_server_handled_total counter
verkenner_grpc_server_handled_total{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService",grpc_code="OK"} 2
verkenner_grpc_server_handled_total{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService",grpc_code="INVALID_ARGUMENT"} 1
verkenner_grpc_server_handled_total{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService",grpc_code="OK"} 1
# HELP verkenner_grpc_server_handling_seconds Time from the server receiving a gRPC call to sending its status.
# TYPE verkenner_grpc_server_handling_seconds histogram
verkenner_grpc_server_handling_seconds_bucket{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService",le="0.001"} 1
verkenner_grpc_server_handling_seconds_bucket{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService",le="0.0025"} 1
verkenner_grpc_server_handling_seconds_bucket{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService",le="0.005"} 2
verkenner_grpc_server_handling_seconds_bucket{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService",le="0.01"} 2
verkenner_grpc_server_handling_seconds_bucket{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService",le="0.025"} 3
verkenner_grpc_server_handling_seconds_bucket{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService",le="0.05"} 3
verkenner_grpc_server_handling_seconds_bucket{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService",le="0.1"} 3
verkenner_grpc_server_handling_seconds_bucket{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService",le="0.25"} 3
verkenner_grpc_server_handling_seconds_bucket{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService",le="0.5"} 3
verkenner_grpc_server_handling_seconds_bucket{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService",le="1"} 3
verkenner_grpc_server_handling_seconds_bucket{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService",le="2.5"} 3
verkenner_grpc_server_handling_seconds_bucket{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService",le="5"} 3
verkenner_grpc_server_handling_seconds_bucket{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService",le="+Inf"} 3
verkenner_grpc_server_handling_seconds_sum{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService"} 0.0235
verkenner_grpc_server_handling_seconds_count{grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService"} 3
verkenner_grpc_server_handling_seconds_bucket{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService",le="0.001"} 0
verkenner_grpc_server_handling_seconds_bucket{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService",le="0.0025"} 0
verkenner_grpc_server_handling_seconds_bucket{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService",le="0.005"} 0
verkenner_grpc_server_handling_seconds_bucket{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService",le="0.01"} 0
verkenner_grpc_server_handling_seconds_bucket{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService",le="0.025"} 0
verkenner_grpc_server_handling_seconds_bucket{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService",le="0.05"} 0
verkenner_grpc_server_handling_seconds_bucket{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService",le="0.1"} 0
verkenner_grpc_server_handling_seconds_bucket{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService",le="0.25"} 0
verkenner_grpc_server_handling_seconds_bucket{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService",le="0.5"} 0
verkenner_grpc_server_handling_seconds_bucket{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService",le="1"} 0
verkenner_grpc_server_handling_seconds_bucket{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService",le="2.5"} 1
verkenner_grpc_server_handling_seconds_bucket{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService",le="5"} 1
verkenner_grpc_server_handling_seconds_bucket{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService",le="+Inf"} 1
verkenner_grpc_server_handling_seconds_sum{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService"} 1.5
verkenner_grpc_server_handling_seconds_count{grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService"} 1
# HELP verkenner_grpc_server_in_flight_calls gRPC calls the server has started and not yet finished.
# TYPE verkenner_grpc_server_in_flight_calls gauge
verkenner_grpc_server_in_flight_calls 1
# HELP verkenner_index_documents Documents in the open index.
# TYPE verkenner_index_documents gauge
verkenner_index_documents 74000
)";
  EXPECT_EQ(registry.PrometheusText(), kExpected);
}

TEST(MetricsRegistryTest, EmptyRegistryWritesFamilyHeadersOnly) {
  MetricsRegistry registry;
  EXPECT_EQ(registry.PrometheusText(),
            "# HELP verkenner_grpc_server_handled_total gRPC calls completed by the server, by "
            "method and status code.\n"
            "# TYPE verkenner_grpc_server_handled_total counter\n"
            "# HELP verkenner_grpc_server_handling_seconds Time from the server receiving a gRPC "
            "call to sending its status.\n"
            "# TYPE verkenner_grpc_server_handling_seconds histogram\n"
            "# HELP verkenner_grpc_server_in_flight_calls gRPC calls the server has started and "
            "not yet finished.\n"
            "# TYPE verkenner_grpc_server_in_flight_calls gauge\n"
            "verkenner_grpc_server_in_flight_calls 0\n");
}

TEST(MetricsRegistryTest, BucketsAreCumulativeAndCountEqualsCalls) {
  std::unique_ptr<MetricsRegistry> owned = RegistryOfSearchAndImport();
  MetricsRegistry& registry = *owned;
  // Latencies from 0 to 7 s, including every bucket bound itself (le is inclusive).
  std::vector<double> latencies = {0, 0.0001, 0.0249, 0.03, 0.3, 0.75, 3, 7};
  latencies.insert(latencies.end(), MetricsRegistry::kLatencyBounds.begin(),
                   MetricsRegistry::kLatencyBounds.end());
  for (size_t i = 0; i < latencies.size(); ++i) {
    registry.Record(kSearch, i % 4 == 0 ? grpc::StatusCode::NOT_FOUND : grpc::StatusCode::OK,
                    latencies[i]);
  }
  const std::string text = registry.PrometheusText();
  const std::string labels =
      R"(grpc_method="SearchCandidates",grpc_service="verkenner.v1.CandidateSearchService")";

  double previous = 0;
  for (const double bound : MetricsRegistry::kLatencyBounds) {
    const double bucket =
        SampleValue(text, absl::StrCat("verkenner_grpc_server_handling_seconds_bucket{", labels,
                                       ",le=\"", bound, "\"}"));
    int expected = 0;
    for (const double latency : latencies) expected += latency <= bound ? 1 : 0;
    EXPECT_EQ(bucket, expected) << "le=" << bound;
    EXPECT_GE(bucket, previous) << "le=" << bound;
    previous = bucket;
  }
  const double calls = static_cast<double>(latencies.size());
  EXPECT_EQ(SampleValue(text, absl::StrCat("verkenner_grpc_server_handling_seconds_bucket{", labels,
                                           ",le=\"+Inf\"}")),
            calls);
  EXPECT_EQ(
      SampleValue(text, absl::StrCat("verkenner_grpc_server_handling_seconds_count{", labels, "}")),
      calls);
  const double ok = SampleValue(
      text, absl::StrCat("verkenner_grpc_server_handled_total{", labels, ",grpc_code=\"OK\"}"));
  const double not_found = SampleValue(text, absl::StrCat("verkenner_grpc_server_handled_total{",
                                                          labels, ",grpc_code=\"NOT_FOUND\"}"));
  EXPECT_EQ(ok, 15);
  EXPECT_EQ(not_found, 5);
  EXPECT_EQ(ok + not_found, calls);
  double sum = 0;
  for (const double latency : latencies) sum += latency;
  EXPECT_NEAR(
      SampleValue(text, absl::StrCat("verkenner_grpc_server_handling_seconds_sum{", labels, "}")),
      sum, 1e-7);
}

TEST(MetricsRegistryTest, NegativeAndNanLatenciesCountAsZero) {
  std::unique_ptr<MetricsRegistry> owned = RegistryOfSearchAndImport();
  MetricsRegistry& registry = *owned;
  registry.Record(kSearch, grpc::StatusCode::OK, -1);
  registry.Record(kSearch, grpc::StatusCode::OK, std::nan(""));
  const std::string text = registry.PrometheusText();
  EXPECT_THAT(text, HasSubstr(",le=\"0.001\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("verkenner_grpc_server_handling_seconds_sum{grpc_method="
                              "\"SearchCandidates\",grpc_service="
                              "\"verkenner.v1.CandidateSearchService\"} 0\n"));
}

TEST(MetricsRegistryTest, CodeOutsideCanonicalRangeCountsAsUnknown) {
  std::unique_ptr<MetricsRegistry> owned = RegistryOfSearchAndImport();
  MetricsRegistry& registry = *owned;
  registry.Record(kSearch, static_cast<grpc::StatusCode>(42), 0.001);
  registry.Record(kSearch, grpc::StatusCode::DO_NOT_USE, 0.001);
  EXPECT_THAT(registry.PrometheusText(), HasSubstr(",grpc_code=\"UNKNOWN\"} 2\n"));
}

TEST(MetricsRegistryTest, LabelValuesAndHelpAreEscaped) {
  MetricsRegistry registry;
  ASSERT_TRUE(registry.RegisterMethod("/a\"b\\c/d\ne").ok());
  registry.Record("/a\"b\\c/d\ne", grpc::StatusCode::UNIMPLEMENTED, 0.001);
  ASSERT_TRUE(registry.SetGauge("verkenner_escape", "back\\slash\nnew \"line\"", 1).ok());
  const std::string text = registry.PrometheusText();
  EXPECT_THAT(text, HasSubstr("verkenner_grpc_server_handled_total{grpc_method=\"d\\ne\","
                              "grpc_service=\"a\\\"b\\\\c\",grpc_code=\"UNIMPLEMENTED\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("verkenner_grpc_server_handling_seconds_count{grpc_method=\"d\\ne\","
                              "grpc_service=\"a\\\"b\\\\c\"} 1\n"));
  // In HELP, double quotes stay as they are.
  EXPECT_THAT(text, HasSubstr("# HELP verkenner_escape back\\\\slash\\nnew \"line\"\n"));
  // No raw newline inside a sample line: every line is a comment or starts with a metric name.
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(line.substr(0, 2) == "# " || line.substr(0, 10) == "verkenner_") << line;
  }
}

TEST(MetricsRegistryTest, MalformedMethodNamesCountAsUnknown) {
  MetricsRegistry registry;
  for (std::string_view name :
       {std::string_view(""), std::string_view("NoSlash"), std::string_view("/OnlyService"),
        std::string_view("//Method"), std::string_view("/Service/"),
        std::string_view("/bad\xff/utf8"), std::string_view("/overlong\xc0\xaf/x"),
        std::string_view("/unknown/unknown")}) {
    registry.Record(name, grpc::StatusCode::UNIMPLEMENTED, 0.001);
    EXPECT_EQ(registry.RegisterMethod(name).code(), absl::StatusCode::kInvalidArgument) << name;
  }
  ASSERT_TRUE(registry.RegisterMethod("/caf\xc3\xa9.Service/M\xe2\x82\xac").ok());
  registry.Record("/caf\xc3\xa9.Service/M\xe2\x82\xac", grpc::StatusCode::OK, 0.001);

  const std::string text = registry.PrometheusText();
  EXPECT_THAT(text, HasSubstr("verkenner_grpc_server_handled_total{grpc_method=\"unknown\","
                              "grpc_service=\"unknown\",grpc_code=\"UNIMPLEMENTED\"} 8\n"));
  // The unknown series has no OK sample of its own until an OK call lands there.
  EXPECT_THAT(text, Not(HasSubstr("grpc_method=\"unknown\",grpc_service=\"unknown\","
                                  "grpc_code=\"OK\"")));
  EXPECT_THAT(text, HasSubstr("{grpc_method=\"M\xe2\x82\xac\",grpc_service=\"caf\xc3\xa9.Service\","
                              "grpc_code=\"OK\"} 1\n"));
}

TEST(MetricsRegistryTest, MethodsBeyondLimitCountAsUnknown) {
  MetricsRegistry registry(MetricsRegistry::Options{.max_methods = 2});
  ASSERT_TRUE(registry.RegisterMethod(kSearch).ok());
  ASSERT_TRUE(registry.RegisterMethod(kSearch).ok());
  ASSERT_TRUE(registry.RegisterMethod(kImport).ok());
  EXPECT_EQ(registry.RegisterMethod("/verkenner.v1.ProfileImportService/GetImport").code(),
            absl::StatusCode::kResourceExhausted);
  // Registering again what has series is fine, also when the table is full.
  EXPECT_TRUE(registry.RegisterMethod(kImport).ok());

  registry.Record("/probe.Service/One", grpc::StatusCode::UNIMPLEMENTED, 0.001);
  registry.Record("/probe.Service/Two", grpc::StatusCode::UNIMPLEMENTED, 0.001);
  registry.Record(kSearch, grpc::StatusCode::OK, 0.001);

  const std::string text = registry.PrometheusText();
  EXPECT_THAT(text, Not(HasSubstr("probe.Service")));
  EXPECT_THAT(text, HasSubstr("{grpc_method=\"unknown\",grpc_service=\"unknown\","
                              "grpc_code=\"UNIMPLEMENTED\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("{grpc_method=\"SearchCandidates\",grpc_service="
                              "\"verkenner.v1.CandidateSearchService\",grpc_code=\"OK\"} 1\n"));
  // A registered method without calls is exported at zero.
  EXPECT_THAT(text, HasSubstr("{grpc_method=\"ImportProfiles\",grpc_service="
                              "\"verkenner.v1.ProfileImportService\",grpc_code=\"OK\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("verkenner_grpc_server_handling_seconds_count{grpc_method="
                              "\"ImportProfiles\",grpc_service="
                              "\"verkenner.v1.ProfileImportService\"} 0\n"));
}

TEST(MetricsRegistryTest, UnregisteredMethodsShareTheUnknownSeriesEvenWithRoomLeft) {
  std::unique_ptr<MetricsRegistry> owned = RegistryOfSearchAndImport();
  MetricsRegistry& registry = *owned;
  const size_t before = registry.PrometheusText().size();
  for (int i = 0; i < 500; ++i) {
    registry.Record(absl::StrCat("/probe.Service", i, "/Method", i),
                    grpc::StatusCode::UNIMPLEMENTED, 0.001);
  }
  EXPECT_FALSE(registry.IsRegistered("/probe.Service1/Method1"));
  EXPECT_TRUE(registry.IsRegistered(kSearch));
  const std::string text = registry.PrometheusText();
  EXPECT_THAT(text, Not(HasSubstr("probe.Service")));
  EXPECT_THAT(text, HasSubstr("{grpc_method=\"unknown\",grpc_service=\"unknown\","
                              "grpc_code=\"UNIMPLEMENTED\"} 500\n"));
  // One series more (the unknown one's counter and histogram), whatever the number of names.
  EXPECT_LT(text.size(), before + 2000);
}

TEST(MetricsRegistryTest, SetGaugeRejectsInvalidAndReservedNames) {
  MetricsRegistry registry;
  EXPECT_EQ(registry.SetGauge("", "help", 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.SetGauge("9lives", "help", 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.SetGauge("with space", "help", 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.SetGauge("verkenner_grpc_server_in_flight_calls", "help", 1).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(registry.SetGauge("verkenner:ratio_1", "help", 1).ok());
  EXPECT_THAT(registry.PrometheusText(), Not(HasSubstr("9lives")));
}

TEST(MetricsRegistryTest, GaugeKeepsLatestValueAndHelpAndFormatsSpecialValues) {
  MetricsRegistry registry;
  ASSERT_TRUE(registry.SetGauge("verkenner_b", "old help", 1).ok());
  ASSERT_TRUE(registry.SetGauge("verkenner_b", "new help", 0.25).ok());
  ASSERT_TRUE(registry.SetGauge("verkenner_a", "infinite", HUGE_VAL).ok());
  ASSERT_TRUE(registry.SetGauge("verkenner_c", "not a number", std::nan("")).ok());
  ASSERT_TRUE(registry.SetGauge("verkenner_d", "small", 1e-7).ok());
  const std::string text = registry.PrometheusText();
  EXPECT_THAT(text, HasSubstr("# HELP verkenner_a infinite\n# TYPE verkenner_a gauge\n"
                              "verkenner_a +Inf\n# HELP verkenner_b new help\n"
                              "# TYPE verkenner_b gauge\nverkenner_b 0.25\n"
                              "# HELP verkenner_c not a number\n# TYPE verkenner_c gauge\n"
                              "verkenner_c NaN\n"));
  EXPECT_THAT(text, HasSubstr("\nverkenner_d 1e-07\n"));
  EXPECT_THAT(text, Not(HasSubstr("old help")));
}

// Four threads record into the same and into new methods at once; the result must equal the same
// calls recorded on one thread, down to the nanosecond sums.
TEST(MetricsRegistryTest, ConcurrentRecordsGiveExactTotals) {
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 10000;
  auto register_methods = [](MetricsRegistry& registry) {
    for (int m = 0; m < 8; ++m) {
      ASSERT_TRUE(registry.RegisterMethod(absl::StrCat("/verkenner.test.Load/M", m)).ok());
    }
  };
  auto record = [](MetricsRegistry& registry, int thread, int n) {
    const std::string method = absl::StrCat("/verkenner.test.Load/M", (n + thread) % 8);
    const grpc::StatusCode code = n % 3 == 0 ? grpc::StatusCode::NOT_FOUND : grpc::StatusCode::OK;
    registry.CallStarted();
    registry.Record(method, code, (n % 13) * 0.0013);
    registry.CallEnded();
  };

  MetricsRegistry concurrent;
  register_methods(concurrent);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int n = 0; n < kCallsPerThread; ++n) record(concurrent, t, n);
    });
  }
  for (std::thread& thread : threads) thread.join();

  MetricsRegistry sequential;
  register_methods(sequential);
  for (int t = 0; t < kThreads; ++t) {
    for (int n = 0; n < kCallsPerThread; ++n) record(sequential, t, n);
  }
  const std::string text = concurrent.PrometheusText();
  EXPECT_EQ(text, sequential.PrometheusText());

  double handled = 0;
  double counted = 0;
  for (int m = 0; m < 8; ++m) {
    const std::string labels =
        absl::StrCat("grpc_method=\"M", m, "\",grpc_service=\"verkenner.test.Load\"");
    handled += SampleValue(
        text, absl::StrCat("verkenner_grpc_server_handled_total{", labels, ",grpc_code=\"OK\"}"));
    handled += SampleValue(text, absl::StrCat("verkenner_grpc_server_handled_total{", labels,
                                              ",grpc_code=\"NOT_FOUND\"}"));
    counted += SampleValue(
        text, absl::StrCat("verkenner_grpc_server_handling_seconds_count{", labels, "}"));
  }
  EXPECT_EQ(handled, kThreads * kCallsPerThread);
  EXPECT_EQ(counted, kThreads * kCallsPerThread);
  EXPECT_THAT(text, HasSubstr("\nverkenner_grpc_server_in_flight_calls 0\n"));
}

// A ProfileImportService that answers from the request alone: enough to drive a unary and a
// client-streaming callback method to chosen status codes.
class ScriptedImportService final : public v1::ProfileImportService::CallbackService {
 public:
  // Blocks until some ImportProfiles call has read its first message.
  void WaitForFirstImportMessage() { first_message_.WaitForNotification(); }

  grpc::ServerReadReactor<v1::ImportProfilesRequest>* ImportProfiles(
      grpc::CallbackServerContext* /*context*/, v1::ImportProfilesResponse* /*response*/) override {
    return new ImportReactor(this);
  }

  // OK for import_id "GM0344-1", NOT_FOUND for any other.
  grpc::ServerUnaryReactor* GetImport(grpc::CallbackServerContext* context,
                                      const v1::GetImportRequest* request,
                                      v1::GetImportResponse* /*response*/) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(request->import_id() == "GM0344-1"
                        ? grpc::Status::OK
                        : grpc::Status(grpc::StatusCode::NOT_FOUND, "import_id"));
    return reactor;
  }

 private:
  // Reads the whole stream; INVALID_ARGUMENT as soon as the first message is not a header.
  class ImportReactor final : public grpc::ServerReadReactor<v1::ImportProfilesRequest> {
   public:
    explicit ImportReactor(ScriptedImportService* service) : service_(service) {
      StartRead(&request_);
    }

    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status::OK);
        return;
      }
      if (!service_->first_message_seen_.exchange(true)) service_->first_message_.Notify();
      if (first_ && !request_.has_header()) {
        Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "header"));
        return;
      }
      first_ = false;
      StartRead(&request_);
    }

    void OnDone() override { delete this; }

   private:
    ScriptedImportService* const service_;
    v1::ImportProfilesRequest request_;
    bool first_ = true;
  };

  std::atomic<bool> first_message_seen_{false};
  absl::Notification first_message_;
};

class MetricsInterceptorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    for (const char* method :
         {"/verkenner.v1.ProfileImportService/GetImport",
          "/verkenner.v1.ProfileImportService/ImportProfiles", "/grpc.health.v1.Health/Check"}) {
      ASSERT_TRUE(registry_.RegisterMethod(method).ok());
    }
    creators.push_back(std::make_unique<MetricsInterceptorFactory>(&registry_));
    builder.experimental().SetInterceptorCreators(std::move(creators));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  // A deadline instead of waiting forever when the server misbehaves.
  static void SetDeadline(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  }

  grpc::Status GetImport(const std::string& import_id) {
    auto stub = v1::ProfileImportService::NewStub(channel_);
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::GetImportRequest request;
    request.set_import_id(import_id);
    v1::GetImportResponse response;
    return stub->GetImport(&context, request, &response);
  }

  // Calls `method` through the generic stub with `request` as the serialized message.
  grpc::Status GenericUnaryCall(const std::string& method, const std::string& request,
                                std::string* response) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext context;
    SetDeadline(&context);
    grpc::Slice slice(request);
    grpc::ByteBuffer request_buffer(&slice, 1);
    grpc::ByteBuffer response_buffer;
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request_buffer, &response_buffer,
                   [&](grpc::Status result) {
                     status = std::move(result);
                     done.Notify();
                   });
    done.WaitForNotification();
    std::vector<grpc::Slice> slices;
    if (status.ok() && response_buffer.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        response->append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
    return status;
  }

  MetricsRegistry registry_;
  ScriptedImportService service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(MetricsInterceptorTest, CountsUnaryCallsByStatusCode) {
  EXPECT_TRUE(GetImport("GM0344-1").ok());
  EXPECT_EQ(GetImport("GM0344-2").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetImport("GM0344-3").error_code(), grpc::StatusCode::NOT_FOUND);

  const std::string text = registry_.PrometheusText();
  const std::string labels =
      R"(grpc_method="GetImport",grpc_service="verkenner.v1.ProfileImportService")";
  EXPECT_THAT(text, HasSubstr(absl::StrCat("verkenner_grpc_server_handled_total{", labels,
                                           ",grpc_code=\"OK\"} 1\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("verkenner_grpc_server_handled_total{", labels,
                                           ",grpc_code=\"NOT_FOUND\"} 2\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("verkenner_grpc_server_handling_seconds_count{", labels,
                                           "} 3\n")));
  EXPECT_THAT(text, HasSubstr("\nverkenner_grpc_server_in_flight_calls 0\n"));
}

TEST_F(MetricsInterceptorTest, CountsClientStreamingCallsAndShowsThemInFlight) {
  auto stub = v1::ProfileImportService::NewStub(channel_);
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ImportProfilesResponse response;
    auto writer = stub->ImportProfiles(&context, &response);
    v1::ImportProfilesRequest header;
    header.mutable_header()->set_import_id("GM0344-1");
    ASSERT_TRUE(writer->Write(header));
    // The server has the call and waits for the next message: it is in flight, not yet counted.
    service_.WaitForFirstImportMessage();
    const std::string during = registry_.PrometheusText();
    EXPECT_THAT(during, HasSubstr("\nverkenner_grpc_server_in_flight_calls 1\n"));
    EXPECT_THAT(during, HasSubstr("verkenner_grpc_server_handling_seconds_count{grpc_method="
                                  "\"ImportProfiles\",grpc_service="
                                  "\"verkenner.v1.ProfileImportService\"} 0\n"));

    v1::ImportProfilesRequest batch;
    batch.mutable_batch()->add_profiles();
    ASSERT_TRUE(writer->Write(batch));
    ASSERT_TRUE(writer->WritesDone());
    EXPECT_TRUE(writer->Finish().ok());
  }
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ImportProfilesResponse response;
    auto writer = stub->ImportProfiles(&context, &response);
    v1::ImportProfilesRequest batch_first;
    batch_first.mutable_batch()->add_profiles();
    // The server may already have answered; the status below is what counts.
    writer->Write(batch_first);
    writer->WritesDone();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }

  const std::string text = registry_.PrometheusText();
  const std::string labels =
      R"(grpc_method="ImportProfiles",grpc_service="verkenner.v1.ProfileImportService")";
  EXPECT_THAT(text, HasSubstr(absl::StrCat("verkenner_grpc_server_handled_total{", labels,
                                           ",grpc_code=\"OK\"} 1\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("verkenner_grpc_server_handled_total{", labels,
                                           ",grpc_code=\"INVALID_ARGUMENT\"} 1\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("verkenner_grpc_server_handling_seconds_count{", labels,
                                           "} 2\n")));
  EXPECT_THAT(text, HasSubstr("\nverkenner_grpc_server_in_flight_calls 0\n"));
}

TEST_F(MetricsInterceptorTest, CountsUnimplementedMethodsUnderTheUnknownSeries) {
  std::string response;
  EXPECT_EQ(GenericUnaryCall("/verkenner.test.Nergens/Bestaat", "", &response).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(GenericUnaryCall("/verkenner.test.Nergens/Ook", "", &response).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);

  const std::string text = registry_.PrometheusText();
  EXPECT_THAT(text, Not(HasSubstr("Nergens")));
  EXPECT_THAT(text, HasSubstr("verkenner_grpc_server_handled_total{grpc_method=\"unknown\","
                              "grpc_service=\"unknown\",grpc_code=\"UNIMPLEMENTED\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("verkenner_grpc_server_handling_seconds_count{grpc_method="
                              "\"unknown\",grpc_service=\"unknown\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("\nverkenner_grpc_server_in_flight_calls 0\n"));
}

TEST_F(MetricsInterceptorTest, CountsHealthChecks) {
  std::string response;
  // An empty HealthCheckRequest (service "") serializes to no bytes.
  ASSERT_TRUE(GenericUnaryCall("/grpc.health.v1.Health/Check", "", &response).ok());
  // HealthCheckResponse{status: SERVING}: field 1, varint 1.
  EXPECT_EQ(response, std::string("\x08\x01", 2));

  EXPECT_THAT(registry_.PrometheusText(),
              HasSubstr("verkenner_grpc_server_handled_total{grpc_method=\"Check\","
                        "grpc_service=\"grpc.health.v1.Health\",grpc_code=\"OK\"} 1\n"));
}

}  // namespace
}  // namespace verkenner::service
