#include "service/auth/authenticator.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "service/auth/credentials.h"

namespace verkenner::service {
namespace {

int64_t Micros(std::chrono::microseconds duration) { return duration.count(); }

absl::Status Unauthenticated() {
  return absl::UnauthenticatedError(
      "missing or invalid token: send authorization: Bearer <token> (log in again if your "
      "session has ended)");
}

}  // namespace

std::string Authenticator::BearerToken(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto found = metadata.find("authorization");
  if (found == metadata.end()) return "";
  return BearerCredential(std::string_view(found->second.data(), found->second.size()));
}

std::string BearerCredential(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() || authorization[kScheme.size()] != ' ' ||
      !absl::EqualsIgnoreCase(absl::string_view(authorization.data(), kScheme.size()),
                              absl::string_view(kScheme.data(), kScheme.size()))) {
    return "";
  }
  std::string_view token = authorization.substr(kScheme.size());
  token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
  return std::string(token);
}

absl::StatusOr<Caller> Authenticator::Authenticate(const grpc::ServerContextBase& context) {
  const std::string token = BearerToken(context);
  if (!LooksLikeToken(token)) return Unauthenticated();
  Caller caller;
  caller.token_hash = TokenHash(token);
  const int64_t now = NowMicros();
  bool found = false;
  absl::Status status = store_->Read([&](sql::Connection& db) {
    auto result = AccountOfToken(db, caller.token_hash, now,
                                 Micros(std::chrono::microseconds(kSessionIdleTimeout)));
    if (!result.ok()) return result.status();
    if (!result->has_value()) return absl::OkStatus();
    found = true;
    caller.account = std::move((*result)->first);
    caller.token_kind = (*result)->second;
    return absl::OkStatus();
  });
  if (!status.ok()) return absl::UnavailableError("cannot check the token now; try again");
  if (!found) return Unauthenticated();

  bool write_last_use = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    int64_t& written = last_use_written_[caller.token_hash];
    if (now - written >= Micros(std::chrono::microseconds(kLastUseResolution))) {
      written = now;
      write_last_use = true;
    }
    // Forget tokens not seen for a while, so the map does not grow with every session ever.
    if (last_use_written_.size() > 100'000) {
      std::erase_if(last_use_written_, [&](const auto& entry) {
        return now - entry.second > Micros(std::chrono::microseconds(kSessionIdleTimeout));
      });
    }
  }
  if (write_last_use) {
    // Not waited for: the call is served now, the time of use reaches the disk with the next
    // group of writes. Losing it in a crash only shortens an idle session.
    store_->Write(
        [hash = caller.token_hash, now](sql::Connection& db) { return TouchToken(db, hash, now); },
        [](absl::Status) {});
  }
  return caller;
}

absl::Status RequireRole(const Caller& caller, std::initializer_list<v1::AccountRole> roles) {
  if (std::find(roles.begin(), roles.end(), caller.account.role) != roles.end()) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError("this call is not available to your role");
}

}  // namespace verkenner::service
