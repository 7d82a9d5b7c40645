// verkenner-server: serves the Verkenner v1 gRPC API from a search index.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/command_line/command_line.h"
#include "base/host_port.h"
#include "base/postgres/pg_connection.h"
#include "base/tls_files.h"
#include "engine/refdata/reference_data.h"
#include "engine/search_types.h"
#include "indexer/import_flags.h"
#include "indexer/import_job.h"
#include "indexer/index_writer.h"
#include "indexer/pseudonymizer.h"
#include "service/http/api_gateway.h"
#include "service/http/http_fetch.h"
#include "service/http/http_listener.h"
#include "service/http/metrics_listener.h"
#include "service/http/web_handler.h"
#include "service/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve gRPC on, port 0 to 65535 (0: any free port)");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain for TLS on --listen and --http_listen (the server's certificate "
          "first); with --tls_key. Empty: plain TCP (loopback, or a network protected "
          "otherwise)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert (unencrypted, mode 0600)");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA certificates for mutual TLS on --listen and --http_listen: only clients with a "
          "certificate they signed get in (programs, a proxy; not browsers). Empty: clients "
          "present none");
ABSL_FLAG(std::string, index, "", "directory of the search index (required)");
ABSL_FLAG(std::string, vault, "",
          "the identity vault verkenner-index writes, for the WSP's audited identity look-up: an "
          "SQLite file or a PostgreSQL URI (its schema vault) (default: with a PostgreSQL store, "
          "the store's database, so that every instance resolves; else INDEX.vault beside the "
          "index)");
ABSL_FLAG(std::string, key_file, "",
          "pseudonym key for imports through the API, the one verkenner-index uses (default: "
          "$VERKENNER_PSEUDONYM_KEY or ~/.config/verkenner/pseudonym.key)");
ABSL_FLAG(std::string, store, "",
          "the service store: accounts, requests, audit log (required): an SQLite file (created if "
          "absent; one instance) or a PostgreSQL database shared by several instances, as a libpq "
          "URI, e.g. postgresql://db1:5432,db2:5432/verkenner?target_session_attrs=read-write "
          "(keep passwords in ~/.pgpass or PGPASSFILE, not in the URI)");
ABSL_FLAG(std::string, refdata, "",
          "reference data directory (default: $VERKENNER_REFDATA or "
          "../shared/refdata)");
ABSL_FLAG(int, search_threads, 0, "engine worker threads (0: one per core)");
ABSL_FLAG(int, unknown_travel_km, verkenner::engine::kDefaultUnknownTravelKm,
          "how far from the workplace a profile without a known travel limit is found, in km, 1 "
          "to 200 (searches that tolerate unknown fields; cards and explanations say it)");
ABSL_FLAG(int, availability_confirmation_months,
          verkenner::engine::kDefaultAvailabilityConfirmationMonths,
          "months after which an availability not confirmed again (by an import's "
          "availability_confirmed_on or a WSP) is marked on the card, 1 to 120");
ABSL_FLAG(
    int, searches_per_minute, 60,
    "searches per account per minute, at least 1 (fixed one-minute windows, counted in memory)");
ABSL_FLAG(
    int, profile_views_per_day, 300,
    "profile views per account per calendar day, Europe/Amsterdam, at least 1 (counted in the "
    "store: a restart forgives nothing)");
ABSL_FLAG(int, organisation_searches_per_minute, 300,
          "searches per minute of all accounts of one organisation together, at least 1");
ABSL_FLAG(int, organisation_profile_views_per_day, 1000,
          "profile views per day of all accounts of one organisation together, at least 1 (in the "
          "store)");
ABSL_FLAG(std::string, http_listen, "",
          "host:port for the web app and its JSON API over HTTP, HTTPS with --tls_cert (the "
          "session cookie is Secure: serve HTTPS here or in a proxy in front); empty: off");
ABSL_FLAG(std::vector<std::string>, trusted_proxies, {},
          "comma-separated IP addresses of reverse proxies in front of --http_listen or --listen "
          "(HAProxy, a TLS terminator) whose X-Forwarded-For is believed (the last address in it "
          "that is not a trusted proxy is the client's); default none: logins are throttled by "
          "the peer's address");
ABSL_FLAG(std::string, web_root, "", "directory of the built web app served over --http_listen");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port for GET /metrics (Prometheus) and GET /healthz over HTTP, e.g. "
          "127.0.0.1:9464; empty: off");
ABSL_FLAG(int, http_max_connections, 1000,
          "connections open at once on --http_listen, at least 1; one more is answered 503 with "
          "Retry-After and closed");
ABSL_FLAG(int, metrics_max_connections, 100,
          "connections open at once on --metrics_listen, at least 1; one more is answered 503 and "
          "closed");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "on SIGTERM or SIGINT, how long calls in flight (gRPC and web) may take to finish, 0 or "
          "more; connections without a call close at once");

ABSL_FLAG(absl::Duration, import_idle_timeout, absl::Seconds(60),
          "an import through the API that sends no message for this long (more than 0) is "
          "interrupted; nothing of it is applied");
ABSL_FLAG(
    int, max_import_mib, 256,
    "largest import through the API, in MiB as sent, at least 1 (about 2,000 profiles per MiB): an "
    "import is held in memory until its client says it is complete");
ABSL_FLAG(std::string, advertise_address, "",
          "HOST:PORT at which the other instances tell clients to send imports while this one is "
          "the index writer (default: --listen with the bound port; the host name when --listen "
          "is 0.0.0.0)");
ABSL_FLAG(absl::Duration, writer_lease_term, absl::Seconds(15),
          "how long the index writer's lease lasts without a renewal, at least 3s: after the "
          "writer dies, another instance takes over the imports within this time");
ABSL_FLAG(bool, replicate_index, false,
          "each instance keeps an index of its own: the index writer publishes every import on "
          "its --metrics_listen address (GET /index/published/...), and the other instances "
          "fetch, verify and apply it (docs/ARCHITECTURE.md); needs --metrics_listen. Off: one "
          "instance, or instances that share one index directory");
ABSL_FLAG(absl::Duration, follow_interval, absl::Seconds(1),
          "with --replicate_index, how often an instance that is not the writer asks for the "
          "writer's newest publication, at least 100ms");
ABSL_FLAG(absl::Duration, max_index_lag, absl::Seconds(30),
          "with --replicate_index, GET /healthz answers 503 while this instance's index lags the "
          "writer's by more than this, so that the balancer routes around it; 0: no limit");
ABSL_FLAG(absl::Duration, upkeep_interval, absl::Hours(24),
          "how often the index writer purges profiles whose retention ended, recounts the "
          "disclosure groups and (--upkeep_compacts) compacts the index without an import, so "
          "retention holds also when no import comes; 0: never (run verkenner-index --sweep_only "
          "instead)");
ABSL_FLAG(bool, upkeep_compacts, true,
          "the scheduled upkeep also compacts the index (with --replicate_index the next "
          "publication is then a whole base that every follower downloads)");
ABSL_FLAG(int, max_concurrent_imports, 4,
          "imports through the API received at the same time, at least 1, one per source; they are "
          "applied one after another");

namespace verkenner::service {
namespace {

volatile std::sig_atomic_t stop_requested = 0;
void RequestStop(int) { stop_requested = 1; }

command_line::Program ThisProgram() {
  return {.name = "verkenner-server",
          .usage = R"(Usage: verkenner-server --index=DIR --store=FILE [--listen=HOST:PORT] [flags]

Serves the Verkenner v1 gRPC API from a search index, and with --http_listen the web app and its
JSON API.

Exit status: 0 after a stop by SIGTERM or SIGINT, 1 when the server cannot start, 2 for a usage
error.)"};
}

// The limits the flags' help texts state; a value outside them is a usage error (exit 2), found
// before anything is opened.
void CheckFlags(const command_line::Program& program) {
  command_line::RequireGiven(program, FLAGS_index);
  command_line::RequireGiven(program, FLAGS_store);
  if (!base::SplitHostPort(absl::GetFlag(FLAGS_listen)).has_value()) {
    command_line::ExitWithUsageError(program,
                                     "--listen must be HOST:PORT with a port from 0 to 65535");
  }
  for (const absl::Flag<int>* count :
       {&FLAGS_http_max_connections, &FLAGS_metrics_max_connections, &FLAGS_max_import_mib,
        &FLAGS_max_concurrent_imports, &FLAGS_searches_per_minute, &FLAGS_profile_views_per_day,
        &FLAGS_organisation_searches_per_minute, &FLAGS_organisation_profile_views_per_day}) {
    command_line::RequireAtLeast(program, *count, 1);
  }
  command_line::RequireInRange(program, FLAGS_unknown_travel_km, 1, 200);
  command_line::RequireInRange(program, FLAGS_availability_confirmation_months, 1, 120);
  command_line::RequireAtLeast(program, FLAGS_shutdown_grace, absl::ZeroDuration());
  command_line::RequireAbove(program, FLAGS_import_idle_timeout, absl::ZeroDuration());
  command_line::RequireAtLeast(program, FLAGS_writer_lease_term, absl::Seconds(3));
  command_line::RequireAtLeast(program, FLAGS_follow_interval, absl::Milliseconds(100));
  command_line::RequireAtLeast(program, FLAGS_max_index_lag, absl::ZeroDuration());
  command_line::RequireAtLeast(program, FLAGS_upkeep_interval, absl::ZeroDuration());
  if (absl::GetFlag(FLAGS_replicate_index) && absl::GetFlag(FLAGS_metrics_listen).empty()) {
    command_line::ExitWithUsageError(
        program, "--replicate_index needs --metrics_listen: the publication is served there");
  }
  if (absl::GetFlag(FLAGS_tls_cert).empty() != absl::GetFlag(FLAGS_tls_key).empty()) {
    command_line::ExitWithUsageError(program, "--tls_cert and --tls_key go together");
  }
  if (!absl::GetFlag(FLAGS_tls_client_ca).empty() && absl::GetFlag(FLAGS_tls_cert).empty()) {
    command_line::ExitWithUsageError(program, "--tls_client_ca needs --tls_cert and --tls_key");
  }
  const std::string advertised = absl::GetFlag(FLAGS_advertise_address);
  if (!advertised.empty() && !base::SplitHostPort(advertised).has_value()) {
    command_line::ExitWithUsageError(
        program, "--advertise_address must be HOST:PORT with a port from 0 to 65535");
  }
}

// The TLS material of --tls_cert, --tls_key and --tls_client_ca, or none; a file the listener
// could not use is a usage error (exit 2) naming the file, before anything is opened.
std::optional<base::TlsFiles> TlsFromFlags(const command_line::Program& program) {
  if (absl::GetFlag(FLAGS_tls_cert).empty()) return std::nullopt;
  absl::StatusOr<base::TlsFiles> files =
      base::LoadTlsFiles(absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
                         absl::GetFlag(FLAGS_tls_client_ca));
  if (!files.ok()) {
    command_line::ExitWithUsageError(
        program, absl::StrCat("TLS (--listen and --http_listen): ", files.status().message()));
  }
  return *std::move(files);
}

// The server's options from the flags, which CheckFlags has checked.
Server::Options ServerOptions(std::shared_ptr<const engine::ReferenceData> reference_data,
                              std::optional<base::TlsFiles> tls,
                              const indexer::ImportSettings& import_settings) {
  Server::Options options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.tls = std::move(tls);
  const std::string index = absl::GetFlag(FLAGS_index);
  options.index_path = index;
  options.store_path = absl::GetFlag(FLAGS_store);
  options.trusted_proxies = absl::GetFlag(FLAGS_trusted_proxies);
  std::string key_file = absl::GetFlag(FLAGS_key_file);
  if (key_file.empty()) key_file = indexer::Pseudonymizer::DefaultKeyFile();
  if (auto pseudonymizer = indexer::Pseudonymizer::FromKeyFile(key_file); pseudonymizer.ok()) {
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
    options.vault_path = verkenner::postgres::IsPostgresTarget(options.store_path)
                             ? options.store_path
                             : verkenner::indexer::DefaultVaultPath(index);
  }
  options.reference_data = std::move(reference_data);
  options.search_threads = absl::GetFlag(FLAGS_search_threads);
  options.unknown_travel_km = absl::GetFlag(FLAGS_unknown_travel_km);
  options.availability_confirmation_months = absl::GetFlag(FLAGS_availability_confirmation_months);
  options.imports.idle_timeout = absl::GetFlag(FLAGS_import_idle_timeout);
  options.imports.max_bytes = int64_t{absl::GetFlag(FLAGS_max_import_mib)} << 20;
  options.imports.max_concurrent = absl::GetFlag(FLAGS_max_concurrent_imports);
  options.retention = import_settings.retention;
  options.disclosure_k = import_settings.disclosure_k;
  options.advertise_address = absl::GetFlag(FLAGS_advertise_address);
  options.writer_lease_term = absl::GetFlag(FLAGS_writer_lease_term);
  options.upkeep_interval = absl::GetFlag(FLAGS_upkeep_interval);
  options.upkeep_compacts = absl::GetFlag(FLAGS_upkeep_compacts);
  if (absl::GetFlag(FLAGS_replicate_index)) {
    // A base file is a whole shard file: large, but bounded by what a shard can hold.
    options.publication_fetch = [](const std::string& address, const std::string& name) {
      return HttpGet(address, "/index/published/" + name, std::chrono::minutes(5),
                     uint64_t{64} << 30);
    };
    options.follow_interval = absl::GetFlag(FLAGS_follow_interval);
    options.max_index_lag = absl::GetFlag(FLAGS_max_index_lag);
  }
  options.quotas.searches_per_minute = absl::GetFlag(FLAGS_searches_per_minute);
  options.quotas.profile_views_per_day = absl::GetFlag(FLAGS_profile_views_per_day);
  options.quotas.organisation_searches_per_minute =
      absl::GetFlag(FLAGS_organisation_searches_per_minute);
  options.quotas.organisation_profile_views_per_day =
      absl::GetFlag(FLAGS_organisation_profile_views_per_day);
  return options;
}

// A listener's address that does not parse is a usage error naming its flag (exit 2), as every
// malformed flag value is; any other failure to listen (a port in use) is returned.
absl::Status ListenError(const command_line::Program& program, const absl::Flag<std::string>& flag,
                         absl::Status status) {
  if (absl::IsInvalidArgument(status)) {
    command_line::ExitWithFlagError(program, absl::GetFlagReflectionHandle(flag), status.message());
  }
  return status;
}

// GET /metrics and /healthz on --metrics_listen; null when the flag is empty.
absl::StatusOr<std::unique_ptr<MetricsListener>> StartMetrics(const command_line::Program& program,
                                                              Server& server) {
  const std::string address = absl::GetFlag(FLAGS_metrics_listen);
  if (address.empty()) return nullptr;
  MetricsListener::Options options;
  options.max_connections = absl::GetFlag(FLAGS_metrics_max_connections);
  options.log = server.log();
  options.readiness = [&server]() -> absl::Status {
    // From the moment SIGTERM arrives: the balancer takes this instance out while it drains.
    if (stop_requested) return absl::UnavailableError("stopping");
    return server.CheckReady();
  };
  options.writer = [&server] { return server.CheckWriter(); };
  if (absl::GetFlag(FLAGS_replicate_index)) {
    options.published = [&server](const std::string& name) { return server.PublishedFile(name); };
  }
  auto listener = MetricsListener::Start(
      address, [&server] { return server.MetricsText(); }, options);
  if (!listener.ok()) return ListenError(program, FLAGS_metrics_listen, listener.status());
  std::cout << "verkenner-server: metrics on port " << (*listener)->port() << std::endl;
  server.StartReplication(
      base::ReachableAddress(address, static_cast<uint16_t>((*listener)->port())));
  return listener;
}

// The web app: its files and the JSON API onto the server's own services, over HTTP. Owns the
// chain, which the listener's handler points into; declared in the order it is built.
struct WebApp {
  std::unique_ptr<ApiGateway> gateway;
  std::unique_ptr<WebHandler> handler;
  std::unique_ptr<HttpListener> listener;
};

// The web app on --http_listen; one without a listener when the flag is empty.
absl::StatusOr<WebApp> StartWebApp(const command_line::Program& program, Server& server,
                                   std::optional<base::TlsFiles> tls) {
  WebApp web;
  const std::string address = absl::GetFlag(FLAGS_http_listen);
  if (address.empty()) return web;
  absl::StatusOr<std::string> csrf_key = server.CsrfKey();
  if (!csrf_key.ok()) return csrf_key.status();
  web.gateway = std::make_unique<ApiGateway>(server.InProcessChannel(), std::move(*csrf_key),
                                             absl::GetFlag(FLAGS_trusted_proxies));
  web.handler = std::make_unique<WebHandler>(web.gateway.get(), absl::GetFlag(FLAGS_web_root));
  HttpListener::Options options;
  options.max_connections = absl::GetFlag(FLAGS_http_max_connections);
  options.name = "web";
  options.log = server.log();
  options.tls = std::move(tls);
  // Import files are larger than anything else the app sends, and take longer to arrive.
  options.body_limits = [handler = web.handler.get()](const HttpRequest& head) {
    return handler->BodyLimitsFor(head);
  };
  auto listener =
      HttpListener::Start(address, std::move(options),
                          [handler = web.handler.get()](HttpRequest request, auto respond) {
                            handler->Handle(std::move(request), std::move(respond));
                          });
  if (!listener.ok()) return ListenError(program, FLAGS_http_listen, listener.status());
  web.listener = std::move(*listener);
  std::cout << "verkenner-server: web app on port " << web.listener->port()
            << (web.listener->tls() ? " (HTTPS)" : "") << std::endl;
  return web;
}

// Serves until SIGTERM or SIGINT, then gives calls in flight `grace` to finish.
void ServeUntilStopped(Server& server, HttpListener* http, absl::Duration grace) {
  std::signal(SIGTERM, RequestStop);
  std::signal(SIGINT, RequestStop);
  const char* security = absl::GetFlag(FLAGS_tls_cert).empty()        ? ""
                         : absl::GetFlag(FLAGS_tls_client_ca).empty() ? " (TLS)"
                                                                      : " (mutual TLS)";
  std::cout << "verkenner-server: serving on port " << server.port() << security << std::endl;
  // Signal handlers may not call into gRPC; a plain thread watches the flag instead.
  std::thread watcher([&] {
    while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::cout << "verkenner-server: stopping, finishing calls in flight" << std::endl;
    const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(grace);
    // The web first: its calls go through the in-process channel, which the server's Shutdown
    // cuts at once; its listener takes no new connections meanwhile.
    if (http != nullptr) http->Drain(deadline);
    server.Shutdown(std::max(std::chrono::milliseconds(0),
                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                 deadline - std::chrono::steady_clock::now())));
  });
  server.Wait();
  watcher.join();
  std::cout << "verkenner-server: stopped" << std::endl;
}

// Reads the flags, then starts the server and its listeners and serves until stopped.
int Run(int argc, char** argv) {
  const command_line::Program program = ThisProgram();
  command_line::ParseCommandLine(program, argc, argv);
  CheckFlags(program);
  std::optional<base::TlsFiles> tls = TlsFromFlags(program);
  const indexer::ImportSettings import_settings = indexer::ImportSettingsFromFlags(program);
  // A full disk during an import through the API can make Xapian terminate the process: then say
  // so and exit 1 instead of aborting (indexer/index_writer.h).
  indexer::InstallXapianTerminateHandler("verkenner-server");
  std::string refdata_dir = absl::GetFlag(FLAGS_refdata);
  if (refdata_dir.empty()) refdata_dir = engine::ReferenceData::DefaultDirectory();
  auto reference_data = engine::ReferenceData::Load(refdata_dir);
  if (!reference_data.ok()) return command_line::ReportFailure(program, reference_data.status());

  auto server = Server::Start(ServerOptions(*std::move(reference_data), tls, import_settings));
  if (!server.ok()) return command_line::ReportFailure(program, server.status());
  auto metrics = StartMetrics(program, **server);
  if (!metrics.ok()) return command_line::ReportFailure(program, metrics.status());
  auto web = StartWebApp(program, **server, std::move(tls));
  if (!web.ok()) return command_line::ReportFailure(program, web.status());
  ServeUntilStopped(**server, web->listener.get(), absl::GetFlag(FLAGS_shutdown_grace));
  return command_line::kExitOk;
}

}  // namespace
}  // namespace verkenner::service

int main(int argc, char** argv) { return verkenner::service::Run(argc, argv); }
