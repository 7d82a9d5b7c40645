#ifndef VERKENNER_SERVICE_RPC_SEARCH_SERVICE_H_
#define VERKENNER_SERVICE_RPC_SEARCH_SERVICE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/refdata/reference_data.h"
#include "engine/search_types.h"
#include "engine/searcher_pool.h"
#include "service/rpc/environment.h"
#include "service/rpc/unary_call.h"
#include "verkenner/v1/search.grpc.pb.h"

namespace verkenner::service {

// verkenner.v1.CandidateSearchService on the gRPC callback API. Each call is authenticated,
// counted against the caller's quota and validated on the gRPC thread, then handed to the
// SearcherPool; the reactor finishes from the worker thread (or, for a profile view, once its
// audit row has committed), so no gRPC thread ever waits on Xapian or the disk.
//
// Thread-safe. Does not own the environment or the pool, which must outlive the service.
class CandidateSearchService final : public v1::CandidateSearchService::CallbackService {
 public:
  // `today` returns days since 1970-01-01; injectable so tests can fix the date.
  CandidateSearchService(const ServiceEnvironment* environment, engine::SearcherPool* pool,
                         std::function<int64_t()> today);

  grpc::ServerUnaryReactor* SearchCandidates(grpc::CallbackServerContext* context,
                                             const v1::SearchCandidatesRequest* request,
                                             v1::SearchCandidatesResponse* response) override;
  grpc::ServerUnaryReactor* GetProfile(grpc::CallbackServerContext* context,
                                       const v1::GetProfileRequest* request,
                                       v1::GetProfileResponse* response) override;

 private:
  // Takes one `kind` from the quotas of `account` (and its organisation), then runs `then`; or
  // finishes the call: RESOURCE_EXHAUSTED with retry-after, or UNAVAILABLE. Called once the
  // request is valid: a call that fails validation uses no quota.
  void TakeQuota(UnaryCall call, const AccountRecord& account, QuotaLimiter::Kind kind,
                 std::function<void()> then);
  // The search, on the engine pool; finishes the call. `token_binding` goes before the engine's
  // next page token (PageTokenBinding in the .cc).
  void RunSearch(UnaryCall call, const engine::SearchQuery& query, const std::string& token_binding,
                 v1::SearchCandidatesResponse* response);
  // Profile `id` for `account_id`, audited, on the engine pool; finishes the call.
  void ShowProfile(UnaryCall call, const std::string& account_id, const std::string& id,
                   v1::GetProfileResponse* response);

  const ServiceEnvironment& environment_;
  std::shared_ptr<const engine::ReferenceData> reference_data_;
  engine::SearcherPool* pool_;
  std::function<int64_t()> today_;
};

// Checks a request and translates it into the engine's query. Errors are InvalidArgument naming
// the field, e.g. "vacancy.workplace.postcode: not a Dutch postcode".
absl::StatusOr<engine::SearchQuery> ToEngineQuery(const v1::SearchCandidatesRequest& request,
                                                  const engine::ReferenceData& reference_data);

// The anonymous profile of a match as the API shows it: the shown profile (indexer::ShownProfile)
// with the area disclosure control allows. Internal when the index names codes the reference
// data does not know (an index built with other reference data).
absl::Status FillProfile(const engine::CandidateMatch& match,
                         const engine::ReferenceData& reference_data,
                         v1::AnonymousProfile* profile);

// Profile `profile_id` as the index holds it on `today` and the API shows it (FillProfile);
// nullopt when it is withdrawn or ended, for the lists that keep such an entry with its note.
// Any other error comes back: index trouble must not pass for a withdrawal.
absl::StatusOr<std::optional<v1::AnonymousProfile>> CurrentProfile(
    engine::Searcher& searcher, const engine::ReferenceData& reference_data,
    const std::string& profile_id, int64_t today);

// Days since 1970-01-01 by the system clock (UTC).
int64_t TodayFromSystemClock();

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_SEARCH_SERVICE_H_
