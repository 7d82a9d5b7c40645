#include "service/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"

namespace verkenner::service {
namespace {
// Bounds what one request may make the server read.
constexpr int kMaxReceiveMessageBytes = 4 << 20;
}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(Options options) {
  std::unique_ptr<Server> server(new Server());
  absl::StatusOr<std::unique_ptr<engine::SearcherPool>> pool = engine::SearcherPool::Start(
      {options.index_path, options.reference_data, options.search_threads});
  if (!pool.ok()) return pool.status();
  server->pool_ = std::move(*pool);
  server->search_service_ = std::make_unique<CandidateSearchService>(
      options.reference_data, server->pool_.get(), options.today);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(),
                           &server->port_);
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  builder.RegisterService(server->search_service_.get());
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address, " (address in use?)"));
  }
  return server;
}

Server::~Server() { Shutdown(); }

void Server::Shutdown(std::chrono::milliseconds grace) {
  std::call_once(shutdown_once_, [&] {
    if (grpc_server_ != nullptr) {
      grpc_server_->Shutdown(std::chrono::system_clock::now() + grace);
    }
    // In-flight searches finish in the pool before its workers are joined.
    pool_.reset();
  });
}

void Server::Wait() {
  if (grpc_server_ != nullptr) grpc_server_->Wait();
}

}  // namespace verkenner::service
