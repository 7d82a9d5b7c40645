#include "service/auth/client_address.h"

#include <algorithm>
#include <string_view>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace verkenner::service {
namespace {

bool IsTrusted(absl::string_view address, const std::vector<std::string>& trusted_proxies) {
  return std::find(trusted_proxies.begin(), trusted_proxies.end(), address) !=
         trusted_proxies.end();
}

// Only what an IP address is made of: anything else in X-Forwarded-For is not an address.
bool LooksLikeIpAddress(absl::string_view text) {
  return !text.empty() && text.size() <= 45 &&
         text.find_first_not_of("0123456789abcdefABCDEF.:") == absl::string_view::npos;
}

}  // namespace

std::string ClientAddress(const std::string& peer, const std::string& forwarded_for,
                          const std::vector<std::string>& trusted_proxies) {
  std::string client = peer;
  if (!IsTrusted(client, trusted_proxies)) return client;
  std::vector<absl::string_view> hops = absl::StrSplit(forwarded_for, ',');
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    const absl::string_view address = absl::StripAsciiWhitespace(*hop);
    if (!LooksLikeIpAddress(address)) break;  // the proxy we trust did not write this
    client = std::string(address);
    if (!IsTrusted(client, trusted_proxies)) break;
  }
  return client;
}

}  // namespace verkenner::service
