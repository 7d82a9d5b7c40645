#ifndef VERKENNER_SERVICE_RPC_CANDIDATE_RIGHTS_SERVICE_H_
#define VERKENNER_SERVICE_RPC_CANDIDATE_RIGHTS_SERVICE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "engine/searcher_pool.h"
#include "indexer/pseudonymizer.h"
#include "service/rpc/environment.h"
#include "service/rpc/unary_call.h"
#include "service/store/records.h"
#include "verkenner/v1/candidate_rights.grpc.pb.h"

namespace verkenner::service {

// verkenner.v1.CandidateRightsService: the candidate's rights over their profile, for the
// organisations acting for them. An importer acts for its own source's clients, a WSP account
// manager for candidates who live in the own arbeidsmarktregio. A candidate is named by source
// and client number; the profile id is their keyed pseudonym, so the client number is used for
// nothing else and stored nowhere.
//
// Every call that gets past authentication writes an audit row and answers only after it has
// committed, refusals included; a change and its audit row commit together.
//
// Thread-safe. Does not own the environment, the pool or the hidden profiles.
class CandidateRightsService final : public v1::CandidateRightsService::CallbackService {
 public:
  struct Options {
    engine::SearcherPool* pool = nullptr;
    // Makes profile ids of (source, client number); null: the server has no pseudonym key, and
    // every call answers FAILED_PRECONDITION.
    std::shared_ptr<const indexer::Pseudonymizer> pseudonymizer;
    std::function<int64_t()> today;  // days since 1970-01-01
  };

  CandidateRightsService(const ServiceEnvironment* environment, Options options);

  grpc::ServerUnaryReactor* GetCandidateVisibility(
      grpc::CallbackServerContext* context, const v1::GetCandidateVisibilityRequest* request,
      v1::GetCandidateVisibilityResponse* response) override;
  grpc::ServerUnaryReactor* SetCandidateVisibility(
      grpc::CallbackServerContext* context, const v1::SetCandidateVisibilityRequest* request,
      v1::SetCandidateVisibilityResponse* response) override;
  grpc::ServerUnaryReactor* ConfirmAvailability(grpc::CallbackServerContext* context,
                                                const v1::ConfirmAvailabilityRequest* request,
                                                v1::ConfirmAvailabilityResponse* response) override;
  grpc::ServerUnaryReactor* GetAccessReport(grpc::CallbackServerContext* context,
                                            const v1::GetAccessReportRequest* request,
                                            v1::GetAccessReportResponse* response) override;
  grpc::ServerUnaryReactor* ExportAccessReport(grpc::CallbackServerContext* context,
                                               const v1::ExportAccessReportRequest* request,
                                               v1::ExportAccessReportResponse* response) override;

 private:
  // The profile id of `candidate`, when the key is well formed and the caller may ask about
  // the source: InvalidArgument naming the field, PermissionDenied for another source's client.
  absl::StatusOr<std::string> ProfileIdOf(const Caller& caller, const v1::CandidateKey& candidate);
  // ProfileIdOf, after which `text` (a reason or purpose, named `field`) must hold 10 to 500
  // characters.
  absl::StatusOr<std::string> ProfileIdWithText(const Caller& caller,
                                                const v1::CandidateKey& candidate,
                                                std::string_view field, const std::string& text);
  // On a pool thread: the candidate's current profile, hidden or not, when the caller acts for
  // it; NotFound when there is none or (WSP) it lives in another region.
  absl::StatusOr<engine::CandidateMatch> FindFor(engine::Searcher& searcher, const Caller& caller,
                                                 const std::string& profile_id);
  // After the look-up of `profile_id`: the visibility into `out`, the audit row written in the
  // same transaction as `change` (null: nothing to change), then the call finished.
  void WriteAndFinish(UnaryCall call, AuditEntry audit,
                      std::function<absl::Status(sql::Connection&)> change,
                      const engine::CandidateMatch& match, v1::CandidateVisibility* out);
  // The access report of `candidate` for `caller`, audited as `action` with `purpose` in the
  // same write that reads it; `fill` gets the profile id and the entries, then the call
  // finishes.
  using ReportFill =
      std::function<void(const std::string& profile_id, std::vector<v1::AccessReportEntry>)>;
  void AnswerAccessReport(UnaryCall call, const Caller& caller, const v1::CandidateKey& candidate,
                          const std::string& purpose, const char* action, ReportFill fill);
  // A refusal: its audit row, then the call finished with `outcome`.
  void RefuseAndFinish(UnaryCall call, AuditEntry audit, const absl::Status& outcome);
  AuditEntry AuditOf(const Caller& caller, std::string action, std::string reason) const;

  const ServiceEnvironment& environment_;
  const Options options_;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_CANDIDATE_RIGHTS_SERVICE_H_
