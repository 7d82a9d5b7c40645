#ifndef VERKENNER_SERVICE_AUTH_CLIENT_ADDRESS_H_
#define VERKENNER_SERVICE_AUTH_CLIENT_ADDRESS_H_

#include <string>
#include <vector>

namespace verkenner::service {

// The address of the client behind a request from `peer` carrying X-Forwarded-For
// `forwarded_for`: `peer` itself unless it is one of `trusted_proxies`; else, walking the header
// from its end (each proxy appends the address it saw), the first address that is not a trusted
// proxy. A client can write anything at the start of the header, never at its end. The one rule
// for the web gateway's HTTP requests and for gRPC calls through a proxy (HAProxy in front of
// several instances), whose peer is the proxy.
std::string ClientAddress(const std::string& peer, const std::string& forwarded_for,
                          const std::vector<std::string>& trusted_proxies);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_AUTH_CLIENT_ADDRESS_H_
