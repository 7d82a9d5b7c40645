// Issue 12, point 10: bad input gets a clear error everywhere. Every test talks to a real server
// over a real gRPC channel on 127.0.0.1 (port 0); raw bytes go through grpc::GenericStub, so
// the server sees exactly what a hostile client could send.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "service/server.h"
#include "tests/integration/error_details.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_index.h"
#include "verkenner/v1/search.grpc.pb.h"

namespace verkenner {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr const char* kServices[] = {
    "verkenner.v1.CandidateSearchService", "verkenner.v1.SessionService",
    "verkenner.v1.ContactRequestService",  "verkenner.v1.SavedProfileService",
    "verkenner.v1.ShortlistService",       "verkenner.v1.IdentityService",
    "verkenner.v1.ProfileImportService",   "verkenner.v1.CandidateRightsService",
};

// A number no enum of the API defines.
constexpr int kUnknownEnumNumber = 999;

// The unary methods of the v1 API ("/verkenner.v1.Service/Method" and their descriptors).
std::vector<const google::protobuf::MethodDescriptor*> UnaryMethods() {
  std::vector<const google::protobuf::MethodDescriptor*> methods;
  for (const char* name : kServices) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    EXPECT_NE(service, nullptr) << name;
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      if (!method->client_streaming() && !method->server_streaming()) methods.push_back(method);
    }
  }
  return methods;
}

std::string FullMethod(const google::protobuf::MethodDescriptor* method) {
  return absl::StrCat("/", method->service()->full_name(), "/", method->name());
}

// Every path to an enum field in `type` ("vacancy.driving_licence"), nested messages included.
void EnumPaths(const google::protobuf::Descriptor* type, int depth,
               std::vector<std::vector<const FieldDescriptor*>>* paths,
               std::vector<const FieldDescriptor*>* trail) {
  if (depth > 6) return;
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    trail->push_back(field);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
      paths->push_back(*trail);
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_map()) {
      EnumPaths(field->message_type(), depth + 1, paths, trail);
    }
    trail->pop_back();
  }
}

std::string PathName(const std::vector<const FieldDescriptor*>& path) {
  std::vector<std::string> names;
  for (const FieldDescriptor* field : path) names.push_back(field->name());
  return absl::StrJoin(names, ".");
}

// Sets the enum at the end of `path` (through repeated messages: their first element) to an
// unknown number.
void SetUnknownEnum(Message* message, const std::vector<const FieldDescriptor*>& path) {
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const google::protobuf::Reflection* reflection = message->GetReflection();
    message = path[i]->is_repeated() ? reflection->AddMessage(message, path[i])
                                     : reflection->MutableMessage(message, path[i]);
  }
  const FieldDescriptor* field = path.back();
  if (field->is_repeated()) {
    message->GetReflection()->AddEnumValue(message, field, kUnknownEnumNumber);
  } else {
    message->GetReflection()->SetEnumValue(message, field, kUnknownEnumNumber);
  }
}

bool IsJsonObject(const std::string& line) {
  google::protobuf::Struct parsed;
  return google::protobuf::util::JsonStringToMessage(line, &parsed).ok();
}

class BadInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    directory_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                           ("verkenner-bad-input-" + std::to_string(getpid())));
    std::filesystem::remove_all(*directory_);
    std::filesystem::create_directories(*directory_);
    auto index = testing::BuildTestIndex(*directory_, 60, *reference);
    ASSERT_TRUE(index.ok()) << index.status();
    const std::string store = (*directory_ / "store.db").string();
    tokens_ = new std::vector<std::string>();
    auto add = [&](service::NewAccount account) {
      auto token = testing::AddAccountWithToken(store, account);
      ASSERT_TRUE(token.ok()) << token.status();
      tokens_->push_back(*token);
    };
    add(testing::TestEmployer("werkgever@bad-input.example", "Werkgever BV"));
    service::NewAccount wsp = testing::TestEmployer("am@bad-input.example", "WSP");
    wsp.role = v1::ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER;
    wsp.region_code = "AM01";
    add(wsp);
    service::NewAccount importer = testing::TestEmployer("import@bad-input.example", "GM0344");
    importer.role = v1::ACCOUNT_ROLE_IMPORTER;
    importer.source = "GM0344";
    add(importer);
    service::NewAccount admin = testing::TestEmployer("beheer@bad-input.example", "Beheer");
    admin.role = v1::ACCOUNT_ROLE_ADMIN;
    add(admin);

    log_ = new std::ostringstream();
    service::Server::Options options;
    options.listen_address = "127.0.0.1:0";
    options.index_path = index->index_path;
    options.vault_path = index->vault_path;
    options.pseudonymizer = index->pseudonymizer;
    options.store_path = store;
    options.reference_data = *reference;
    options.search_threads = 1;
    options.quotas.searches_per_minute = 100000;
    options.quotas.profile_views_per_day = 100000;
    options.log = log_;
    options.today = [] { return testing::kTestToday; };
    auto server = service::Server::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    channel_ = new std::shared_ptr<grpc::Channel>(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  }

  static void TearDownTestSuite() {
    delete channel_;
    delete server_;
    delete log_;
    std::filesystem::remove_all(*directory_);
    delete directory_;
    delete tokens_;
  }

  // Sends `bytes` as the request of `full_method` with `token` (none when empty).
  static grpc::Status CallRaw(const std::string& full_method, const std::string& bytes,
                              const std::string& token = "") {
    grpc::GenericStub stub(*channel_);
    grpc::ClientContext context;
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    grpc::Status result;
    stub.UnaryCall(&context, full_method, grpc::StubOptions(), &request, &response,
                   [&](grpc::Status status) {
                     std::lock_guard<std::mutex> lock(mutex);
                     result = std::move(status);
                     done = true;
                     done_cv.notify_one();
                   });
    std::unique_lock<std::mutex> lock(mutex);
    done_cv.wait(lock, [&] { return done; });
    return result;
  }

  static grpc::Status Search(const v1::SearchCandidatesRequest& request) {
    return CallRaw("/verkenner.v1.CandidateSearchService/SearchCandidates",
                   request.SerializeAsString(), (*tokens_)[0]);
  }

  static std::vector<std::string> LogLines() {
    return absl::StrSplit(log_->str(), '\n', absl::SkipEmpty());
  }

  static std::filesystem::path* directory_;
  static std::vector<std::string>* tokens_;  // employer, WSP (AM01), importer, admin
  static std::ostringstream* log_;
  static service::Server* server_;
  static std::shared_ptr<grpc::Channel>* channel_;
};

std::filesystem::path* BadInputTest::directory_ = nullptr;
std::vector<std::string>* BadInputTest::tokens_ = nullptr;
std::ostringstream* BadInputTest::log_ = nullptr;
service::Server* BadInputTest::server_ = nullptr;
std::shared_ptr<grpc::Channel>* BadInputTest::channel_ = nullptr;

// Every enum field of every unary request, set to a number its enum does not define, is
// refused with INVALID_ARGUMENT naming that field, for the role that may call the method; no
// role gets it accepted.
TEST_F(BadInputTest, EveryEnumFieldOfEveryRequestRefusesUnknownNumbers) {
  int checked = 0;
  for (const google::protobuf::MethodDescriptor* method : UnaryMethods()) {
    std::vector<std::vector<const FieldDescriptor*>> paths;
    std::vector<const FieldDescriptor*> trail;
    EnumPaths(method->input_type(), 0, &paths, &trail);
    for (const auto& path : paths) {
      const std::string field = PathName(path);
      std::unique_ptr<Message> request(google::protobuf::MessageFactory::generated_factory()
                                           ->GetPrototype(method->input_type())
                                           ->New());
      SetUnknownEnum(request.get(), path);
      bool named = false;
      for (const std::string& token : *tokens_) {
        const grpc::Status status =
            CallRaw(FullMethod(method), request->SerializeAsString(), token);
        EXPECT_NE(status.error_code(), grpc::StatusCode::OK) << FullMethod(method) << " " << field;
        // Named in the message for people and in BadRequest for programs.
        const std::vector<std::string> violations =
            testing::FieldViolationsOf(testing::DetailsOf(status));
        if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
            absl::StartsWith(status.error_message(), field + ":") && violations.size() == 1 &&
            absl::StartsWith(violations[0], field + ": ")) {
          named = true;
        }
      }
      EXPECT_TRUE(named) << FullMethod(method) << " accepts an unknown number in " << field
                         << " (or does not name the field in its message and BadRequest)";
      ++checked;
    }
  }
  // SearchCandidates alone has seven enum fields; the contact requests add more.
  EXPECT_GE(checked, 12);
}

TEST_F(BadInputTest, FacetFilterValuesMustExist) {
  v1::SearchCandidatesRequest request;
  v1::FacetFilter* filter = request.add_facet_filters();
  filter->set_facet(v1::FACET_HOURS_BAND);
  filter->add_values("20-26");
  ASSERT_TRUE(Search(request).ok());
  filter->add_values("twintig uur");
  const grpc::Status status = Search(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "facet_filters.values:"))
      << status.error_message();
  EXPECT_FALSE(absl::StrContains(status.error_message(), "twintig"));

  for (v1::Facet facet : {v1::FACET_EDUCATION_LEVEL, v1::FACET_LABOUR_MARKET_REGION,
                          v1::FACET_DISTANCE_BAND, v1::FACET_EXPERIENCE_BAND, v1::FACET_AFFINITY}) {
    request.clear_facet_filters();
    request.add_facet_filters()->set_facet(facet);
    request.mutable_facet_filters(0)->add_values("bestaat-niet");
    EXPECT_EQ(Search(request).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << v1::Facet_Name(facet);
  }
  request.clear_facet_filters();
  request.add_facet_filters()->set_facet(v1::FACET_AFFINITY);
  request.mutable_facet_filters(0)->add_values("techniek");
  EXPECT_TRUE(Search(request).ok());
}

TEST_F(BadInputTest, AffinitiesMustBeKnownCodesOrAliases) {
  v1::SearchCandidatesRequest request;
  request.mutable_vacancy()->add_affinities("techniek");
  request.mutable_vacancy()->add_affinities("Buiten werken");  // a documented alias
  ASSERT_TRUE(Search(request).ok());
  request.mutable_vacancy()->add_affinities("ruimtevaart");
  const grpc::Status status = Search(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "vacancy.affinities:"))
      << status.error_message();
  EXPECT_FALSE(absl::StrContains(status.error_message(), "ruimtevaart"));
}

// Bytes that are no protobuf message, and a message with a string field that is not UTF-8, are
// INVALID_ARGUMENT with a message for every unary method, and the log stays JSON lines (nothing
// of protobuf's own complaints lands on stderr beside it).
TEST_F(BadInputTest, MalformedRequestsAreInvalidArgumentAndTheLogStaysJson) {
  // Field 1 (vacancy), length-delimited, holding field 1 (text) with the bytes FF FE.
  const std::string invalid_utf8("\x0a\x04\x0a\x02\xff\xfe", 6);
  // A length prefix beyond the end, then a group end tag without a start.
  const std::string garbage("\x0a\x7f\x01\x02\x0c\xff\xff\xff", 8);

  const std::filesystem::path stderr_file = *directory_ / "stderr.txt";
  std::fflush(stderr);
  const int saved_stderr = dup(STDERR_FILENO);
  FILE* capture = std::fopen(stderr_file.c_str(), "w");
  ASSERT_NE(capture, nullptr);
  dup2(fileno(capture), STDERR_FILENO);

  std::vector<std::pair<std::string, grpc::Status>> outcomes;
  outcomes.emplace_back("SearchCandidates, invalid UTF-8",
                        CallRaw("/verkenner.v1.CandidateSearchService/SearchCandidates",
                                invalid_utf8, (*tokens_)[0]));
  for (const google::protobuf::MethodDescriptor* method : UnaryMethods()) {
    outcomes.emplace_back(FullMethod(method), CallRaw(FullMethod(method), garbage, (*tokens_)[0]));
  }

  std::fflush(stderr);
  dup2(saved_stderr, STDERR_FILENO);
  close(saved_stderr);
  std::fclose(capture);

  for (const auto& [what, status] : outcomes) {
    EXPECT_EQ(testing::CodeAndReason(status), "INVALID_ARGUMENT MALFORMED_REQUEST") << what;
    EXPECT_TRUE(absl::StartsWith(status.error_message(), "request:"))
        << what << ": " << status.error_message();
  }
  std::ifstream captured(stderr_file);
  std::string line;
  while (std::getline(captured, line)) {
    ADD_FAILURE() << "written to stderr beside the JSON log: " << line;
  }
  bool protobuf_line = false;
  for (const std::string& logged : LogLines()) {
    EXPECT_TRUE(IsJsonObject(logged)) << logged;
    if (absl::StrContains(logged, "\"event\":\"protobuf\"") &&
        absl::StrContains(logged, "verkenner.v1.Vacancy.text")) {
      protobuf_line = true;
    }
  }
  EXPECT_TRUE(protobuf_line) << "protobuf's complaint about the UTF-8 went nowhere";
}

// Made-up method names share one bounded metrics series and are never logged as sent.
TEST_F(BadInputTest, UnknownMethodsShareOneSeriesAndAreNotLogged) {
  const std::string before = server_->metrics().PrometheusText();
  constexpr int kNames = 200;
  for (int i = 0; i < kNames; ++i) {
    const grpc::Status status =
        CallRaw(absl::StrCat("/verkenner.v1.Probe", i, "/Zoek", i), "", (*tokens_)[0]);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }
  // Not UTF-8, and a quote and a newline, which a log line must not carry as sent.
  EXPECT_EQ(CallRaw(std::string("/x.\xff\xfe/\"\n", 8), "").error_code(),
            grpc::StatusCode::UNIMPLEMENTED);

  const std::string after = server_->metrics().PrometheusText();
  EXPECT_FALSE(absl::StrContains(after, "Probe")) << "made-up names got series of their own";
  EXPECT_TRUE(absl::StrContains(
      after, "grpc_method=\"unknown\",grpc_service=\"unknown\",grpc_code=\"UNIMPLEMENTED\"} 201"))
      << after;
  // The known methods' series were there before and nothing else was added for 201 names.
  EXPECT_LT(after.size(), before.size() + 2000);

  int unknown_lines = 0;
  for (const std::string& logged : LogLines()) {
    EXPECT_TRUE(IsJsonObject(logged)) << logged;
    EXPECT_FALSE(absl::StrContains(logged, "Probe")) << logged;
    if (absl::StrContains(logged, "\"method\":\"unknown\"")) ++unknown_lines;
  }
  EXPECT_GE(unknown_lines, kNames + 1);
}

}  // namespace
}  // namespace verkenner
