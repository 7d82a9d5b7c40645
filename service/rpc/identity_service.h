#ifndef VERKENNER_SERVICE_RPC_IDENTITY_SERVICE_H_
#define VERKENNER_SERVICE_RPC_IDENTITY_SERVICE_H_

#include <memory>
#include <mutex>
#include <string>

#include "indexer/identity_vault.h"
#include "service/rpc/environment.h"
#include "service/rpc/unary_call.h"
#include "service/store/records.h"
#include "verkenner/v1/identity.grpc.pb.h"

namespace verkenner::service {

// verkenner.v1.IdentityService: the only way back from a pseudonym to a person, for the WSP
// account manager who holds a contact request of the own region. Every call that gets past
// authentication writes an audit row (account, request, pseudonym, purpose, outcome) and answers
// only after that row has committed, also when it refuses.
//
// Thread-safe. Opens the vault read-only on first use, and again when its connection was lost;
// the importer may write it meanwhile (SQLite WAL; PostgreSQL MVCC). Does not own the
// environment.
class IdentityService final : public v1::IdentityService::CallbackService {
 public:
  IdentityService(const ServiceEnvironment* environment, std::string vault_path);

  grpc::ServerUnaryReactor* ResolveIdentity(grpc::CallbackServerContext* context,
                                            const v1::ResolveIdentityRequest* request,
                                            v1::ResolveIdentityResponse* response) override;

 private:
  // The vault's entry for `profile_id`: nullopt when it holds none.
  absl::StatusOr<std::optional<indexer::VaultEntry>> Lookup(const std::string& profile_id);
  // OK when `caller` holds the contact request of `request` in the own region and states a
  // purpose; sets `profile_id` as soon as the request is found, so the audit names it.
  absl::Status CheckHolder(const Caller& caller, const v1::ResolveIdentityRequest& request,
                           std::string& profile_id);
  // The vault's link for `profile_id` into `response`.
  absl::Status FillIdentity(const std::string& profile_id, v1::ResolveIdentityResponse* response);
  // Writes `audit`, then finishes with `outcome`; nothing leaves before its row has committed.
  void AuditAndFinish(UnaryCall call, const AuditEntry& audit, const absl::Status& outcome,
                      v1::ResolveIdentityResponse* response);

  const ServiceEnvironment& environment_;
  const std::string vault_path_;
  std::mutex vault_mutex_;  // an IdentityVault is for one thread at a time
  std::unique_ptr<indexer::IdentityVault> vault_;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_IDENTITY_SERVICE_H_
