#ifndef VERKENNER_SERVICE_RPC_CONTACT_REQUEST_SERVICE_H_
#define VERKENNER_SERVICE_RPC_CONTACT_REQUEST_SERVICE_H_

#include <functional>

#include "engine/searcher_pool.h"
#include "service/rpc/environment.h"
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
  // Runs `change` on the stored request `name` inside one write, after checking that `caller`
  // may see it (else NotFound), audits it as `action`, then finishes the call showing the result
  // in `out`. With an `idempotency_key`, a retry (same key and `content_hash`) changes nothing
  // and shows the request as it stands.
  using Change = std::function<absl::Status(StoredContactRequest&, int64_t now_micros)>;
  void ChangeRequest(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                     const Caller& caller, const std::string& name, const std::string& action,
                     const std::string& idempotency_key, const std::string& content_hash,
                     Change change, v1::ContactRequest* out);
  // The request as `caller` may see it, with its due time and overdue flag as of now.
  void Present(const StoredContactRequest& stored, const Caller& caller,
               v1::ContactRequest* out) const;
  // Lists the caller's organisation's requests or its region's queue: `filter` picks by the
  // summary (with whether it is overdue now), then only the page's requests are read whole.
  using Filter = std::function<bool(const ContactRequestSummary&, bool overdue)>;
  void ListFor(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
               const Caller& caller, bool region_queue, Filter filter, bool newest_first,
               int32_t page_size, const std::string& page_token, const std::string& filter_key,
               google::protobuf::RepeatedPtrField<v1::ContactRequest>* out,
               std::string* next_page_token, std::function<void(int32_t)> set_total_size);

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
