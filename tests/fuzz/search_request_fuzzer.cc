// libFuzzer target for the search request validation: the input is the bytes of a gRPC request
// to CandidateSearchService.SearchCandidates; what parses as a v1::SearchCandidatesRequest goes
// through ToEngineQuery (service/rpc/search_service.h), the function the handler uses to check
// it and turn it into an engine::SearchQuery, with the reference data loaded once. Besides
// crashes and sanitizer reports, it traps when one of these breaks:
//
//   1. An error is InvalidArgument, and its message starts with "<field>: " where <field> is a
//      field path of the request ("vacancy.workplace.postcode").
//   2. No error message repeats input bytes (tests/fuzz/echo_check.h), with the request's proto
//      names and the string literals of the validation's sources as owned text.
//   3. An accepted request is bounded as the engine expects: text at most 1,000 bytes, page size
//      1..100, at most 20 occupations and affinities, affinities and facet filter values that the
//      engine knows (engine/affinities.h, engine::IsFacetValue).
//
// The seed corpus, corpus/search_request/, holds serialized requests: empty, a typical vacancy,
// every facet, an alias affinity, and requests each just past one limit.

#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/affinities.h"
#include "engine/candidate_index.h"
#include "engine/refdata/reference_data.h"
#include "service/rpc/search_service.h"
#include "tests/fuzz/echo_check.h"
#include "verkenner/v1/search.pb.h"

namespace verkenner::service {
namespace {

constexpr char kTarget[] = "search_request_fuzzer";

[[noreturn]] void Fail(std::string_view what, std::string_view detail) {
  fuzz::Fail(kTarget, what, detail);
}

struct FuzzContext {
  std::shared_ptr<const engine::ReferenceData> reference_data;
  std::unique_ptr<fuzz::EchoCheck> echo_check;
  std::vector<std::string> field_paths;
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
  std::vector<std::string> owned;
  fuzz::AddProtoNames(v1::SearchCandidatesRequest::descriptor(), &owned);
  built->echo_check = std::make_unique<fuzz::EchoCheck>(
      kTarget, owned,
      std::vector<std::string>{"service/rpc/search_service.cc", "service/rpc/environment.cc"});
  built->field_paths = fuzz::FieldPaths(v1::SearchCandidatesRequest::descriptor());
  // Protobuf logs every string that is not UTF-8 (the server routes that into its JSON log, see
  // service/observability/access_log.h); here it would only slow the fuzzer down.
  google::protobuf::SetLogHandler(nullptr);
  context = built;
}

// Invariant 3.
void CheckQuery(const engine::SearchQuery& query) {
  if (query.text.size() > 1000) Fail("accepted a vacancy text over 1,000 bytes", "");
  if (query.page_size < 1 || query.page_size > 100) Fail("accepted a page size out of 1..100", "");
  if (query.esco_codes.size() > 20) Fail("accepted more than 20 occupations", "");
  if (query.affinities.size() > 20) Fail("accepted more than 20 affinities", "");
  for (const std::string& affinity : query.affinities) {
    const std::optional<std::string_view> code = engine::CanonicalAffinity(affinity);
    if (!code.has_value() || !fuzz::BytesEqual(*code, affinity)) {
      Fail("an affinity that is not a code reached the engine", affinity);
    }
  }
  for (const engine::FacetFilter& filter : query.facet_filters) {
    for (const std::string& value : filter.values) {
      if (!engine::IsFacetValue(filter.facet, value, *context->reference_data)) {
        Fail("a facet filter value the engine does not know reached it", value);
      }
    }
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
  verkenner::v1::SearchCandidatesRequest request;
  // What does not parse never reaches a handler (gRPC answers it, see status_mapping.h).
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<verkenner::engine::SearchQuery> query =
      ToEngineQuery(request, *context->reference_data);
  if (query.ok()) {
    CheckQuery(*query);
    return 0;
  }
  const std::string_view message = verkenner::fuzz::View(query.status().message());
  if (query.status().code() != absl::StatusCode::kInvalidArgument) {
    Fail("an error that is not InvalidArgument", message);
  }
  if (!verkenner::fuzz::NamesAField(message, context->field_paths)) {
    Fail("an error that does not start with a field of the request", message);
  }
  context->echo_check->Check(message, input, {}, "ToEngineQuery");
  return 0;
}
