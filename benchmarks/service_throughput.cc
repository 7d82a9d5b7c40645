// Issue 5's speed questions, end to end through gRPC on this machine, with the load generator on
// the same machine: how many searches per second the server answers and at what latency, and
// how many contact requests per second it stores durably (acknowledged after their commit).
// Usage:
//   service_throughput [PROFILES (default 1000000)] [WORK_DIR (default /tmp)] [--index PATH]
//                      [--seconds N (default 20)] [--clients N (default 16)]
//                      [--store sqlite|postgresql|URI] [--instances N]
// Without --index it builds the index (as search_latency does) before anything is timed.
// --store postgresql starts a PostgreSQL primary with a synchronous standby (scripts/postgres,
// durable: fsync on, COMMIT waits for the standby's flush; needs root) and uses it as the store;
// a postgresql:// URI uses that database. --instances N starts N servers in this process on one
// store and one index, each with its /healthz, and HAProxy (scripts/haproxy-config) in front of
// them; the clients then call HAProxy's one port, as in scripts/cluster.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "benchmarks/benchmark_index.h"
#include "benchmarks/vacancy_mix.h"
#include "service/http/metrics_listener.h"
#include "service/server.h"
#include "tests/integration/server_process.h"
#include "tests/integration/test_accounts.h"
#include "verkenner/v1/contact_requests.grpc.pb.h"
#include "verkenner/v1/search.grpc.pb.h"

namespace {

using namespace verkenner;
using Clock = std::chrono::steady_clock;

int Fail(const absl::Status& status) {
  std::cerr << "service_throughput: " << status << "\n";
  return 1;
}

// The mix's engine query as a client would send it. The mix draws workplaces at PC4 centres,
// so the centre finds its postcode back.
v1::SearchCandidatesRequest ToRequest(const engine::SearchQuery& query,
                                      const std::map<std::pair<double, double>, int>& pc4_of) {
  v1::SearchCandidatesRequest request;
  v1::Vacancy* vacancy = request.mutable_vacancy();
  vacancy->set_text(query.text);
  for (const std::string& code : query.esco_codes) vacancy->add_occupations(code);
  if (query.workplace.has_value()) {
    auto found = pc4_of.find({query.workplace->lat, query.workplace->lon});
    if (found != pc4_of.end()) {
      vacancy->mutable_workplace()->set_postcode(std::to_string(found->second));
    }
  }
  if (query.hours_min.has_value() && query.hours_max.has_value()) {
    vacancy->mutable_hours()->set_min_hours(*query.hours_min);
    vacancy->mutable_hours()->set_max_hours(*query.hours_max);
  }
  if (!query.min_education_code.empty()) {
    vacancy->mutable_education()->set_minimum_level_code(query.min_education_code);
    vacancy->mutable_education()->set_requirement(query.education == engine::Requirement::kRequired
                                                      ? v1::REQUIREMENT_REQUIRED
                                                      : v1::REQUIREMENT_PREFERRED);
  }
  request.set_unknown_field_policy(query.unknown_fields == engine::UnknownFieldPolicy::kStrict
                                       ? v1::UNKNOWN_FIELD_POLICY_STRICT
                                       : v1::UNKNOWN_FIELD_POLICY_TOLERANT);
  request.set_page_size(query.page_size);
  for (engine::FacetKind facet : query.facets) {
    switch (facet) {
      case engine::FacetKind::kEducationLevel:
        request.add_facets(v1::FACET_EDUCATION_LEVEL);
        break;
      case engine::FacetKind::kRegion:
        request.add_facets(v1::FACET_LABOUR_MARKET_REGION);
        break;
      case engine::FacetKind::kHoursBand:
        request.add_facets(v1::FACET_HOURS_BAND);
        break;
      case engine::FacetKind::kDistanceBand:
        request.add_facets(v1::FACET_DISTANCE_BAND);
        break;
      case engine::FacetKind::kExperienceBand:
        request.add_facets(v1::FACET_EXPERIENCE_BAND);
        break;
      case engine::FacetKind::kAffinity:
        request.add_facets(v1::FACET_AFFINITY);
        break;
    }
  }
  return request;
}

struct Outcome {
  int64_t calls = 0;
  int64_t errors = 0;
  std::vector<double> latencies_ms;
  double seconds = 0;
};

// Runs `call(client, i)` from `clients` threads for `seconds` after `warmup_seconds`, and
// collects the latencies of the calls that started in the measured window.
template <typename Call>
Outcome RunLoad(int clients, double warmup_seconds, double seconds, Call call) {
  std::atomic<bool> stop{false};
  const Clock::time_point start = Clock::now();
  const Clock::time_point measure_from = start + std::chrono::duration_cast<Clock::duration>(
                                                     std::chrono::duration<double>(warmup_seconds));
  const Clock::time_point measure_until =
      measure_from +
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<Outcome> per_client(clients);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        const Clock::time_point begin = Clock::now();
        if (begin >= measure_until) break;
        const bool ok = call(c, i);
        const Clock::time_point end = Clock::now();
        if (begin < measure_from) continue;
        Outcome& outcome = per_client[c];
        ++outcome.calls;
        if (!ok) ++outcome.errors;
        outcome.latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(end - begin).count());
      }
    });
  }
  std::this_thread::sleep_until(measure_until);
  stop = true;
  for (std::thread& thread : threads) thread.join();
  Outcome total;
  for (Outcome& outcome : per_client) {
    total.calls += outcome.calls;
    total.errors += outcome.errors;
    total.latencies_ms.insert(total.latencies_ms.end(), outcome.latencies_ms.begin(),
                              outcome.latencies_ms.end());
  }
  total.seconds = seconds;
  std::sort(total.latencies_ms.begin(), total.latencies_ms.end());
  return total;
}

std::string ReadLine(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

// A durable PostgreSQL primary with a synchronous standby under `state`, and a database of ours
// on it; the store URI names both servers, as scripts/cluster's does.
absl::StatusOr<std::string> StartPostgres(const std::filesystem::path& state) {
  const std::string postgres = "'" VERKENNER_SOURCE_DIR "/scripts/postgres' ";
  if (std::system((postgres + "start '" + state.string() + "'").c_str()) != 0) {
    return absl::InternalError("scripts/postgres start failed");
  }
  const std::string create = absl::StrCat(
      "cd / && runuser -u postgres -- psql -qAt -h ", ReadLine(state / "primary"), " -p ",
      ReadLine(state / "primary.port"), " -U verkenner -d postgres -c 'CREATE DATABASE bench'");
  if (std::system(create.c_str()) != 0) return absl::InternalError("CREATE DATABASE failed");
  if (std::system((postgres + "standby '" + state.string() + "' standby1").c_str()) != 0) {
    return absl::InternalError("scripts/postgres standby failed");
  }
  return absl::StrCat("postgresql://127.0.0.1:", ReadLine(state / "primary.port"),
                      ",127.0.0.1:", ReadLine(state / "standby1.port"),
                      "/bench?user=verkenner&target_session_attrs=read-write");
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
}

void Print(const char* what, const Outcome& outcome, const char* target) {
  std::printf("%-28s %8.0f /s  p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  errors %lld  (%s)\n", what,
              outcome.calls / outcome.seconds, Percentile(outcome.latencies_ms, 0.50),
              Percentile(outcome.latencies_ms, 0.90), Percentile(outcome.latencies_ms, 0.99),
              static_cast<long long>(outcome.errors), target);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t profiles = 1'000'000;
  std::filesystem::path work_dir = "/tmp";
  std::string index_path;
  double seconds = 20;
  int clients = 16;
  std::string store_kind = "sqlite";
  int instances = 0;  // 0: one server, called directly; N: N servers behind HAProxy
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument == "--index" && i + 1 < argc) {
      index_path = argv[++i];
    } else if (argument == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (argument == "--clients" && i + 1 < argc) {
      clients = std::atoi(argv[++i]);
    } else if (argument == "--store" && i + 1 < argc) {
      store_kind = argv[++i];
    } else if (argument == "--instances" && i + 1 < argc) {
      instances = std::max(1, std::atoi(argv[++i]));
    } else if (positional == 0 && !argument.starts_with("--")) {
      profiles = std::atoll(argv[i]);
      ++positional;
    } else if (positional == 1 && !argument.starts_with("--")) {
      work_dir = argv[i];
      ++positional;
    } else {
      std::cerr << "usage: service_throughput [PROFILES] [WORK_DIR] [--index PATH] [--seconds N] "
                   "[--clients N] [--store sqlite|postgresql|URI] [--instances N]\n";
      return 2;
    }
  }
  const std::filesystem::path work = work_dir / "verkenner-service-benchmark";
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);

  auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
  if (!reference.ok()) return Fail(reference.status());
  if (index_path.empty()) {
    index_path = (work / "index").string();
    const std::filesystem::path export_file = work / "export.csv";
    if (absl::Status status = benchmarks::WriteGeneratedExport(*reference, profiles, export_file);
        !status.ok()) {
      return Fail(status);
    }
    auto imported = benchmarks::ImportExport(*reference, export_file, index_path, work / "vault");
    if (!imported.ok()) return Fail(imported.status());
    std::filesystem::remove(export_file);
    std::printf("index                        %lld profiles, built in %.1f s\n",
                static_cast<long long>(imported->indexed), imported->seconds);
  }

  std::string store = (work / "store.db").string();
  if (store_kind == "postgresql") {
    auto started = StartPostgres(work / "postgres");
    if (!started.ok()) return Fail(started.status());
    store = *started;
  } else if (store_kind != "sqlite") {
    store = store_kind;
  }
  std::vector<std::string> tokens;
  for (int c = 0; c < clients; ++c) {
    auto token = testing::AddAccountWithToken(
        store, testing::TestEmployer("client" + std::to_string(c) + "@benchmark.example",
                                     "Benchmark " + std::to_string(c)));
    if (!token.ok()) return Fail(token.status());
    tokens.push_back(*token);
  }
  service::Server::Options options;
  options.listen_address = "127.0.0.1:0";
  options.index_path = index_path;
  options.store_path = store;
  options.reference_data = *reference;
  options.today = [] { return benchmarks::kBenchmarkToday; };
  // The load generator is a handful of accounts doing what thousands of employers would.
  options.quotas.searches_per_minute = 1'000'000;
  options.quotas.profile_views_per_day = 1'000'000;
  options.quotas.organisation_searches_per_minute = 1'000'000;
  options.quotas.organisation_profile_views_per_day = 1'000'000;
  std::vector<std::unique_ptr<service::Server>> servers;
  std::vector<std::unique_ptr<service::MetricsListener>> health;
  std::string specs;
  for (int n = 0; n < std::max(1, instances); ++n) {
    auto server = service::Server::Start(options);
    if (!server.ok()) return Fail(server.status());
    service::MetricsListener::Options health_options;
    health_options.readiness = [raw = server->get()] { return raw->CheckReady(); };
    auto listener = service::MetricsListener::Start(
        "127.0.0.1:0", [] { return std::string(); }, health_options);
    if (!listener.ok()) return Fail(listener.status());
    absl::StrAppend(&specs, " ", (*server)->port(), ":", testing::FreePort(), ":",
                    (*listener)->port());
    servers.push_back(std::move(*server));
    health.push_back(std::move(*listener));
  }
  std::string address = "127.0.0.1:" + std::to_string(servers.front()->port());
  std::unique_ptr<testing::ServerProcess> haproxy;
  if (instances > 0) {
    const int port = testing::FreePort();
    const std::string config = (work / "haproxy.cfg").string();
    if (std::system(absl::StrCat("'" VERKENNER_SOURCE_DIR "/scripts/haproxy-config' ", port, " ",
                                 testing::FreePort(), specs, " > '", config, "'")
                        .c_str()) != 0) {
      return Fail(absl::InternalError("scripts/haproxy-config failed"));
    }
    auto spawned = testing::SpawnServer({"/usr/sbin/haproxy", "-db", "-f", config},
                                        (work / "haproxy.log").string());
    if (!spawned.ok()) return Fail(spawned.status());
    haproxy = std::make_unique<testing::ServerProcess>(std::move(*spawned));
    std::this_thread::sleep_for(std::chrono::seconds(3));  // its first health checks
    address = "127.0.0.1:" + std::to_string(port);
  }
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < clients; ++c) {
    // A channel per client: one HTTP/2 connection each, as separate browsers' sessions would.
    grpc::ChannelArguments arguments;
    arguments.SetInt("grpc.channel_id", c);
    channels.push_back(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments));
  }

  std::map<std::pair<double, double>, int> pc4_of;
  for (const engine::PostcodeArea& area : (*reference)->postcode_areas()) {
    pc4_of.emplace(std::make_pair(area.lat, area.lon), area.pc4);
  }
  auto mix = benchmarks::VacancyMix::Create(*reference, {});
  if (!mix.ok()) return Fail(mix.status());
  std::vector<v1::SearchCandidatesRequest> requests;
  for (const engine::SearchQuery& query : (*mix)->Take(4000)) {
    requests.push_back(ToRequest(query, pc4_of));
  }

  std::printf("server                       %s, %d client threads on this machine, %.0f s each\n",
              address.c_str(), clients, seconds);
  std::printf("store                        %s; %s\n",
              store_kind == "sqlite" ? "SQLite (WAL, synchronous=FULL)"
                                     : "PostgreSQL (synchronous_commit=on, a synchronous standby)",
              instances == 0 ? "one server, called directly"
                             : absl::StrCat(instances, " servers behind HAProxy").c_str());
  std::vector<std::vector<std::string>> profile_ids(clients);
  const Outcome searches = RunLoad(clients, 3, seconds, [&](int c, int64_t i) {
    auto stub = v1::CandidateSearchService::NewStub(channels[c]);
    grpc::ClientContext context;
    testing::Authorize(context, tokens[c]);
    v1::SearchCandidatesResponse response;
    const auto& request = requests[(c * 997 + i) % requests.size()];
    const bool ok = stub->SearchCandidates(&context, request, &response).ok();
    if (ok && profile_ids[c].size() < 200) {
      for (const v1::CandidateMatch& match : response.matches()) {
        profile_ids[c].push_back(match.profile().profile_id());
      }
    }
    return ok;
  });
  Print("SearchCandidates", searches, "issue 5: >= 500/s, p99 <= 25 ms");

  for (auto& ids : profile_ids) {
    if (ids.empty()) return Fail(absl::InternalError("the searches found no profiles"));
  }
  const Outcome submissions = RunLoad(clients, 2, seconds, [&](int c, int64_t i) {
    auto stub = v1::ContactRequestService::NewStub(channels[c]);
    grpc::ClientContext context;
    testing::Authorize(context, tokens[c]);
    v1::CreateContactRequestRequest request;
    request.set_request_id("bench-" + std::to_string(c) + "-" + std::to_string(i));
    request.set_profile_id(profile_ids[c][i % profile_ids[c].size()]);
    v1::ContactRequestVacancy* vacancy = request.mutable_vacancy();
    vacancy->set_title("Medewerker inpak");
    vacancy->mutable_hours()->set_min_hours(16);
    vacancy->mutable_hours()->set_max_hours(24);
    vacancy->mutable_workplace()->set_postcode("3511");
    request.mutable_contact_person()->set_name("Anna Bakker");
    request.mutable_contact_person()->set_email("anna@example.nl");
    v1::CreateContactRequestResponse response;
    return stub->CreateContactRequest(&context, request, &response).ok();
  });
  Print("CreateContactRequest", submissions, "issue 5: >= 500 durable/s");

  haproxy.reset();
  health.clear();
  servers.clear();
  if (store_kind == "postgresql") {
    (void)std::system(
        ("'" VERKENNER_SOURCE_DIR "/scripts/postgres' stop '" + (work / "postgres").string() + "'")
            .c_str());
  }
  std::filesystem::remove_all(work);
  return 0;
}
