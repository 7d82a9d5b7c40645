// verkenner-server: serves the Verkenner v1 gRPC API from a search index.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "engine/refdata/reference_data.h"
#include "indexer/import_job.h"
#include "indexer/index_writer.h"
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
ABSL_FLAG(int, http_max_connections, 1000,
          "connections open at once on --http_listen; one more is answered 503 with Retry-After "
          "and closed");
ABSL_FLAG(int, metrics_max_connections, 100,
          "connections open at once on --metrics_listen; one more is answered 503 and closed");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "on SIGTERM or SIGINT, how long calls in flight (gRPC and web) may take to finish; "
          "connections without a call close at once");

ABSL_FLAG(absl::Duration, import_idle_timeout, absl::Seconds(60),
          "an import through the API that sends no message for this long is interrupted; nothing "
          "of it is applied");
ABSL_FLAG(int, max_import_mib, 256,
          "largest import through the API, in MiB as sent (about 2,000 profiles per MiB): an "
          "import is held in memory until its client says it is complete");
ABSL_FLAG(int, max_concurrent_imports, 4,
          "imports through the API received at the same time, one per source; they are applied "
          "one after another");

namespace {
volatile std::sig_atomic_t stop_requested = 0;
void RequestStop(int) { stop_requested = 1; }
}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Serves the Verkenner v1 gRPC API.\n  verkenner-server --index DIR --store FILE "
      "[--listen HOST:PORT]");
  absl::ParseCommandLine(argc, argv);
  // A full disk during an import through the API can make Xapian terminate the process: then say
  // so and exit 1 instead of aborting (indexer/index_writer.h).
  verkenner::indexer::InstallXapianTerminateHandler("verkenner-server");
  const std::string index = absl::GetFlag(FLAGS_index);
  if (index.empty() || absl::GetFlag(FLAGS_store).empty()) {
    std::cerr << "verkenner-server: --index and --store are required (see --help)\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_http_max_connections) < 1 ||
      absl::GetFlag(FLAGS_metrics_max_connections) < 1) {
    std::cerr << "verkenner-server: --http_max_connections and --metrics_max_connections must be "
                 "at least 1\n";
    return 2;
  }
  const absl::Duration grace = absl::GetFlag(FLAGS_shutdown_grace);
  if (grace < absl::ZeroDuration()) {
    std::cerr << "verkenner-server: --shutdown_grace must not be negative\n";
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
  if (options.vault_path.empty()) options.vault_path = verkenner::indexer::DefaultVaultPath(index);
  options.reference_data = *reference_data;
  options.search_threads = absl::GetFlag(FLAGS_search_threads);
  options.imports.idle_timeout = absl::GetFlag(FLAGS_import_idle_timeout);
  options.imports.max_bytes = int64_t{absl::GetFlag(FLAGS_max_import_mib)} << 20;
  options.imports.max_concurrent = absl::GetFlag(FLAGS_max_concurrent_imports);
  if (options.imports.idle_timeout <= absl::ZeroDuration() || options.imports.max_bytes <= 0 ||
      options.imports.max_concurrent <= 0) {
    std::cerr << "verkenner-server: --import_idle_timeout, --max_import_mib and "
                 "--max_concurrent_imports must be positive\n";
    return 2;
  }
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
    verkenner::service::MetricsListener::Options metrics_options;
    metrics_options.max_connections = absl::GetFlag(FLAGS_metrics_max_connections);
    metrics_options.log = (*server)->log();
    auto listener = verkenner::service::MetricsListener::Start(
        address, [server = server->get()] { return server->metrics().PrometheusText(); },
        metrics_options);
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
    http_options.max_connections = absl::GetFlag(FLAGS_http_max_connections);
    http_options.name = "web";
    http_options.log = (*server)->log();
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
    const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(grace);
    // The web first: its calls go through the in-process channel, which the server's Shutdown
    // cuts at once; its listener takes no new connections meanwhile.
    if (http != nullptr) http->Drain(deadline);
    (*server)->Shutdown(std::max(std::chrono::milliseconds(0),
                                 std::chrono::duration_cast<std::chrono::milliseconds>(
                                     deadline - std::chrono::steady_clock::now())));
  });
  (*server)->Wait();
  watcher.join();
  std::cout << "verkenner-server: stopped" << std::endl;
  return 0;
}
