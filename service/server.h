#ifndef VERKENNER_SERVICE_SERVER_H_
#define VERKENNER_SERVICE_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "base/tls_files.h"
#include "engine/refdata/reference_data.h"
#include "engine/searcher_pool.h"
#include "service/auth/authenticator.h"
#include "service/auth/quota.h"
#include "service/index_replication.h"
#include "service/observability/access_log.h"
#include "service/observability/metrics.h"
#include "service/rpc/candidate_rights_service.h"
#include "service/rpc/contact_request_service.h"
#include "service/rpc/environment.h"
#include "service/rpc/identity_service.h"
#include "service/rpc/profile_annotations.h"
#include "service/rpc/profile_import_service.h"
#include "service/rpc/saved_profile_service.h"
#include "service/rpc/search_service.h"
#include "service/rpc/session_service.h"
#include "service/rpc/shortlist_service.h"
#include "service/store/index_writer_lease.h"
#include "service/store/store.h"

namespace verkenner::service {

// The Verkenner server process's gRPC side: the v1 services, gRPC health checking and server
// reflection, wired to one index through a SearcherPool and to the service store.
//
// Start() returns a running server; Shutdown() stops accepting calls, lets in-flight calls
// finish (up to the deadline) without waiting for idle connections, then stops the engine
// workers. Thread-safe.
class Server {
 public:
  struct Options {
    // host:port; port 0 picks a free port (see port()).
    std::string listen_address = "127.0.0.1:50051";
    // TLS on listen_address (base::LoadTlsFiles has checked it); with a client CA, only clients
    // with a certificate it signed get in (mutual TLS). None: plain TCP, for loopback and a
    // network that is protected otherwise.
    std::optional<base::TlsFiles> tls;
    std::string index_path;
    // The service store (accounts, tokens, requests, ...); created if absent.
    std::string store_path;
    // The identity vault the importer writes, read for identity resolution; empty: none (every
    // resolution then fails with FAILED_PRECONDITION).
    std::string vault_path;
    // The pseudonym key of imports through the API (the one verkenner-index uses); without it
    // ImportProfiles fails with FAILED_PRECONDITION.
    std::shared_ptr<const indexer::Pseudonymizer> pseudonymizer;
    // Per account and per organisation (service/auth/quota.h); profile views are counted in the
    // store.
    QuotaLimiter::Limits quotas;
    ProfileImportService::Limits imports;
    // How imports through the API keep and show profiles, as verkenner-index's --retention_years
    // and --k (indexer/import_flags.h).
    indexer::RetentionRule retention;
    int disclosure_k = engine::kDefaultMinimumGroupSize;
    // Reverse proxies (HAProxy, the web's TLS terminator) whose X-Forwarded-For names the client
    // a login is throttled by, over HTTP and gRPC.
    std::vector<std::string> trusted_proxies;
    // Where structured log lines go (service/observability/access_log.h); null: nowhere.
    std::ostream* log = nullptr;
    std::shared_ptr<const engine::ReferenceData> reference_data;
    // Engine worker threads; 0: one per hardware thread.
    int search_threads = 0;
    // SearcherPool::Options::unknown_travel_km.
    int unknown_travel_km = engine::kDefaultUnknownTravelKm;
    // SearcherPool::Options::availability_confirmation_months.
    int availability_confirmation_months = engine::kDefaultAvailabilityConfirmationMonths;
    // Days since 1970-01-01; tests fix it, production uses the clock.
    std::function<int64_t()> today = TodayFromSystemClock;
    // Where the other instances send imports while this one is the index writer: host:port of
    // this server's gRPC. Empty: the listen address with the bound port (the host name when it
    // listens on every address).
    std::string advertise_address;
    // IndexWriterLease::Options::term.
    absl::Duration writer_lease_term = absl::Seconds(15);
    // Index replication (service/index_replication.h): how a follower reads a file of the
    // writer's publication (IndexReplication::Options::fetch). Null: none; one instance, or
    // instances that share one index directory. With it, the server starts also without an
    // index: NOT_SERVING until it has fetched the writer's (SearcherPool::Options::await_index),
    // and it does not claim the writer's lease before.
    std::function<absl::StatusOr<std::string>(const std::string& address, const std::string& name)>
        publication_fetch;
    absl::Duration follow_interval = absl::Seconds(1);
    // With replication, CheckReady fails while the index lags the writer's by more than this
    // (IndexReplication::Lag), so that a balancer stops routing to it. Zero: no limit.
    absl::Duration max_index_lag = absl::ZeroDuration();
    // The index's upkeep without an import, on the index writer (ProfileImportService::Options
    // upkeep_interval, upkeep_compacts): zero, never.
    absl::Duration upkeep_interval = absl::ZeroDuration();
    bool upkeep_compacts = true;
  };

  // Errors: those of SearcherPool::Start and Store::Open; Unavailable if the address cannot be
  // bound, also when another server listens on it (SO_REUSEPORT is off: one server per port).
  static absl::StatusOr<std::unique_ptr<Server>> Start(Options options);
  ~Server();

  // The bound port.
  int port() const { return port_; }
  // Whether this instance can serve: it has loaded the index's image, the image does not lag the
  // writer's by more than Options::max_index_lag, and its store answers. For /healthz, so that
  // a balancer stops sending calls to an instance that cannot answer them. Errors: Unavailable
  // while the index loads or lags; the store's.
  absl::Status CheckReady();
  // The index state the searches use now (IndexState::Name()); empty while the first image loads.
  std::string ServedState() const;
  // Whether this instance is the index writer, which takes the imports: IndexWriterLease::
  // CheckHeld. For /healthz/writer, so that a balancer sends imports to it.
  absl::Status CheckWriter() const { return writer_lease_->CheckHeld(); }
  // metrics() in Prometheus text, with the gauges of what this instance is now (index writer).
  std::string MetricsText();
  // A channel to this server's services without a socket, for the HTTP gateway: its calls go
  // through the same authentication, checks, metrics and logs as any other.
  std::shared_ptr<grpc::Channel> InProcessChannel();
  // The key of the web app's CSRF tokens: kept in the store, so that open browser tabs keep
  // working across restarts, as their sessions do. Errors: the store's.
  absl::StatusOr<std::string> CsrfKey();
  // Calls, codes and latencies of every method, for a Prometheus scrape.
  const MetricsRegistry& metrics() const { return *metrics_; }
  // The structured log on Options::log, for the HTTP listeners to share; null without one.
  StructuredLog* log() const { return log_.get(); }
  // Stops the server: no new calls, calls in flight may take at most `grace` to finish, and
  // connections without a call close as soon as none is in flight. Calls through
  // InProcessChannel() end at once (gRPC's in-process transport cancels them): stop their
  // callers first (HttpListener::Drain for the web).
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // Blocks until Shutdown() has completed.
  void Wait();
  // With Options::publication_fetch: announces where this instance serves its publication
  // (its metrics listener's host:port) and starts following the writer's. Once.
  void StartReplication(const std::string& publication_address);
  // A file of this instance's index publication (for its metrics listener):
  // IndexReplication::PublishedFile; NotFound without replication.
  absl::StatusOr<std::string> PublishedFile(const std::string& name) const;

 private:
  Server() = default;

  // gRPC's part of Shutdown: calls in flight until `deadline`, idle connections closed at once.
  void StopGrpc(std::chrono::system_clock::time_point deadline);
  // The phases of Start: the store, authentication and quotas the services share; the search
  // pool and the services; the gRPC server with its services, metrics series and interceptors.
  absl::Status OpenEnvironment(const Options& options);
  absl::Status StartServices(const Options& options);
  absl::Status Listen(const Options& options);
  // Registers every v1 service with `builder` and gives each method its metrics series.
  void RegisterServices(grpc::ServerBuilder& builder);
  // Malformed-request correction, metrics and (with a `log`) the access log, in that order.
  void InstallInterceptors(grpc::ServerBuilder& builder, std::ostream* log);
  // Options::advertise_address, or what Listen bound.
  std::string AdvertisedAddress(const Options& options) const;
  // SearcherPool::Options::on_image: gRPC health turns SERVING with the first image, and the
  // gauges say what is served.
  void OnImage(const engine::CandidateIndex& image);
  // Logs a scheduled upkeep's outcome and sets its metrics.
  void OnUpkeep(const absl::StatusOr<std::optional<indexer::ImportJob::Upkeep>>& outcome);
  // gRPC health's status for the whole server, as the served image says.
  void ReportHealth();

  // Declared in the order they are needed: the services use what comes before them.
  std::unique_ptr<MetricsRegistry> metrics_ = std::make_unique<MetricsRegistry>();
  std::unique_ptr<StructuredLog> log_;
  // Protobuf's own log lines go into log_ while the server lives.
  std::unique_ptr<ProtobufLogRoute> protobuf_log_route_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<IndexWriterLease> writer_lease_;  // started once the address is known
  std::unique_ptr<IndexReplication> replication_;   // with Options::publication_fetch
  absl::Duration max_index_lag_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<QuotaLimiter> quotas_;
  ServiceEnvironment environment_;
  std::shared_ptr<ProfileAnnotationsCache> annotations_;  // read by the pool's searchers
  mutable std::mutex served_mutex_;
  std::string served_state_;  // guarded by served_mutex_: the image searches use, once loaded
  std::unique_ptr<engine::SearcherPool> pool_;
  std::unique_ptr<CandidateSearchService> search_service_;
  std::unique_ptr<SessionService> session_service_;
  std::unique_ptr<ContactRequestService> contact_request_service_;
  std::unique_ptr<SavedProfileService> saved_profile_service_;
  std::unique_ptr<ShortlistService> shortlist_service_;
  std::unique_ptr<IdentityService> identity_service_;
  std::unique_ptr<ProfileImportService> profile_import_service_;
  std::unique_ptr<CandidateRightsService> candidate_rights_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  int port_ = 0;
  std::once_flag shutdown_once_;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_SERVER_H_
