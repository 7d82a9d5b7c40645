// verkenner-server: serves the Verkenner v1 gRPC API from a search index.

#include <csignal>
#include <iostream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "engine/refdata/reference_data.h"
#include "indexer/pseudonymizer.h"
#include "service/http/api_gateway.h"
#include "service/http/http_listener.h"
#include "service/http/metrics_listener.h"
#include "service/http/web_handler.h"
#include "service/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "host:port to serve gRPC on (port 0: any)");
ABSL_FLAG(std::string, index, "", "directory of the search index (required)");
ABSL_FLAG(std::string, vault, "",
          "the identity vault verkenner-index writes, for the WSP's audited identity look-up "
          "(default: INDEX.vault beside the index)");
ABSL_FLAG(std::string, key_file, "",
          "pseudonym key for imports through the API, the one verkenner-index uses (default: "
          "$VERKENNER_PSEUDONYM_KEY or ~/.config/verkenner/pseudonym.key)");
ABSL_FLAG(std::string, store, "",
          "the service store: accounts, requests, audit log (required; created if absent)");
ABSL_FLAG(std::string, refdata, "",
          "reference data directory (default: $VERKENNER_REFDATA or "
          "../shared/refdata)");
ABSL_FLAG(int, search_threads, 0, "engine worker threads (0: one per core)");
ABSL_FLAG(int, searches_per_minute, 60,
          "searches per account per minute (fixed one-minute windows, counted in memory)");
ABSL_FLAG(int, profile_views_per_day, 300,
          "profile views per account per calendar day, Europe/Amsterdam (counted in the store: a "
          "restart forgives nothing)");
ABSL_FLAG(int, organisation_searches_per_minute, 300,
          "searches per minute of all accounts of one organisation together");
ABSL_FLAG(int, organisation_profile_views_per_day, 1000,
          "profile views per day of all accounts of one organisation together (in the store)");
ABSL_FLAG(std::string, http_listen, "",
          "host:port for the web app and its JSON API over HTTP (put TLS in front: the session "
          "cookie is Secure); empty: off");
ABSL_FLAG(std::vector<std::string>, trusted_proxies, {},
          "comma-separated IP addresses of reverse proxies in front of --http_listen whose "
          "X-Forwarded-For is believed (the last address in it that is not a trusted proxy is "
          "the client's); default none: logins are throttled by the HTTP peer's address");
ABSL_FLAG(std::string, web_root, "", "directory of the built web app served over --http_listen");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port for GET /metrics (Prometheus) and GET /healthz over HTTP, e.g. "
          "127.0.0.1:9464; empty: off");

namespace {
volatile std::sig_atomic_t stop_requested = 0;
void RequestStop(int) { stop_requested = 1; }
}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Serves the Verkenner v1 gRPC API.\n  verkenner-server --index DIR --store FILE "
      "[--listen HOST:PORT]");
  absl::ParseCommandLine(argc, argv);
  const std::string index = absl::GetFlag(FLAGS_index);
  if (index.empty() || absl::GetFlag(FLAGS_store).empty()) {
    std::cerr << "verkenner-server: --index and --store are required (see --help)\n";
    return 2;
  }
  std::string refdata_dir = absl::GetFlag(FLAGS_refdata);
  if (refdata_dir.empty()) refdata_dir = verkenner::engine::ReferenceData::DefaultDirectory();
  auto reference_data = verkenner::engine::ReferenceData::Load(refdata_dir);
  if (!reference_data.ok()) {
    std::cerr << "verkenner-server: " << reference_data.status().message() << "\n";
    return 1;
  }

  verkenner::service::Server::Options options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  // gRPC takes an out-of-range port modulo 65536 and listens somewhere unexpected.
  const size_t colon = options.listen_address.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(options.listen_address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    std::cerr << "verkenner-server: --listen must be HOST:PORT with a port from 0 to 65535\n";
    return 2;
  }
  options.index_path = index;
  options.store_path = absl::GetFlag(FLAGS_store);
  std::string key_file = absl::GetFlag(FLAGS_key_file);
  if (key_file.empty()) key_file = verkenner::indexer::Pseudonymizer::DefaultKeyFile();
  if (auto pseudonymizer = verkenner::indexer::Pseudonymizer::FromKeyFile(key_file);
      pseudonymizer.ok()) {
    options.pseudonymizer = std::move(*pseudonymizer);
  } else {
    // Searching needs no key; only imports through the API do, and they say so.
    std::cerr << "verkenner-server: no pseudonym key, imports through the API are off: "
              << pseudonymizer.status().message() << "\n";
  }
  // Structured logs on stderr, one JSON object per call; stdout keeps the human lines.
  options.log = &std::cerr;
  options.vault_path = absl::GetFlag(FLAGS_vault);
  if (options.vault_path.empty()) {
    options.vault_path =
        (index.back() == '/' ? index.substr(0, index.size() - 1) : index) + ".vault";
  }
  options.reference_data = *reference_data;
  options.search_threads = absl::GetFlag(FLAGS_search_threads);
  options.quotas.searches_per_minute = absl::GetFlag(FLAGS_searches_per_minute);
  options.quotas.profile_views_per_day = absl::GetFlag(FLAGS_profile_views_per_day);
  options.quotas.organisation_searches_per_minute =
      absl::GetFlag(FLAGS_organisation_searches_per_minute);
  options.quotas.organisation_profile_views_per_day =
      absl::GetFlag(FLAGS_organisation_profile_views_per_day);
  for (const int limit : {options.quotas.searches_per_minute, options.quotas.profile_views_per_day,
                          options.quotas.organisation_searches_per_minute,
                          options.quotas.organisation_profile_views_per_day}) {
    if (limit < 1) {
      std::cerr << "verkenner-server: quota limits must be at least 1 (see --help)\n";
      return 2;
    }
  }
  auto server = verkenner::service::Server::Start(std::move(options));
  if (!server.ok()) {
    std::cerr << "verkenner-server: " << server.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<verkenner::service::MetricsListener> metrics;
  if (const std::string address = absl::GetFlag(FLAGS_metrics_listen); !address.empty()) {
    auto listener = verkenner::service::MetricsListener::Start(
        address, [server = server->get()] { return server->metrics().PrometheusText(); });
    if (!listener.ok()) {
      std::cerr << "verkenner-server: " << listener.status().message() << "\n";
      return 1;
    }
    metrics = std::move(*listener);
    std::cout << "verkenner-server: metrics on port " << metrics->port() << std::endl;
  }
  // The web app: its files and the JSON API onto this server's own services.
  std::unique_ptr<verkenner::service::ApiGateway> gateway;
  std::unique_ptr<verkenner::service::WebHandler> web;
  std::unique_ptr<verkenner::service::HttpListener> http;
  if (const std::string address = absl::GetFlag(FLAGS_http_listen); !address.empty()) {
    absl::StatusOr<std::string> csrf_key = (*server)->CsrfKey();
    if (!csrf_key.ok()) {
      std::cerr << "verkenner-server: " << csrf_key.status().message() << "\n";
      return 1;
    }
    gateway = std::make_unique<verkenner::service::ApiGateway>(
        (*server)->InProcessChannel(), std::move(*csrf_key), absl::GetFlag(FLAGS_trusted_proxies));
    web = std::make_unique<verkenner::service::WebHandler>(gateway.get(),
                                                           absl::GetFlag(FLAGS_web_root));
    verkenner::service::HttpListener::Options http_options;
    // Import files are larger than anything else the app sends, and take longer to arrive.
    http_options.body_limits = [handler = web.get()](const verkenner::service::HttpRequest& head) {
      return handler->BodyLimitsFor(head);
    };
    auto listener = verkenner::service::HttpListener::Start(
        address, std::move(http_options),
        [handler = web.get()](verkenner::service::HttpRequest request, auto respond) {
          handler->Handle(std::move(request), std::move(respond));
        });
    if (!listener.ok()) {
      std::cerr << "verkenner-server: " << listener.status().message() << "\n";
      return 1;
    }
    http = std::move(*listener);
    std::cout << "verkenner-server: web app on port " << http->port() << std::endl;
  }
  std::signal(SIGTERM, RequestStop);
  std::signal(SIGINT, RequestStop);
  std::cout << "verkenner-server: serving on port " << (*server)->port() << std::endl;

  // Signal handlers may not call into gRPC; a plain thread watches the flag instead.
  std::thread watcher([&] {
    while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::cout << "verkenner-server: stopping, finishing calls in flight" << std::endl;
    (*server)->Shutdown();
  });
  (*server)->Wait();
  watcher.join();
  std::cout << "verkenner-server: stopped" << std::endl;
  return 0;
}
