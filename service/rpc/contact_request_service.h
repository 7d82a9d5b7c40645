#ifndef VERKENNER_SERVICE_RPC_CONTACT_REQUEST_SERVICE_H_
#define VERKENNER_SERVICE_RPC_CONTACT_REQUEST_SERVICE_H_

#include <functional>

#include "engine/searcher_pool.h"
#include "service/rpc/environment.h"
#include "service/rpc/request_validation.h"
#include "service/rpc/unary_call.h"
#include "service/store/records.h"
#include "verkenner/v1/contact_requests.grpc.pb.h"

namespace verkenner::service {

// verkenner.v1.ContactRequestService: employers send requests about anonymous profiles, the WSP
// of the profile's arbeidsmarktregio works them. Every change is one store write, acknowledged
// after its commit; retries with the same request_id change nothing (the idempotency key and the
// change commit together).
//
// Thread-safe. Does not own the environment or the pool.
class ContactRequestService final : public v1::ContactRequestService::CallbackService {
 public:
  ContactRequestService(const ServiceEnvironment* environment, engine::SearcherPool* pool,
                        std::function<int64_t()> today);

  grpc::ServerUnaryReactor* CreateContactRequest(
      grpc::CallbackServerContext* context, const v1::CreateContactRequestRequest* request,
      v1::CreateContactRequestResponse* response) override;
  grpc::ServerUnaryReactor* GetContactRequest(grpc::CallbackServerContext* context,
                                              const v1::GetContactRequestRequest* request,
                                              v1::GetContactRequestResponse* response) override;
  grpc::ServerUnaryReactor* ListContactRequests(grpc::CallbackServerContext* context,
                                                const v1::ListContactRequestsRequest* request,
                                                v1::ListContactRequestsResponse* response) override;
  grpc::ServerUnaryReactor* WithdrawContactRequest(
      grpc::CallbackServerContext* context, const v1::WithdrawContactRequestRequest* request,
      v1::WithdrawContactRequestResponse* response) override;
  grpc::ServerUnaryReactor* ListRegionContactRequests(
      grpc::CallbackServerContext* context, const v1::ListRegionContactRequestsRequest* request,
      v1::ListRegionContactRequestsResponse* response) override;
  grpc::ServerUnaryReactor* ClaimContactRequest(grpc::CallbackServerContext* context,
                                                const v1::ClaimContactRequestRequest* request,
                                                v1::ClaimContactRequestResponse* response) override;
  grpc::ServerUnaryReactor* UpdateContactRequestStatus(
      grpc::CallbackServerContext* context, const v1::UpdateContactRequestStatusRequest* request,
      v1::UpdateContactRequestStatusResponse* response) override;
  grpc::ServerUnaryReactor* AddContactRequestNote(
      grpc::CallbackServerContext* context, const v1::AddContactRequestNoteRequest* request,
      v1::AddContactRequestNoteResponse* response) override;

 private:
  // A change of a stored request, audited as `action`. With an `idempotency_key`, a retry (same
  // key and `content_hash`) changes nothing and shows the request as it stands.
  struct KeyedChange {
    std::string action;
    std::string idempotency_key;
    std::string content_hash;
    std::function<absl::Status(StoredContactRequest&, int64_t now_micros)> change;
  };
  // Runs `keyed` on the stored request `name` inside one write, after checking that `caller`
  // may see it (else NotFound), then finishes the call showing the result in `out`. Answers
  // InvalidArgument at once for a malformed name.
  Answer ChangeRequest(UnaryCall call, const Caller& caller, const std::string& name,
                       KeyedChange keyed, v1::ContactRequest* out);
  // The write of ChangeRequest: load, check, change, save, remember the key, audit.
  static absl::Status ApplyChange(sql::Connection& db, const Caller& caller, const std::string& id,
                                  const KeyedChange& keyed, int64_t now,
                                  StoredContactRequest& stored);
  // Creates the request (or finds the one a retry made) in one write and finishes the call.
  // `region_code` is empty when the profile is not (or no longer) in the index.
  void StoreNewRequest(UnaryCall call, const Caller& caller,
                       const v1::CreateContactRequestRequest& request,
                       const std::string& region_code, v1::CreateContactRequestResponse* response);
  // The request as `caller` may see it, with its due time and overdue flag as of now.
  void Present(const StoredContactRequest& stored, const Caller& caller,
               v1::ContactRequest* out) const;
  // Lists the caller's organisation's requests or its region's queue into `response` (a
  // List...ContactRequestsResponse): `filter` picks by the summary (with whether it is overdue
  // now), then only the page's requests are read whole.
  using Filter = std::function<bool(const ContactRequestSummary&, bool overdue)>;
  template <typename ListResponse>
  absl::Status ListFor(const Caller& caller, bool region_queue, const Filter& filter,
                       bool newest_first, const ListPage& page, ListResponse* response);

  const ServiceEnvironment& environment_;
  engine::SearcherPool* pool_;
  std::function<int64_t()> today_;
};

// The id in "contactRequests/<id>", or empty when `name` is not such a name.
std::string ContactRequestIdOfName(const std::string& name);

// When a request becomes overdue: `last_activity_micros` plus 5 working days (Monday to Friday,
// Europe/Amsterdam), at the same time of day.
int64_t ContactRequestDueMicros(int64_t last_activity_micros);

// The checks CreateContactRequest makes on its request before it looks at the caller's data:
// InvalidArgument naming the field.
absl::Status CheckCreateContactRequest(const v1::CreateContactRequestRequest& request,
                                       const engine::ReferenceData& reference);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_CONTACT_REQUEST_SERVICE_H_
