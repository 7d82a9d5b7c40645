#include "service/server.h"

#include <google/protobuf/descriptor.h>
#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "base/host_port.h"
#include "engine/index_layout.h"
#include "service/rpc/status_mapping.h"
#include "service/store/records.h"

namespace verkenner::service {
namespace {
// Bounds what one request may make the server read.
constexpr int kMaxReceiveMessageBytes = 4 << 20;
// How often a stopping server looks whether calls are still in flight.
constexpr std::chrono::milliseconds kIdleCheckInterval{10};
}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(Options options) {
  std::unique_ptr<Server> server(new Server());
  // What the services share (store, authentication, quotas), then the services on the index,
  // then the gRPC server that carries them.
  absl::Status started = server->OpenEnvironment(options);
  if (started.ok()) started = server->StartServices(options);
  if (started.ok()) started = server->Listen(options);
  if (!started.ok()) return started;
  return server;
}

absl::Status Server::OpenEnvironment(const Options& options) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(options.store_path);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  IndexWriterLease::Options lease_options;
  lease_options.index_directory = options.index_path;
  lease_options.term = options.writer_lease_term;
  if (options.publication_fetch != nullptr) {
    // An instance that awaits its first index (SearcherPool::Options::await_index) never
    // becomes the writer of an empty one. One that holds an index may, also while it serves
    // nothing because its state was never published: as the writer it serves that state.
    lease_options.may_claim = [index = options.index_path] {
      return engine::ReadIndexLayout(index).ok();
    };
  }
  writer_lease_ = std::make_unique<IndexWriterLease>(store_.get(), lease_options);
  if (options.publication_fetch != nullptr) {
    IndexReplication::Options replication;
    replication.index_path = options.index_path;
    replication.reference_data = options.reference_data;
    replication.lease = writer_lease_.get();
    replication.metrics = metrics_.get();
    replication.fetch = options.publication_fetch;
    replication.interval = options.follow_interval;
    replication_ = std::make_unique<IndexReplication>(std::move(replication));
    max_index_lag_ = options.max_index_lag;
  }
  authenticator_ = std::make_unique<Authenticator>(store_.get());
  quotas_ = std::make_unique<QuotaLimiter>(options.quotas, store_.get());
  environment_.store = store_.get();
  environment_.authenticator = authenticator_.get();
  environment_.quotas = quotas_.get();
  environment_.reference_data = options.reference_data;
  environment_.trusted_proxies = options.trusted_proxies;
  absl::StatusOr<std::shared_ptr<ProfileAnnotationsCache>> annotations =
      ProfileAnnotationsCache::Load(*store_);
  if (!annotations.ok()) return annotations.status();
  annotations_ = std::move(*annotations);
  return absl::OkStatus();
}

absl::Status Server::StartServices(const Options& options) {
  engine::SearcherPool::Options engine_options;
  engine_options.index_path = options.index_path;
  engine_options.reference_data = options.reference_data;
  engine_options.threads = options.search_threads;
  engine_options.unknown_travel_km = options.unknown_travel_km;
  engine_options.availability_confirmation_months = options.availability_confirmation_months;
  engine_options.profile_annotations = annotations_->Source();
  engine_options.on_image = [this](const engine::CandidateIndex& image) { OnImage(image); };
  // A replica may start before it has an index: it fetches the writer's meanwhile.
  engine_options.await_index = options.publication_fetch != nullptr;
  // What a follower serves is a state the writer published: not what this instance's index
  // holds beyond it (a batch of an import it was killed in as the writer), unless it writes.
  if (engine_options.await_index) {
    engine_options.may_serve_unpublished = [this] { return writer_lease_->Held(); };
  }
  absl::StatusOr<std::unique_ptr<engine::SearcherPool>> pool =
      engine::SearcherPool::Start(engine_options);
  if (!pool.ok()) return pool.status();
  pool_ = std::move(*pool);
  search_service_ =
      std::make_unique<CandidateSearchService>(&environment_, pool_.get(), options.today);
  session_service_ = std::make_unique<SessionService>(&environment_);
  contact_request_service_ =
      std::make_unique<ContactRequestService>(&environment_, pool_.get(), options.today);
  saved_profile_service_ =
      std::make_unique<SavedProfileService>(&environment_, pool_.get(), options.today);
  shortlist_service_ =
      std::make_unique<ShortlistService>(&environment_, pool_.get(), options.today);
  identity_service_ = std::make_unique<IdentityService>(&environment_, options.vault_path);
  ProfileImportService::Options import_options;
  import_options.index_path = options.index_path;
  import_options.vault_path = options.vault_path;
  import_options.pseudonymizer = options.pseudonymizer;
  import_options.today = options.today;
  import_options.pool = pool_.get();
  import_options.limits = options.imports;
  import_options.retention = options.retention;
  import_options.disclosure_k = options.disclosure_k;
  import_options.writer_lease = writer_lease_.get();
  import_options.replication = replication_.get();
  import_options.upkeep_interval = options.upkeep_interval;
  import_options.upkeep_compacts = options.upkeep_compacts;
  import_options.on_upkeep = [this](const auto& outcome) { OnUpkeep(outcome); };
  profile_import_service_ =
      std::make_unique<ProfileImportService>(&environment_, std::move(import_options));
  CandidateRightsService::Options rights_options;
  rights_options.pool = pool_.get();
  rights_options.pseudonymizer = options.pseudonymizer;
  rights_options.today = options.today;
  candidate_rights_service_ =
      std::make_unique<CandidateRightsService>(&environment_, std::move(rights_options));
  return absl::OkStatus();
}

void Server::RegisterServices(grpc::ServerBuilder& builder) {
  const std::pair<grpc::Service*, const char*> services[] = {
      {search_service_.get(), v1::CandidateSearchService::service_full_name()},
      {session_service_.get(), v1::SessionService::service_full_name()},
      {contact_request_service_.get(), v1::ContactRequestService::service_full_name()},
      {saved_profile_service_.get(), v1::SavedProfileService::service_full_name()},
      {shortlist_service_.get(), v1::ShortlistService::service_full_name()},
      {identity_service_.get(), v1::IdentityService::service_full_name()},
      {profile_import_service_.get(), v1::ProfileImportService::service_full_name()},
      {candidate_rights_service_.get(), v1::CandidateRightsService::service_full_name()},
  };
  for (const auto& [service, name] : services) {
    builder.RegisterService(service);
    // Only registered methods get series of their own (and are logged by name); calls to
    // made-up names share the "unknown" series.
    const google::protobuf::ServiceDescriptor* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    for (int i = 0; descriptor != nullptr && i < descriptor->method_count(); ++i) {
      (void)metrics_->RegisterMethod(
          absl::StrCat("/", descriptor->full_name(), "/", descriptor->method(i)->name()));
    }
  }
  // gRPC's own services: health checks and reflection count under their names too.
  for (const char* method : {"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch",
                             "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"}) {
    (void)metrics_->RegisterMethod(method);
  }
}

void Server::InstallInterceptors(grpc::ServerBuilder& builder, std::ostream* log) {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  // First, so that metrics and the log see the status it corrects.
  interceptors.push_back(std::make_unique<MalformedRequestInterceptorFactory>());
  interceptors.push_back(std::make_unique<MetricsInterceptorFactory>(metrics_.get()));
  if (log != nullptr) {
    log_ = std::make_unique<StructuredLog>(log);
    protobuf_log_route_ = std::make_unique<ProtobufLogRoute>(log_.get());
    interceptors.push_back(std::make_unique<AccessLogInterceptorFactory>(
        log_.get(), [metrics = metrics_.get()](std::string_view method) {
          return metrics->IsRegistered(method);
        }));
  }
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
}

namespace {

std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const Server::Options& options) {
  if (!options.tls.has_value()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions tls(
      options.tls->client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                     : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.pem_root_certs = options.tls->client_ca;
  tls.pem_key_cert_pairs.push_back({options.tls->private_key, options.tls->certificate_chain});
  return grpc::SslServerCredentials(tls);
}

}  // namespace

absl::Status Server::Listen(const Options& options) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address, ServerCredentials(options), &port_);
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  // gRPC sets SO_REUSEPORT by default, which lets a second server bind a port in use and take
  // half its connections (each with its own throttles and quotas): one server per port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  RegisterServices(builder);
  InstallInterceptors(builder, options.log);
  std::unique_ptr<grpc::Server> built = builder.BuildAndStart();
  {
    std::lock_guard<std::mutex> lock(served_mutex_);  // ReportHealth reads it from the pool
    grpc_server_ = std::move(built);
  }
  if (grpc_server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", options.listen_address,
                     ": address already in use, or not one of this machine"));
  }
  ReportHealth();
  // Only now is the address known that imports are sent to. A store that does not answer yet
  // does not stop the server: the lease's thread keeps claiming.
  (void)writer_lease_->Start(AdvertisedAddress(options));
  return absl::OkStatus();
}

std::string Server::AdvertisedAddress(const Options& options) const {
  if (!options.advertise_address.empty()) return options.advertise_address;
  return base::ReachableAddress(options.listen_address, static_cast<uint16_t>(port_));
}

void Server::OnImage(const engine::CandidateIndex& image) {
  {
    std::lock_guard<std::mutex> lock(served_mutex_);
    served_state_ = image.state();
  }
  const engine::CandidateIndex::LoadStats& stats = image.load_stats();
  const std::optional<engine::IndexState> state = engine::ParseIndexState(image.state());
  (void)metrics_->SetGauge("verkenner_index_generation", "the index generation searches use",
                           state.has_value() ? state->generation : 0);
  (void)metrics_->SetGauge("verkenner_index_profiles", "searchable profiles in the served image",
                           static_cast<double>(stats.documents));
  (void)metrics_->SetGauge("verkenner_index_image_changes",
                           "documents the served image holds as changes since its last full load",
                           static_cast<double>(stats.changed_since_load));
  (void)metrics_->SetGauge("verkenner_index_image_seconds",
                           "how long the served image took to load or update", stats.seconds);
  (void)metrics_->SetGauge("verkenner_index_image_time_seconds",
                           "when searches started to use the served image (Unix time)",
                           absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  ReportHealth();
}

void Server::ReportHealth() {
  std::lock_guard<std::mutex> lock(served_mutex_);
  // The image may come before the gRPC server exists; Listen reports it then.
  if (grpc_server_ == nullptr || grpc_server_->GetHealthCheckService() == nullptr) return;
  grpc_server_->GetHealthCheckService()->SetServingStatus(!served_state_.empty());
}

std::string Server::ServedState() const {
  std::lock_guard<std::mutex> lock(served_mutex_);
  return served_state_;
}

void Server::OnUpkeep(const absl::StatusOr<std::optional<indexer::ImportJob::Upkeep>>& outcome) {
  if (outcome.ok() && !outcome->has_value()) return;  // not the writer: nothing was done
  if (!outcome.ok()) {
    // The code only: an error message of the index or the vault could name files.
    if (log_ != nullptr) {
      log_->Write(
          "warning", "upkeep_failed",
          {absl::StrCat("\"code\":",
                        StructuredLog::Quote(absl::StatusCodeToString(outcome.status().code())))});
    }
    return;
  }
  const indexer::ImportJob::Upkeep& upkeep = **outcome;
  const int64_t purged = upkeep.expired_purged.value_or(0);
  if (log_ != nullptr) {
    log_->Write("info", "upkeep",
                {absl::StrCat("\"expired_purged\":", purged),
                 absl::StrCat("\"compacted\":", upkeep.compaction.has_value() ? "true" : "false")});
  }
  (void)metrics_->SetGauge("verkenner_index_upkeep_time_seconds",
                           "when the last scheduled upkeep of the index succeeded (Unix time)",
                           absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  (void)metrics_->SetGauge("verkenner_index_upkeep_expired_purged",
                           "profiles whose retention ended that the last scheduled upkeep purged",
                           static_cast<double>(purged));
}

std::string Server::MetricsText() {
  const bool writer = writer_lease_->Held();
  (void)metrics_->SetGauge("verkenner_index_writer",
                           "1 while this instance holds the index writer's lease", writer ? 1 : 0);
  (void)metrics_->SetGauge("verkenner_index_writer_epoch",
                           "the epoch of the writer's lease this instance last held (0: never)",
                           static_cast<double>(writer_lease_->epoch()));
  if (replication_ != nullptr) {
    (void)metrics_->SetGauge(
        "verkenner_index_publication_lag_seconds",
        "how long the oldest publication of the writer's this instance lacks has waited (0: none)",
        absl::ToDoubleSeconds(replication_->Lag()));
  }
  return metrics_->PrometheusText();
}

Server::~Server() { Shutdown(); }

void Server::StartReplication(const std::string& publication_address) {
  if (replication_ != nullptr) replication_->Start(publication_address, log_.get());
}

absl::StatusOr<std::string> Server::PublishedFile(const std::string& name) const {
  if (replication_ == nullptr) return absl::NotFoundError("this instance publishes no index");
  return replication_->PublishedFile(name);
}

std::shared_ptr<grpc::Channel> Server::InProcessChannel() {
  grpc::ChannelArguments arguments;
  return grpc_server_->InProcessChannel(arguments);
}

absl::StatusOr<std::string> Server::CsrfKey() {
  std::string key;
  absl::Status status = store_->WriteAndWait([&key](sql::Connection& db) {
    absl::StatusOr<std::string> secret = ServerSecret(db, "web_csrf_key");
    if (!secret.ok()) return secret.status();
    key = std::move(*secret);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return key;
}

void Server::Shutdown(std::chrono::milliseconds grace) {
  std::call_once(shutdown_once_, [&] {
    if (grpc_server_ != nullptr) StopGrpc(std::chrono::system_clock::now() + grace);
    // At once another instance may take over the imports (after the calls here ended).
    if (writer_lease_ != nullptr) writer_lease_->Stop();
    replication_.reset();  // a round under way finishes
    // In-flight searches finish in the pool before its workers are joined; then the store
    // commits what it accepted.
    pool_.reset();
    store_.reset();
  });
}

void Server::StopGrpc(std::chrono::system_clock::time_point deadline) {
  // gRPC's Shutdown waits until every call has ended and every connection has closed, so a
  // client that keeps an idle channel open would hold the stop until the deadline. Once no call
  // is in flight, the connections are closed (there is no call left to cancel).
  std::mutex mutex;
  std::condition_variable stopped;
  bool done = false;
  std::thread idle_closer([&] {
    std::unique_lock<std::mutex> lock(mutex);
    while (!stopped.wait_until(
        lock, std::min(deadline, std::chrono::system_clock::now() + kIdleCheckInterval),
        [&] { return done; })) {
      if (metrics_->InFlightCalls() == 0) {
        grpc_server_cancel_all_calls(grpc_server_->c_server());
      }
      if (std::chrono::system_clock::now() >= deadline) break;
    }
  });
  grpc_server_->Shutdown(deadline);
  {
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
  }
  stopped.notify_all();
  idle_closer.join();
}

void Server::Wait() {
  if (grpc_server_ != nullptr) grpc_server_->Wait();
}

absl::Status Server::CheckReady() {
  if (ServedState().empty()) return absl::UnavailableError("the search index is still loading");
  if (replication_ != nullptr && max_index_lag_ > absl::ZeroDuration()) {
    if (const absl::Duration lag = replication_->Lag(); lag > max_index_lag_) {
      return absl::UnavailableError(
          absl::StrCat("the search index lags the writer's by ", absl::FormatDuration(lag),
                       ", more than --max_index_lag ", absl::FormatDuration(max_index_lag_)));
    }
  }
  return store_->Read([](sql::Connection& db) { return db.QueryInteger("SELECT 1").status(); });
}

}  // namespace verkenner::service
