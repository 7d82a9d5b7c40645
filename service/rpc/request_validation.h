#ifndef VERKENNER_SERVICE_RPC_REQUEST_VALIDATION_H_
#define VERKENNER_SERVICE_RPC_REQUEST_VALIDATION_H_

#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "engine/refdata/reference_data.h"

namespace verkenner::service {

// The checks of a v1 request message on its own that the handler of its method makes before it
// looks at the caller or the store: OK, or InvalidArgument naming the field. For callers that
// have no server, such as the JSON API fuzzer (tests/fuzz/json_api_fuzzer.cc). It calls the
// handlers' own check functions (ToEngineQuery, CheckCreateContactRequest,
// CheckCreateShortlist); for every other request it is CheckEnumsKnown, which every handler
// with enum fields applies first. Checks a handler makes inline, beside its store look-ups
// (page sizes, resource names), are not covered. Thread-safe.
absl::Status ValidateRequest(const google::protobuf::Message& request,
                             const engine::ReferenceData& reference_data);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_RPC_REQUEST_VALIDATION_H_
