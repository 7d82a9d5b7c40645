#ifndef VERKENNER_SERVICE_SERVER_H_
#define VERKENNER_SERVICE_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/refdata/reference_data.h"
#include "engine/searcher_pool.h"
#include "service/auth/authenticator.h"
#include "service/auth/quota.h"
#include "service/observability/access_log.h"
#include "service/observability/metrics.h"
#include "service/rpc/contact_request_service.h"
#include "service/rpc/environment.h"
#include "service/rpc/identity_service.h"
#include "service/rpc/profile_import_service.h"
#include "service/rpc/saved_profile_service.h"
#include "service/rpc/search_service.h"
#include "service/rpc/session_service.h"
#include "service/rpc/shortlist_service.h"
#include "service/store/store.h"

namespace verkenner::service {

// The Verkenner server process's gRPC side: the v1 services, gRPC health checking and server
// reflection, wired to one index through a SearcherPool and to the service store.
//
// Start() returns a running server; Shutdown() stops accepting calls, lets in-flight calls
// finish (up to the deadline), then stops the engine workers. Thread-safe.
class Server {
 public:
  struct Options {
    // host:port; port 0 picks a free port (see port()).
    std::string listen_address = "127.0.0.1:50051";
    std::string index_path;
    // The service store (accounts, tokens, requests, ...); created if absent.
    std::string store_path;
    // The identity vault the importer writes, read for identity resolution; empty: none (every
    // resolution then fails with FAILED_PRECONDITION).
    std::string vault_path;
    // The pseudonym key of imports through the API (the one verkenner-index uses); without it
    // ImportProfiles fails with FAILED_PRECONDITION.
    std::shared_ptr<const indexer::Pseudonymizer> pseudonymizer;
    QuotaLimiter::Limits quotas;
    // Where structured log lines go (service/observability/access_log.h); null: nowhere.
    std::ostream* log = nullptr;
    std::shared_ptr<const engine::ReferenceData> reference_data;
    // Engine worker threads; 0: one per hardware thread.
    int search_threads = 0;
    // Days since 1970-01-01; tests fix it, production uses the clock.
    std::function<int64_t()> today = TodayFromSystemClock;
  };

  // Errors: those of SearcherPool::Start and Store::Open; Unavailable if the address cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(Options options);
  ~Server();

  // The bound port.
  int port() const { return port_; }
  // A channel to this server's services without a socket, for the HTTP gateway: its calls go
  // through the same authentication, checks, metrics and logs as any other.
  std::shared_ptr<grpc::Channel> InProcessChannel();
  // The key of the web app's CSRF tokens: kept in the store, so that open browser tabs keep
  // working across restarts, as their sessions do. Errors: the store's.
  absl::StatusOr<std::string> CsrfKey();
  // Calls, codes and latencies of every method, for a Prometheus scrape.
  const MetricsRegistry& metrics() const { return *metrics_; }
  // Stops the server, waiting at most `grace` for calls in flight.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // Blocks until Shutdown() has completed.
  void Wait();

 private:
  Server() = default;

  // Declared in the order they are needed: the services use what comes before them.
  std::unique_ptr<MetricsRegistry> metrics_ = std::make_unique<MetricsRegistry>();
  std::unique_ptr<StructuredLog> log_;
  // Protobuf's own log lines go into log_ while the server lives.
  std::unique_ptr<ProtobufLogRoute> protobuf_log_route_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<QuotaLimiter> quotas_;
  ServiceEnvironment environment_;
  std::unique_ptr<engine::SearcherPool> pool_;
  std::unique_ptr<CandidateSearchService> search_service_;
  std::unique_ptr<SessionService> session_service_;
  std::unique_ptr<ContactRequestService> contact_request_service_;
  std::unique_ptr<SavedProfileService> saved_profile_service_;
  std::unique_ptr<ShortlistService> shortlist_service_;
  std::unique_ptr<IdentityService> identity_service_;
  std::unique_ptr<ProfileImportService> profile_import_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  int port_ = 0;
  std::once_flag shutdown_once_;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_SERVER_H_
