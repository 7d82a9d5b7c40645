// verkenner-search: a small command-line client of CandidateSearchService, for demos and
// operators checking a running server.
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "verkenner/v1/search.grpc.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "host:port of verkenner-server");
ABSL_FLAG(std::string, text, "", "vacancy text: job title and tasks");
ABSL_FLAG(std::string, occupation, "", "ESCO occupation code or label");
ABSL_FLAG(std::string, postcode, "", "workplace postcode (1234 or 1234 AB)");
ABSL_FLAG(std::string, hours, "", "hours per week offered, MIN-MAX, e.g. 16-24");
ABSL_FLAG(int, limit, 5, "results to show (1-100)");
ABSL_FLAG(std::string, token_file, "",
          "file holding an API token (verkenner-admin create-token); default: $VERKENNER_TOKEN");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Searches a running Verkenner server.\n"
      "  verkenner-search --text \"orderpicker\" --postcode 3511 --hours 16-24");
  absl::ParseCommandLine(argc, argv);

  verkenner::v1::SearchCandidatesRequest request;
  verkenner::v1::Vacancy* vacancy = request.mutable_vacancy();
  vacancy->set_text(absl::GetFlag(FLAGS_text));
  if (!absl::GetFlag(FLAGS_occupation).empty()) {
    vacancy->add_occupations(absl::GetFlag(FLAGS_occupation));
  }
  vacancy->mutable_workplace()->set_postcode(absl::GetFlag(FLAGS_postcode));
  if (const std::string hours = absl::GetFlag(FLAGS_hours); !hours.empty()) {
    std::vector<std::string> parts = absl::StrSplit(hours, '-');
    int low = 0, high = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &low) ||
        !absl::SimpleAtoi(parts[1], &high)) {
      std::cerr << "verkenner-search: --hours must look like 16-24\n";
      return 2;
    }
    vacancy->mutable_hours()->set_min_hours(low);
    vacancy->mutable_hours()->set_max_hours(high);
  }
  request.set_page_size(absl::GetFlag(FLAGS_limit));
  request.add_facets(verkenner::v1::FACET_EDUCATION_LEVEL);

  auto stub = verkenner::v1::CandidateSearchService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  // From a file or the environment, never the command line: others can read process lists.
  std::string token;
  if (const std::string file = absl::GetFlag(FLAGS_token_file); !file.empty()) {
    std::ifstream in(file);
    std::getline(in, token);
  } else if (const char* from_environment = std::getenv("VERKENNER_TOKEN")) {
    token = from_environment;
  }
  context.AddMetadata("authorization", "Bearer " + token);
  verkenner::v1::SearchCandidatesResponse response;
  grpc::Status status = stub->SearchCandidates(&context, request, &response);
  if (!status.ok()) {
    std::cerr << "verkenner-search: " << status.error_code() << " " << status.error_message()
              << "\n";
    return 1;
  }
  std::cout << response.total_size() << " kandidaten gevonden\n";
  for (const auto& match : response.matches()) {
    const auto& profile = match.profile();
    std::cout << "- " << profile.profile_id() << "  score " << static_cast<int>(match.score())
              << "  " << profile.area().name() << "  opleiding: "
              << (profile.education().label().empty() ? "onbekend" : profile.education().label())
              << "\n";
    for (const auto& reason : match.reasons()) {
      std::cout << "    " << reason.text() << " (" << static_cast<int>(reason.share() * 100)
                << "%)\n";
    }
  }
  for (const auto& facet : response.facets()) {
    std::cout << "opleidingsniveau:";
    for (const auto& value : facet.values())
      std::cout << " " << value.value() << "=" << value.count();
    std::cout << "\n";
  }
  return 0;
}
