#include "service/rpc/session_service.h"

#include <chrono>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "service/auth/client_address.h"
#include "service/auth/credentials.h"
#include "service/rpc/error_details.h"

namespace verkenner::service {
namespace {

constexpr size_t kMaxEmailBytes = 254;

absl::Status WrongCredentials() {
  // One answer for an unknown address, a wrong password and a disabled account.
  return WithReason(absl::UnauthenticatedError("e-mail address or password is not correct"),
                    v1::LOGIN_FAILED);
}

// What context->peer() says of a call over Server::InProcessChannel() (gRPC 1.51's in-process
// transport knows no address); calls over the network say "ipv4:...", "ipv6:..." or "unix:...".
constexpr char kInProcessPeer[] = "unknown";

// The address a login is throttled by (see the class comment): behind a proxy in
// `trusted_proxies` (HAProxy in front of several instances) the client it names in
// X-Forwarded-For.
std::string ClientAddressOf(const grpc::CallbackServerContext& context,
                            const std::vector<std::string>& trusted_proxies) {
  std::string peer = context.peer();
  if (peer == kInProcessPeer) {
    const auto& metadata = context.client_metadata();
    if (auto named = metadata.find(kClientAddressMetadata); named != metadata.end()) {
      return std::string(named->second.data(), named->second.size());
    }
    return peer;
  }
  // "ipv4:1.2.3.4:5678", "ipv6:[::1]:5678" (or with the brackets percent-encoded): the address
  // without the scheme and port, so that one machine trying many ports is one guesser.
  if (const size_t colon = peer.rfind(':'); colon != std::string::npos) peer.resize(colon);
  if (const size_t scheme = peer.find(':'); scheme != std::string::npos) peer.erase(0, scheme + 1);
  for (const auto& [open, close] : {std::pair{"[", "]"}, std::pair{"%5B", "%5D"}}) {
    if (absl::StartsWith(peer, open) && absl::EndsWith(peer, close)) {
      peer = peer.substr(strlen(open), peer.size() - strlen(open) - strlen(close));
      break;
    }
  }
  // Every X-Forwarded-For header line, in order, as one list.
  std::string forwarded_for;
  const auto [first, last] = context.client_metadata().equal_range("x-forwarded-for");
  for (auto line = first; line != last; ++line) {
    if (!forwarded_for.empty()) forwarded_for += ", ";
    forwarded_for.append(line->second.data(), line->second.size());
  }
  return ClientAddress(peer, forwarded_for, trusted_proxies);
}

}  // namespace

SessionService::SessionService(const ServiceEnvironment* environment)
    : environment_(*environment), throttle_(environment->store) {}

grpc::ServerUnaryReactor* SessionService::CreateSession(grpc::CallbackServerContext* context,
                                                        const v1::CreateSessionRequest* request,
                                                        v1::CreateSessionResponse* response) {
  // No caller yet: this call is how one becomes known.
  return AnswerAnyone(context, [&](UnaryCall call) -> Answer {
    if (request->email().empty() || request->email().size() > kMaxEmailBytes) {
      return InvalidField("email", "1 to 254 characters");
    }
    if (request->password().empty() || request->password().size() > kMaxPasswordBytes) {
      return InvalidField("password", "1 to 1,024 bytes");
    }
    std::string email = absl::AsciiStrToLower(request->email());
    std::string client = ClientAddressOf(*context, environment_.trusted_proxies);
    password_threads_.Submit(
        [this, call, request, response, email = std::move(email), client = std::move(client)] {
          LogIn(call, *request, email, client, response);
        });
    return Answer::Later();
  });
}

void SessionService::LogIn(UnaryCall call, const v1::CreateSessionRequest& request,
                           const std::string& email, const std::string& client,
                           v1::CreateSessionResponse* response) {
  // Before the password is hashed: a throttled guess costs no hash. On this thread, which may wait
  // for the store's write.
  absl::StatusOr<int64_t> wait = throttle_.Admit(email, client, environment_.now());
  if (!wait.ok()) {
    call.Finish(absl::UnavailableError("cannot log in now; try again"));
    return;
  }
  if (*wait > 0) {
    call.Finish(WithRetryDelay(
        WithReason(absl::ResourceExhaustedError("too many failed logins; try again later"),
                   v1::LOGIN_THROTTLED),
        absl::Seconds(*wait)));
    return;
  }
  std::optional<std::pair<AccountRecord, std::string>> found;
  absl::Status read = environment_.store->Read([&](sql::Connection& db) {
    auto result = FindAccountByEmail(db, email);
    if (!result.ok()) return result.status();
    found = std::move(*result);
    return absl::OkStatus();
  });
  if (!read.ok()) {
    call.Finish(absl::UnavailableError("cannot log in now; try again"));
    return;
  }
  bool verified = false;
  if (found.has_value() && !found->second.empty()) {
    verified = VerifyPassword(request.password(), found->second);
  } else {
    VerifyAgainstDummyHash(request.password());
  }
  if (!verified || found->first.disabled) {
    call.Finish(WrongCredentials());  // Admit() counted the failure
    return;
  }
  // Not taken back when the store fails now: the count errs towards caution.
  (void)throttle_.Succeeded(email, client);
  // The only moment the password is known: upgrade a hash of an older cost.
  std::string new_hash;
  if (PasswordHashNeedsRehash(found->second)) {
    if (absl::StatusOr<std::string> rehashed = HashPassword(request.password()); rehashed.ok()) {
      new_hash = std::move(*rehashed);
    }
  }
  IssueSession(call, found->first, new_hash, response);
}

void SessionService::IssueSession(UnaryCall call, const AccountRecord& account,
                                  const std::string& new_hash,
                                  v1::CreateSessionResponse* response) {
  const std::string token = NewToken();
  const int64_t now_micros = absl::ToUnixMicros(environment_.now());
  const int64_t expire_micros =
      now_micros + std::chrono::microseconds(Authenticator::kSessionLifetime).count();
  response->set_session_token(token);
  SetTimestamp(expire_micros, response->mutable_expire_time());
  FillAccount(account, environment_, /*with_quotas=*/true, response->mutable_account());
  environment_.store->Write(
      [hash = TokenHash(token), account_id = account.id, now_micros, expire_micros,
       new_hash](sql::Connection& db) {
        if (!new_hash.empty()) {
          absl::StatusOr<sql::Statement> update =
              db.Prepare("UPDATE account SET password_hash = ?2 WHERE id = ?1");
          if (!update.ok()) return update.status();
          update->Bind(1, account_id).Bind(2, new_hash);
          if (absl::Status status = update->Run(); !status.ok()) return status;
        }
        return AddToken(db, hash, account_id, TokenKind::kSession, now_micros, expire_micros);
      },
      [call, response](absl::Status status) {
        if (!status.ok()) {
          response->Clear();  // the token was never stored: do not hand it out
          status = absl::UnavailableError("cannot log in now; try again");
        }
        call.Finish(status);
      });
}

grpc::ServerUnaryReactor* SessionService::DeleteSession(grpc::CallbackServerContext* context,
                                                        const v1::DeleteSessionRequest*,
                                                        v1::DeleteSessionResponse*) {
  // Admits by its own rule: any well-formed token may be ended, also one already ended.
  return AnswerAnyone(context, [&](UnaryCall call) -> Answer {
    const std::string token = Authenticator::BearerToken(*context);
    if (!LooksLikeToken(token)) return absl::UnauthenticatedError("missing or invalid token");
    absl::StatusOr<Caller> caller = environment_.authenticator->Authenticate(*context);
    if (caller.ok() && caller->token_kind == TokenKind::kApi) {
      return WithReason(absl::FailedPreconditionError("an API token is revoked with the admin CLI"),
                        v1::API_TOKEN_NOT_REVOCABLE);
    }
    // An ended or expired session succeeds too: logging out twice is not an error.
    environment_.store->Write(
        [hash = TokenHash(token)](sql::Connection& db) {
          absl::StatusOr<sql::Statement> remove =
              db.Prepare("DELETE FROM token WHERE hash = ?1 AND kind = 1");
          if (!remove.ok()) return remove.status();
          remove->Bind(1, hash);
          return remove->Run();
        },
        [call](absl::Status status) { call.Finish(status); });
    return Answer::Later();
  });
}

grpc::ServerUnaryReactor* SessionService::GetCurrentAccount(
    grpc::CallbackServerContext* context, const v1::GetCurrentAccountRequest*,
    v1::GetCurrentAccountResponse* response) {
  // Every role may ask who it is: authenticated, no role required.
  return AnswerAnyone(context, [&](UnaryCall) -> Answer {
    absl::StatusOr<Caller> caller = environment_.authenticator->Authenticate(*context);
    if (!caller.ok()) return caller.status();
    FillAccount(caller->account, environment_, /*with_quotas=*/true, response->mutable_account());
    return absl::OkStatus();
  });
}

}  // namespace verkenner::service
