// verkenner-search: a small command-line client of CandidateSearchService, for demos and
// operators checking a running server.
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "base/command_line/command_line.h"
#include "verkenner/v1/search.grpc.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "host:port of verkenner-server");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA certificates to verify the server's TLS certificate with (a server with "
          "--tls_cert); empty: plain TCP");
ABSL_FLAG(std::string, text, "", "vacancy text: job title and tasks");
ABSL_FLAG(std::string, occupation, "", "ESCO occupation code or label");
ABSL_FLAG(std::string, postcode, "", "workplace postcode (1234 or 1234 AB)");
ABSL_FLAG(std::string, hours, "", "hours per week offered, MIN-MAX, e.g. 16-24 (default: any)");
ABSL_FLAG(int, limit, 5, "results to show, from 1 to 100");
ABSL_FLAG(std::string, token_file, "",
          "file holding an API token (verkenner-admin create-token); default: $VERKENNER_TOKEN");

namespace verkenner {
namespace {

command_line::Program ThisProgram() {
  return {
      .name = "verkenner-search",
      .usage = R"(Usage: verkenner-search --text="orderpicker" --postcode=3511 --hours=16-24 [flags]

Searches a running Verkenner server and prints the best matches with their reasons and the
education-level facet. The API token comes from --token_file or $VERKENNER_TOKEN, never from the
command line, which other users of the machine can read.

Exit status: 0 on an answer, 1 when the search failed, 2 for a usage error.)"};
}

// The search the flags describe; a value outside the flags' limits is a usage error (exit 2).
v1::SearchCandidatesRequest RequestFromFlags(const command_line::Program& program) {
  v1::SearchCandidatesRequest request;
  v1::Vacancy* vacancy = request.mutable_vacancy();
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
      command_line::ExitWithUsageError(program, "--hours must look like 16-24");
    }
    vacancy->mutable_hours()->set_min_hours(low);
    vacancy->mutable_hours()->set_max_hours(high);
  }
  command_line::RequireInRange(program, FLAGS_limit, 1, 100);
  request.set_page_size(absl::GetFlag(FLAGS_limit));
  request.add_facets(v1::FACET_EDUCATION_LEVEL);
  return request;
}

// From a file or the environment, never the command line: others can read process lists.
std::string ApiToken() {
  std::string token;
  if (const std::string file = absl::GetFlag(FLAGS_token_file); !file.empty()) {
    std::ifstream in(file);
    std::getline(in, token);
  } else if (const char* from_environment = std::getenv("VERKENNER_TOKEN")) {
    token = from_environment;
  }
  return token;
}

void PrintResponse(const v1::SearchCandidatesResponse& response) {
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
}

// TLS verified against --tls_ca, or plain TCP without it.
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const command_line::Program& program) {
  const std::string ca_file = absl::GetFlag(FLAGS_tls_ca);
  if (ca_file.empty()) return grpc::InsecureChannelCredentials();
  std::ifstream in(ca_file);
  std::stringstream ca;
  ca << in.rdbuf();
  if (!in || ca.str().find("BEGIN CERTIFICATE") == std::string::npos) {
    command_line::ExitWithUsageError(program, "--tls_ca: no PEM certificate in " + ca_file);
  }
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca.str();
  return grpc::SslCredentials(options);
}

// Reads the flags, searches once and prints the answer.
int Run(int argc, char** argv) {
  const command_line::Program program = ThisProgram();
  command_line::ParseCommandLine(program, argc, argv);
  const v1::SearchCandidatesRequest request = RequestFromFlags(program);

  auto stub = v1::CandidateSearchService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_server), ChannelCredentials(program)));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.AddMetadata("authorization", "Bearer " + ApiToken());
  v1::SearchCandidatesResponse response;
  grpc::Status status = stub->SearchCandidates(&context, request, &response);
  if (!status.ok()) {
    std::cerr << "verkenner-search: " << status.error_code() << " " << status.error_message()
              << "\n";
    return command_line::kExitFailure;
  }
  PrintResponse(response);
  return command_line::kExitOk;
}

}  // namespace
}  // namespace verkenner

int main(int argc, char** argv) { return verkenner::Run(argc, argv); }
