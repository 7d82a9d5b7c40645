#ifndef VERKENNER_BASE_SHA256_H_
#define VERKENNER_BASE_SHA256_H_

#include <string>
#include <string_view>

namespace verkenner::base {

// SHA-256 of `bytes` as 64 lowercase hexadecimal characters (OpenSSL). Thread-safe.
std::string Sha256Hex(std::string_view bytes);

}  // namespace verkenner::base

#endif  // VERKENNER_BASE_SHA256_H_
