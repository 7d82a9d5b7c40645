#include "service/rpc/request_validation.h"

#include "service/rpc/contact_request_service.h"
#include "service/rpc/environment.h"
#include "service/rpc/search_service.h"
#include "service/rpc/shortlist_service.h"

namespace verkenner::service {

absl::Status ValidateRequest(const google::protobuf::Message& request,
                             const engine::ReferenceData& reference_data) {
  const google::protobuf::Descriptor* type = request.GetDescriptor();
  // Messages of the generated pool: the types compare by descriptor, and the casts are safe.
  if (type == v1::SearchCandidatesRequest::descriptor()) {
    return ToEngineQuery(static_cast<const v1::SearchCandidatesRequest&>(request), reference_data)
        .status();
  }
  if (type == v1::CreateContactRequestRequest::descriptor()) {
    return CheckCreateContactRequest(static_cast<const v1::CreateContactRequestRequest&>(request),
                                     reference_data);
  }
  if (type == v1::CreateShortlistRequest::descriptor()) {
    return CheckCreateShortlist(static_cast<const v1::CreateShortlistRequest&>(request));
  }
  return CheckEnumsKnown(request);
}

}  // namespace verkenner::service
