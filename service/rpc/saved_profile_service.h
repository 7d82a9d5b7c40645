#ifndef VERKENNER_SERVICE_RPC_SAVED_PROFILE_SERVICE_H_
#define VERKENNER_SERVICE_RPC_SAVED_PROFILE_SERVICE_H_

#include <functional>

#include "engine/searcher_pool.h"
#include "service/rpc/environment.h"
#include "service/rpc/unary_call.h"
#include "service/store/records.h"
#include "verkenner/v1/saved_profiles.grpc.pb.h"

namespace verkenner::service {

// verkenner.v1.SavedProfileService: an employer organisation's own list of profiles with notes.
// Entries are read from the store and shown with the profile as the index holds it now (unset
// when withdrawn), looked up on the SearcherPool; changes are acknowledged after their commit.
//
// Thread-safe. Does not own the environment or the pool.
class SavedProfileService final : public v1::SavedProfileService::CallbackService {
 public:
  static constexpr int64_t kMaxPerOrganisation = 1000;

  SavedProfileService(const ServiceEnvironment* environment, engine::SearcherPool* pool,
                      std::function<int64_t()> today);

  grpc::ServerUnaryReactor* SaveProfile(grpc::CallbackServerContext* context,
                                        const v1::SaveProfileRequest* request,
                                        v1::SaveProfileResponse* response) override;
  grpc::ServerUnaryReactor* ListSavedProfiles(grpc::CallbackServerContext* context,
                                              const v1::ListSavedProfilesRequest* request,
                                              v1::ListSavedProfilesResponse* response) override;
  grpc::ServerUnaryReactor* GetSavedProfile(grpc::CallbackServerContext* context,
                                            const v1::GetSavedProfileRequest* request,
                                            v1::GetSavedProfileResponse* response) override;
  grpc::ServerUnaryReactor* UpdateSavedProfileNote(
      grpc::CallbackServerContext* context, const v1::UpdateSavedProfileNoteRequest* request,
      v1::UpdateSavedProfileNoteResponse* response) override;
  grpc::ServerUnaryReactor* DeleteSavedProfile(grpc::CallbackServerContext* context,
                                               const v1::DeleteSavedProfileRequest* request,
                                               v1::DeleteSavedProfileResponse* response) override;

 private:
  // Fills `out` (one per record, in order) with the records and their current profiles, then
  // finishes the call. Runs the look-ups on the pool.
  void ShowAndFinish(UnaryCall call, std::vector<SavedProfileRecord> records,
                     std::vector<v1::SavedProfile*> out);
  // Stores the entry of `request` for the caller's organisation (at most kMaxPerOrganisation),
  // then finishes the call with it, or with the store's refusal (AlreadyExists, ...).
  void StoreEntry(UnaryCall call, const Caller& caller, const v1::SaveProfileRequest& request,
                  v1::SaveProfileResponse* response);

  const ServiceEnvironment& environment_;
  engine::SearcherPool* pool_;
  std::function<int64_t()> today_;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_SAVED_PROFILE_SERVICE_H_
