#include "service/http/api_gateway.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "google/rpc/error_details.pb.h"
#include "service/auth/authenticator.h"
#include "service/auth/client_address.h"
#include "service/auth/login_throttle.h"
#include "service/http/import_upload.h"
#include "service/observability/metrics.h"
#include "service/rpc/error_details.h"
#include "service/rpc/status_mapping.h"

namespace verkenner::service {
namespace {

constexpr char kApiPrefix[] = "/api/v1/";
constexpr char kPackage[] = "verkenner.v1.";
constexpr char kSessionRoute[] = "/api/v1/session";
constexpr char kLogoutRoute[] = "/api/v1/session/logout";
constexpr int kSessionSeconds = 12 * 3600;  // Authenticator::kSessionLifetime
constexpr std::chrono::seconds kCallDeadline{30};

// As grpc-gateway maps them (runtime.HTTPStatusFromCode), so that generic HTTP clients of
// gRPC-transcoded APIs read them as they expect.
int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

// The error body is the google.rpc.Status of the error in protobuf's JSON mapping, details and
// all, as grpc-gateway answers; its RetryInfo (a quota, a throttled login) goes out as
// Retry-After besides, in whole seconds.
ApiResponse ErrorResponse(const google::rpc::Status& error) {
  ApiResponse response;
  response.status = HttpStatusOf(static_cast<grpc::StatusCode>(error.code()));
  (void)google::protobuf::util::MessageToJsonString(error, &response.body);
  for (const google::protobuf::Any& detail : error.details()) {
    google::rpc::RetryInfo retry;
    if (detail.UnpackTo(&retry) && retry.retry_delay().seconds() > 0) {
      const int64_t seconds = retry.retry_delay().seconds() + (retry.retry_delay().nanos() > 0);
      response.headers.emplace_back("Retry-After", std::to_string(seconds));
    }
  }
  return response;
}
// An error of the gateway's own (the route, the session, the body), or of a call.
ApiResponse ErrorResponse(const absl::Status& error) { return ErrorResponse(RpcStatusOf(error)); }
ApiResponse ErrorResponse(const grpc::Status& error) { return ErrorResponse(RpcStatusOf(error)); }

absl::Status NoSuchRouteError() {
  return WithReason(absl::NotFoundError("no such API route"), v1::NO_SUCH_ROUTE);
}

std::string SessionCookie(const std::string& token, int max_age_seconds) {
  return absl::StrCat(ApiGateway::kSessionCookie, "=", token,
                      "; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=", max_age_seconds);
}

// The percent-decoded value of parameter `name` in a query string ("" when absent); false when
// the query is malformed.
bool QueryParameter(const std::string& query, const std::string& name, std::string* value) {
  value->clear();
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t equals = pair.find('=');
    if (pair.substr(0, equals) != name) continue;
    const absl::string_view encoded =
        equals == absl::string_view::npos ? absl::string_view() : pair.substr(equals + 1);
    for (size_t i = 0; i < encoded.size(); ++i) {
      if (encoded[i] == '+') {
        value->push_back(' ');
      } else if (encoded[i] != '%') {
        value->push_back(encoded[i]);
      } else {
        int byte = 0;
        if (i + 2 >= encoded.size() || !absl::ascii_isxdigit(encoded[i + 1]) ||
            !absl::ascii_isxdigit(encoded[i + 2])) {
          return false;
        }
        for (int k = 1; k <= 2; ++k) {
          const char c = absl::ascii_tolower(encoded[i + k]);
          byte = byte * 16 + (c <= '9' ? c - '0' : c - 'a' + 10);
        }
        value->push_back(static_cast<char>(byte));
        i += 2;
      }
    }
    return true;
  }
  return true;
}

// "/verkenner.v1.Service/Method" -> "verkenner.v1.Service.Method", the descriptor pool's name;
// empty (no method) when it is not of that shape.
std::string MethodName(const std::string& full_method) {
  const size_t slash = full_method.rfind('/');
  if (full_method.empty() || full_method[0] != '/' || slash == 0 || slash == std::string::npos) {
    return "";
  }
  return full_method.substr(1, slash - 1) + "." + full_method.substr(slash + 1);
}

// The import route's query (import_id, mode, file_name, expected_rows) as the stream's header,
// and the file's format from its name. InvalidArgument names the parameter that is wrong.
absl::Status ImportHeaderFromQuery(const std::string& query, v1::ImportHeader* header,
                                   indexer::SourceFileFormat* format) {
  std::string mode;
  std::string file_name;
  std::string expected_rows;
  if (!QueryParameter(query, "import_id", header->mutable_import_id()) ||
      !QueryParameter(query, "mode", &mode) || !QueryParameter(query, "file_name", &file_name) ||
      !QueryParameter(query, "expected_rows", &expected_rows)) {
    return absl::InvalidArgumentError("query: not a valid query string");
  }
  // The short names, or the enum's own as protobuf's JSON mapping writes them.
  if (mode.empty() || mode == "INCREMENTAL" || mode == "IMPORT_MODE_INCREMENTAL") {
    header->set_mode(v1::IMPORT_MODE_INCREMENTAL);
  } else if (mode == "FULL_SYNC" || mode == "IMPORT_MODE_FULL_SYNC") {
    header->set_mode(v1::IMPORT_MODE_FULL_SYNC);
  } else {
    return absl::InvalidArgumentError("mode: INCREMENTAL or FULL_SYNC");
  }
  int64_t expected = 0;
  if (!expected_rows.empty() && (!absl::SimpleAtoi(expected_rows, &expected) || expected < 0)) {
    return absl::InvalidArgumentError("expected_rows: a number of rows, 0 or more");
  }
  header->set_expected_rows(expected);
  const std::string lower_name = absl::AsciiStrToLower(file_name);
  if (absl::EndsWith(lower_name, ".csv")) {
    *format = indexer::SourceFileFormat::kCsv;
  } else if (absl::EndsWith(lower_name, ".jsonl")) {
    *format = indexer::SourceFileFormat::kJsonLines;
  } else {
    return absl::InvalidArgumentError(
        "file_name: required, ending in .csv (CSV) or .jsonl (JSON Lines)");
  }
  header->set_file_name(file_name);
  return absl::OkStatus();
}

// 202 {"importId": ID} once an upload is in, with "replayed": true when that import id had
// succeeded before.
ApiResponse ImportAcceptedResponse(const std::string& import_id, bool replayed) {
  google::protobuf::Struct reply;
  (*reply.mutable_fields())["importId"].set_string_value(import_id);
  if (replayed) (*reply.mutable_fields())["replayed"].set_bool_value(true);
  ApiResponse response;
  response.status = 202;
  (void)google::protobuf::util::MessageToJsonString(reply, &response.body);
  return response;
}

// "/api/v1/<Service>/<Method>" -> "/verkenner.v1.<Service>/<Method>"; empty when the target is
// not of that shape.
std::string ServiceMethodOf(const std::string& target) {
  const std::string rest = target.substr(sizeof(kApiPrefix) - 1);
  const size_t slash = rest.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= rest.size() ||
      rest.find_first_of("/?#", slash + 1) != std::string::npos) {
    return "";
  }
  return absl::StrCat("/", kPackage, rest.substr(0, slash), "/", rest.substr(slash + 1));
}

}  // namespace

std::string CookieValue(const std::string& header, const std::string& name) {
  size_t start = 0;
  while (start < header.size()) {
    size_t end = header.find(';', start);
    if (end == std::string::npos) end = header.size();
    std::string_view pair(header.data() + start, end - start);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    start = end + 1;
  }
  return "";
}

ApiGateway::ApiGateway(std::shared_ptr<grpc::Channel> channel, std::string csrf_key,
                       std::vector<std::string> trusted_proxies)
    : channel_(std::move(channel)),
      stub_(std::make_unique<grpc::GenericStub>(channel_)),
      sessions_(v1::SessionService::NewStub(channel_)),
      csrf_key_(std::move(csrf_key)),
      trusted_proxies_(std::move(trusted_proxies)),
      uploads_(channel_) {}

std::string ApiGateway::CsrfToken(const std::string& session_token) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), csrf_key_.data(), static_cast<int>(csrf_key_.size()),
       reinterpret_cast<const unsigned char*>(session_token.data()), session_token.size(), digest,
       &length);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

bool ApiGateway::CsrfTokenMatches(const std::string& session, const std::string& csrf_token) const {
  // Compared in constant time: the token is a secret derived from the session.
  const std::string expected = CsrfToken(session);
  return csrf_token.size() == expected.size() &&
         CRYPTO_memcmp(csrf_token.data(), expected.data(), expected.size()) == 0;
}

bool ApiGateway::StartUploadOf(const std::string& account_id) {
  std::lock_guard<std::mutex> lock(uploading_mutex_);
  return uploading_.insert(account_id).second;
}

void ApiGateway::EndUploadOf(const std::string& account_id) {
  std::lock_guard<std::mutex> lock(uploading_mutex_);
  uploading_.erase(account_id);
}

void ApiGateway::StartImport(const ApiRequest& request, std::shared_ptr<BodyStream> body,
                             const std::string& session, std::function<void(ApiResponse)> done) {
  // The query is checked before anything else: a bad one costs no call and no read of the body.
  v1::ImportHeader header;
  indexer::SourceFileFormat format = indexer::SourceFileFormat::kAuto;
  if (absl::Status query = ImportHeaderFromQuery(request.query, &header, &format); !query.ok()) {
    done(ErrorResponse(query));
    return;
  }
  // Who sends it, before any of the body is read: an importer, whose source is the header's.
  auto account = std::make_shared<v1::GetCurrentAccountResponse>();
  auto context = std::make_shared<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + session);
  context->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  auto request_message = std::make_shared<v1::GetCurrentAccountRequest>();
  sessions_->async()->GetCurrentAccount(
      context.get(), request_message.get(), account.get(),
      [this, context, request_message, account, header = std::move(header), format,
       body = std::move(body), session, done = std::move(done)](grpc::Status status) mutable {
        if (!status.ok()) {
          done(ErrorResponse(status));
          return;
        }
        UploadAs(account->account(), session, std::move(header), format, std::move(body),
                 std::move(done));
      });
}

void ApiGateway::UploadAs(const v1::Account& account, const std::string& session,
                          v1::ImportHeader header, indexer::SourceFileFormat format,
                          std::shared_ptr<BodyStream> body, std::function<void(ApiResponse)> done) {
  if (account.role() != v1::ACCOUNT_ROLE_IMPORTER) {
    done(ErrorResponse(absl::PermissionDeniedError(
        "only a municipality's or UWV's importer uploads import files")));
    return;
  }
  // One file at a time per account: a second upload beside the first would race it.
  const std::string account_id = account.name();
  if (!StartUploadOf(account_id)) {
    done(ErrorResponse(WithReason(
        absl::AbortedError("you are uploading a file already; send this one when it is in"),
        v1::IMPORT_RUNNING)));
    return;
  }
  header.set_source(account.source());
  const std::string import_id = header.import_id();
  uploads_.Start(
      session, header, format, std::move(body),
      [this, account_id, import_id, done = std::move(done)](const grpc::Status& answered,
                                                            bool replayed) {
        EndUploadOf(account_id);
        done(answered.ok() ? ImportAcceptedResponse(import_id, replayed) : ErrorResponse(answered));
      });
}

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> RequestFromJson(
    const std::string& full_method, const std::string& json) {
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(MethodName(full_method));
  if (method == nullptr || method->client_streaming() || method->server_streaming()) {
    return absl::NotFoundError("no such API method");
  }
  std::unique_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(method->input_type())
          ->New());
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (!google::protobuf::util::JsonStringToMessage(json.empty() ? "{}" : json, request.get(),
                                                   options)
           .ok()) {
    // Protobuf's message could quote the input; say only what is wrong in general.
    return WithReason(
        absl::InvalidArgumentError("body: not a JSON object of the method's request message"),
        v1::MALFORMED_REQUEST);
  }
  return request;
}

void ApiGateway::Call(const std::string& full_method, const std::string& json,
                      const std::string& token,
                      std::function<void(grpc::Status, std::string json)> done,
                      const std::string& client_address) {
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> request =
      RequestFromJson(full_method, json);
  if (!request.ok()) {
    done(ToGrpcStatus(request.status()), "");
    return;
  }
  // Found: RequestFromJson found it.
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(MethodName(full_method));
  google::protobuf::MessageFactory* factory = google::protobuf::MessageFactory::generated_factory();
  struct CallState {
    grpc::ClientContext context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
    std::unique_ptr<google::protobuf::Message> reply;
  };
  auto state = std::make_shared<CallState>();
  state->reply.reset(factory->GetPrototype(method->output_type())->New());
  if (!token.empty()) state->context.AddMetadata("authorization", "Bearer " + token);
  if (!client_address.empty()) {
    state->context.AddMetadata(kClientAddressMetadata, client_address);
  }
  state->context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  const std::string bytes = (*request)->SerializeAsString();
  grpc::Slice slice(bytes);
  state->request = grpc::ByteBuffer(&slice, 1);
  stub_->UnaryCall(
      &state->context, full_method, grpc::StubOptions(), &state->request, &state->response,
      [state, done = std::move(done)](grpc::Status status) {
        std::string reply_json;
        if (status.ok()) {
          std::vector<grpc::Slice> slices;
          std::string bytes_out;
          if (state->response.Dump(&slices).ok()) {
            for (const grpc::Slice& part : slices) {
              bytes_out.append(reinterpret_cast<const char*>(part.begin()), part.size());
            }
          }
          if (!state->reply->ParseFromString(bytes_out) ||
              !google::protobuf::util::MessageToJsonString(*state->reply, &reply_json).ok()) {
            status = grpc::Status(grpc::StatusCode::INTERNAL, "bad reply");
          }
        }
        done(std::move(status), std::move(reply_json));
      });
}

void ApiGateway::Handle(ApiRequest request, std::function<void(ApiResponse)> done) {
  if (request.method != "POST") {
    ApiResponse response = ErrorResponse(absl::InvalidArgumentError("use POST"));
    response.status = 405;
    done(std::move(response));
    return;
  }
  if (request.target == kSessionRoute) {  // login: needs no session, gets one
    LogIn(request, std::move(done));
    return;
  }
  if (!request.target.starts_with(kApiPrefix)) {
    done(ErrorResponse(NoSuchRouteError()));
    return;
  }
  const absl::StatusOr<std::string> token = CallerToken(request);
  if (!token.ok()) {
    done(ErrorResponse(token.status()));
    return;
  }
  if (request.target == kImportRoute) {
    std::shared_ptr<BodyStream> body = request.body_stream != nullptr
                                           ? std::move(request.body_stream)
                                           : std::make_shared<StringBodyStream>(request.body);
    StartImport(request, std::move(body), *token, std::move(done));
    return;
  }
  if (request.target == kLogoutRoute) {
    LogOut(*token, std::move(done));
    return;
  }
  const std::string full_method = ServiceMethodOf(request.target);
  if (full_method.empty()) {
    done(ErrorResponse(NoSuchRouteError()));
    return;
  }
  Call(full_method, request.body, *token,
       [done = std::move(done)](grpc::Status status, std::string json) {
         done(status.ok() ? ApiResponse{200, std::move(json), {}} : ErrorResponse(status));
       });
}

absl::StatusOr<std::string> ApiGateway::CallerToken(const ApiRequest& request) const {
  // A program sends its token as over gRPC and needs no CSRF token: a browser never adds an
  // authorization header on its own, so another site cannot make it send one.
  if (!request.authorization.empty()) {
    std::string token = BearerCredential(request.authorization);
    if (token.empty()) {
      return absl::UnauthenticatedError("send the header authorization: Bearer <token>");
    }
    return token;
  }
  std::string session = CookieValue(request.cookie, kSessionCookie);
  if (session.empty()) return absl::UnauthenticatedError("log in first");
  if (!CsrfTokenMatches(session, request.csrf_token)) {
    return WithReason(
        absl::PermissionDeniedError("missing or wrong X-CSRF-Token header; log in again"),
        v1::CSRF_TOKEN_INVALID);
  }
  return session;
}

void ApiGateway::LogIn(const ApiRequest& request, std::function<void(ApiResponse)> done) {
  Call(
      "/verkenner.v1.SessionService/CreateSession", request.body, "",
      [this, done = std::move(done)](grpc::Status status, std::string json) {
        if (!status.ok()) {
          done(ErrorResponse(status));
          return;
        }
        google::protobuf::Struct reply;
        (void)google::protobuf::util::JsonStringToMessage(json, &reply);
        auto found = reply.fields().find("sessionToken");
        if (found == reply.fields().end()) {
          done(ErrorResponse(absl::InternalError("login gave no session")));
          return;
        }
        const std::string token = found->second.string_value();
        // The token lives in the cookie only: page scripts never see it.
        reply.mutable_fields()->erase("sessionToken");
        ApiResponse response;
        (void)google::protobuf::util::MessageToJsonString(reply, &response.body);
        response.headers.emplace_back("Set-Cookie", SessionCookie(token, kSessionSeconds));
        response.headers.emplace_back("X-CSRF-Token", CsrfToken(token));
        done(std::move(response));
      },
      ClientAddress(request.remote_address, request.forwarded_for, trusted_proxies_));
}

void ApiGateway::LogOut(const std::string& session, std::function<void(ApiResponse)> done) {
  Call("/verkenner.v1.SessionService/DeleteSession", "{}", session,
       [done = std::move(done)](grpc::Status status, std::string json) {
         ApiResponse response = status.ok() ? ApiResponse{200, json, {}} : ErrorResponse(status);
         // The cookie goes whatever the service said: the browser forgets the session.
         response.headers.emplace_back("Set-Cookie", SessionCookie("", 0));
         done(std::move(response));
       });
}

}  // namespace verkenner::service
