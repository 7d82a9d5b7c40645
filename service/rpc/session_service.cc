#include "service/rpc/session_service.h"

#include <chrono>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "service/auth/credentials.h"

namespace verkenner::service {
namespace {

constexpr size_t kMaxEmailBytes = 254;

absl::Status WrongCredentials() {
  // One answer for an unknown address, a wrong password and a disabled account.
  return absl::UnauthenticatedError("e-mail address or password is not correct");
}

// What context->peer() says of a call over Server::InProcessChannel() (gRPC 1.51's in-process
// transport knows no address); calls over the network say "ipv4:...", "ipv6:..." or "unix:...".
constexpr char kInProcessPeer[] = "unknown";

// The address a login is throttled by (see the class comment).
std::string ClientAddressOf(const grpc::CallbackServerContext& context) {
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
      return peer.substr(strlen(open), peer.size() - strlen(open) - strlen(close));
    }
  }
  return peer;
}

}  // namespace

SessionService::SessionService(const ServiceEnvironment* environment)
    : environment_(*environment) {}

grpc::ServerUnaryReactor* SessionService::CreateSession(grpc::CallbackServerContext* context,
                                                        const v1::CreateSessionRequest* request,
                                                        v1::CreateSessionResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->email().empty() || request->email().size() > kMaxEmailBytes) {
    FinishWith(context, reactor, absl::InvalidArgumentError("email: 1 to 254 characters"));
    return reactor;
  }
  if (request->password().empty() || request->password().size() > kMaxPasswordBytes) {
    FinishWith(context, reactor, absl::InvalidArgumentError("password: 1 to 1,024 bytes"));
    return reactor;
  }
  const std::string email = absl::AsciiStrToLower(request->email());
  const std::string client = ClientAddressOf(*context);
  // Before the password is queued: a throttled guess costs no hash.
  if (const int64_t wait = throttle_.Admit(email, client, environment_.now()); wait > 0) {
    FinishWith(context, reactor,
               absl::ResourceExhaustedError("too many failed logins; try again later"), wait);
    return reactor;
  }
  password_threads_.Submit([this, context, reactor, request, response, email, client] {
    std::optional<std::pair<AccountRecord, std::string>> found;
    absl::Status read = environment_.store->Read([&](sqlite::SqliteConnection& db) {
      auto result = FindAccountByEmail(db, email);
      if (!result.ok()) return result.status();
      found = std::move(*result);
      return absl::OkStatus();
    });
    if (!read.ok()) {
      FinishWith(context, reactor, absl::UnavailableError("cannot log in now; try again"));
      return;
    }
    bool verified = false;
    if (found.has_value() && !found->second.empty()) {
      verified = VerifyPassword(request->password(), found->second);
    } else {
      VerifyAgainstDummyHash(request->password());
    }
    if (!verified || found->first.disabled) {
      FinishWith(context, reactor, WrongCredentials());  // Admit() counted the failure
      return;
    }
    throttle_.Succeeded(email, client);
    const AccountRecord account = found->first;
    // The only moment the password is known: upgrade a hash of an older cost.
    std::string new_hash;
    if (PasswordHashNeedsRehash(found->second)) {
      if (absl::StatusOr<std::string> rehashed = HashPassword(request->password()); rehashed.ok()) {
        new_hash = std::move(*rehashed);
      }
    }
    const std::string token = NewToken();
    const absl::Time now = environment_.now();
    const int64_t now_micros = absl::ToUnixMicros(now);
    const int64_t expire_micros =
        now_micros + std::chrono::microseconds(Authenticator::kSessionLifetime).count();
    response->set_session_token(token);
    SetTimestamp(expire_micros, response->mutable_expire_time());
    FillAccount(account, environment_, /*with_quotas=*/true, response->mutable_account());
    environment_.store->Write(
        [hash = TokenHash(token), account, now_micros, expire_micros,
         new_hash](sqlite::SqliteConnection& db) {
          if (!new_hash.empty()) {
            absl::StatusOr<sqlite::SqliteStatement> update =
                db.Prepare("UPDATE account SET password_hash = ?2 WHERE id = ?1");
            if (!update.ok()) return update.status();
            update->Bind(1, account.id).Bind(2, new_hash);
            if (absl::Status status = update->Run(); !status.ok()) return status;
          }
          return AddToken(db, hash, account.id, TokenKind::kSession, now_micros, expire_micros);
        },
        [context, reactor, response](absl::Status status) {
          if (!status.ok()) {
            response->Clear();  // the token was never stored: do not hand it out
            status = absl::UnavailableError("cannot log in now; try again");
          }
          FinishWith(context, reactor, status);
        });
  });
  return reactor;
}

grpc::ServerUnaryReactor* SessionService::DeleteSession(grpc::CallbackServerContext* context,
                                                        const v1::DeleteSessionRequest*,
                                                        v1::DeleteSessionResponse*) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::string token = Authenticator::BearerToken(*context);
  if (!LooksLikeToken(token)) {
    FinishWith(context, reactor, absl::UnauthenticatedError("missing or invalid token"));
    return reactor;
  }
  absl::StatusOr<Caller> caller = environment_.authenticator->Authenticate(*context);
  if (caller.ok() && caller->token_kind == TokenKind::kApi) {
    FinishWith(context, reactor,
               absl::FailedPreconditionError("an API token is revoked with the admin CLI"));
    return reactor;
  }
  // An ended or expired session succeeds too: logging out twice is not an error.
  environment_.store->Write(
      [hash = TokenHash(token)](sqlite::SqliteConnection& db) {
        absl::StatusOr<sqlite::SqliteStatement> remove =
            db.Prepare("DELETE FROM token WHERE hash = ?1 AND kind = 1");
        if (!remove.ok()) return remove.status();
        remove->Bind(1, hash);
        return remove->Run();
      },
      [context, reactor](absl::Status status) { FinishWith(context, reactor, status); });
  return reactor;
}

grpc::ServerUnaryReactor* SessionService::GetCurrentAccount(
    grpc::CallbackServerContext* context, const v1::GetCurrentAccountRequest*,
    v1::GetCurrentAccountResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Caller> caller = environment_.authenticator->Authenticate(*context);
  if (!caller.ok()) {
    FinishWith(context, reactor, caller.status());
    return reactor;
  }
  FillAccount(caller->account, environment_, /*with_quotas=*/true, response->mutable_account());
  FinishWith(context, reactor, absl::OkStatus());
  return reactor;
}

}  // namespace verkenner::service
