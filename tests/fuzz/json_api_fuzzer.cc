// libFuzzer target for the JSON API: the input is one call as the web app makes it, the method
// ("CandidateSearchService/SearchCandidates") on the first line and the JSON body after it. The
// body becomes the method's request message through RequestFromJson (service/http/api_gateway.h),
// the function ApiGateway uses for every call, and the message then goes through
// ValidateRequest (service/rpc/request_validation.h), the handlers' own checks, with the
// reference data loaded once. Besides crashes and sanitizer reports, it traps when one of these
// breaks:
//
//   1. RequestFromJson fails only with NotFound (no such unary method) or InvalidArgument whose
//      message starts with "body: "; ValidateRequest only with InvalidArgument whose message
//      starts with "<field>: " for a field path of the request type.
//   2. No error message repeats input bytes (tests/fuzz/echo_check.h), with the API's proto names
//      and the string literals of the gateway's and the validation's sources as owned text.
//   3. A body that parsed, written back in protobuf's JSON mapping (as the gateway writes its
//      answers), parses to the same message.
//
// The seed corpus, corpus/json_api/, holds a call of every unary method with a typical body
// (the web app's requests), plus bodies with unknown enum names and numbers, wrong types and
// unknown fields.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/refdata/reference_data.h"
#include "service/http/api_gateway.h"
#include "service/rpc/request_validation.h"
#include "tests/fuzz/echo_check.h"
#include "verkenner/v1/contact_requests.pb.h"
#include "verkenner/v1/identity.pb.h"
#include "verkenner/v1/profile_import.pb.h"
#include "verkenner/v1/saved_profiles.pb.h"
#include "verkenner/v1/search.pb.h"
#include "verkenner/v1/sessions.pb.h"
#include "verkenner/v1/shortlists.pb.h"

namespace verkenner::service {
namespace {

constexpr char kTarget[] = "json_api_fuzzer";

// The services of the JSON API.
constexpr const char* kServices[] = {
    "verkenner.v1.CandidateSearchService", "verkenner.v1.SessionService",
    "verkenner.v1.ContactRequestService",  "verkenner.v1.SavedProfileService",
    "verkenner.v1.ShortlistService",       "verkenner.v1.IdentityService",
    "verkenner.v1.ProfileImportService",
};

// The sources whose string literals may appear in the messages checked here.
constexpr const char* kMessageSources[] = {
    "service/http/api_gateway.cc",      "service/rpc/environment.cc",
    "service/rpc/search_service.cc",    "service/rpc/contact_request_service.cc",
    "service/rpc/shortlist_service.cc", "service/rpc/request_validation.cc",
};

[[noreturn]] void Fail(std::string_view what, std::string_view detail) {
  fuzz::Fail(kTarget, what, detail);
}

struct FuzzContext {
  std::shared_ptr<const engine::ReferenceData> reference_data;
  std::unique_ptr<fuzz::EchoCheck> echo_check;
  // Field paths by request type.
  std::map<const google::protobuf::Descriptor*, std::vector<std::string>> field_paths;
};

const FuzzContext* context = nullptr;

void Initialize() {
  auto* built = new FuzzContext();
  absl::StatusOr<std::shared_ptr<const engine::ReferenceData>> reference_data =
      engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
  if (!reference_data.ok()) {
    std::fprintf(stderr, "%s: cannot load reference data from %s\n", kTarget,
                 engine::ReferenceData::DefaultDirectory().c_str());
    std::exit(1);
  }
  built->reference_data = *std::move(reference_data);
  // The generated pool knows a proto file once its code is linked in; a static library gives
  // the fuzzer only the objects it uses, so use one message of every file of the API.
  for (const google::protobuf::Descriptor* linked :
       {v1::SearchCandidatesRequest::descriptor(), v1::CreateSessionRequest::descriptor(),
        v1::CreateContactRequestRequest::descriptor(), v1::SaveProfileRequest::descriptor(),
        v1::CreateShortlistRequest::descriptor(), v1::ResolveIdentityRequest::descriptor(),
        v1::GetImportRequest::descriptor()}) {
    if (linked == nullptr) Fail("a proto file of the API has no descriptor", "");
  }
  std::vector<std::string> owned;
  for (const char* name : kServices) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    if (service == nullptr) Fail("a service of the API is not linked in", name);
    owned.push_back(service->name());
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::Descriptor* input = service->method(i)->input_type();
      owned.push_back(service->method(i)->name());
      fuzz::AddProtoNames(input, &owned);
      built->field_paths[input] = fuzz::FieldPaths(input);
    }
  }
  built->echo_check = std::make_unique<fuzz::EchoCheck>(
      kTarget, owned,
      std::vector<std::string>(std::begin(kMessageSources), std::end(kMessageSources)));
  context = built;
}

void CheckError(const absl::Status& status, std::string_view input, std::string_view where) {
  context->echo_check->Check(fuzz::View(status.message()), input, {}, where);
}

// Invariant 3.
void CheckJsonRoundTrip(const std::string& full_method, const google::protobuf::Message& request) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(request, &json).ok()) {
    Fail("a parsed request cannot be written as JSON", request.GetDescriptor()->full_name());
  }
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> again =
      RequestFromJson(full_method, json);
  if (!again.ok()) Fail("RequestFromJson refuses its own output", json);
  if (!google::protobuf::util::MessageDifferencer::Equals(request, **again)) {
    Fail("JSON -> message -> JSON -> message changed the message", json);
  }
}

}  // namespace
}  // namespace verkenner::service

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  verkenner::service::Initialize();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace verkenner::service;  // NOLINT: the target's own namespace
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const std::string full_method = "/verkenner.v1." + std::string(input.substr(0, newline));
  const std::string body(input.substr(newline + 1));

  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> request =
      RequestFromJson(full_method, body);
  if (!request.ok()) {
    const std::string_view message = verkenner::fuzz::View(request.status().message());
    if (request.status().code() == absl::StatusCode::kNotFound) return 0;
    if (request.status().code() != absl::StatusCode::kInvalidArgument ||
        message.substr(0, 6) != "body: ") {
      Fail("RequestFromJson: an error other than NotFound or InvalidArgument \"body: ...\"",
           message);
    }
    CheckError(request.status(), input, "RequestFromJson");
    return 0;
  }
  CheckJsonRoundTrip(full_method, **request);

  const absl::Status valid = ValidateRequest(**request, *context->reference_data);
  if (valid.ok()) return 0;
  const std::string_view message = verkenner::fuzz::View(valid.message());
  if (valid.code() != absl::StatusCode::kInvalidArgument) {
    Fail("ValidateRequest: an error that is not InvalidArgument", message);
  }
  if (!verkenner::fuzz::NamesAField(message,
                                    context->field_paths.at((*request)->GetDescriptor()))) {
    Fail("ValidateRequest: an error that does not start with a field of the request", message);
  }
  CheckError(valid, input, "ValidateRequest");
  return 0;
}
