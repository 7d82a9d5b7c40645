#include "base/host_port.h"

#include <unistd.h>

#include <charconv>

namespace verkenner::base {

std::optional<HostPort> SplitHostPort(std::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view digits = address.substr(colon + 1);
  unsigned port = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
      port > 65535) {
    return std::nullopt;
  }
  return HostPort{std::string(address.substr(0, colon)), static_cast<uint16_t>(port)};
}

std::string JoinHostPort(std::string_view host, uint16_t port) {
  const bool bare_ipv6 = host.find(':') != std::string_view::npos && !host.starts_with('[');
  std::string address = bare_ipv6 ? "[" : "";
  address.append(host);
  if (bare_ipv6) address.push_back(']');
  return address + ":" + std::to_string(port);
}

std::string ReachableAddress(std::string_view listen_address, uint16_t port) {
  std::string host = "127.0.0.1";
  if (std::optional<HostPort> listen = SplitHostPort(listen_address)) host = listen->host;
  if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::") host = HostName();
  return JoinHostPort(host, port);
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace verkenner::base
