#ifndef VERKENNER_SERVICE_AUTH_CREDENTIALS_H_
#define VERKENNER_SERVICE_AUTH_CREDENTIALS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

// The secrets of accounts, sessions and API tokens, and what the store keeps of them instead.
// Passwords are kept as argon2id hashes; session and API tokens are random 256-bit values kept
// only as SHA-256 hashes, so a copy of the store lets nobody log in.
//
// Every function is thread-safe and keeps no state besides libsodium's one-time initialisation
// and the dummy hash of VerifyAgainstDummyHash. Nothing here logs, and no error message contains a
// password or token.
namespace verkenner::service {

// The argon2id cost of new password hashes: libsodium's INTERACTIVE limits, 2 passes over 64 MiB
// (one lane; libsodium always uses p=1). That is above every OWASP-recommended argon2id setting
// (the weakest of which is 19 MiB with 2 passes) and is what libsodium's authors suggest for
// online logins. On the 2-core development server one hash or verification takes about 70 ms
// (69 ms best, 100 ms mean of 5 while other builds ran), so a login stays well below the second a
// person notices and a test suite can afford a few dozen hashes. The OWASP minimum measured
// 15 ms; we keep the stronger setting because logins are rare and the difference is invisible.
//
// The cost of a hash is its memory: each hash or verification in flight holds 64 MiB. More of
// them in flight than there are cores buys no throughput, so callers should bound concurrent
// password work (e.g. to the core count) rather than run one per request thread.
inline constexpr uint64_t kPasswordHashPasses = 2;                            // argon2 "t"
inline constexpr size_t kPasswordHashMemoryBytes = size_t{64} * 1024 * 1024;  // argon2 "m"

// Longer passwords are refused: no person types more, and argon2 would accept megabytes.
inline constexpr size_t kMaxPasswordBytes = 1024;

// Tokens are kTokenBytes random bytes, written as unpadded base64url of kTokenLength characters.
inline constexpr size_t kTokenBytes = 32;
inline constexpr size_t kTokenLength = 43;

// The argon2id hash of `password` in the standard encoding
// ("$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>", at most 127 characters), with a fresh random
// salt, so two hashes of one password differ. Passwords are compared as bytes: no Unicode
// normalisation happens here.
//
// Errors: InvalidArgument naming "password" if it is empty or longer than kMaxPasswordBytes;
// ResourceExhausted if the hash's memory could not be had; Internal if libsodium cannot start.
absl::StatusOr<std::string> HashPassword(std::string_view password);

// Whether `password` is the one `encoded_hash` (from HashPassword, with any cost) was made from.
// False for a wrong password, for a password HashPassword would refuse, and for anything that is
// not a well-formed argon2id or argon2i hash. Takes as long as one hash with the cost recorded in
// `encoded_hash`.
bool VerifyPassword(std::string_view password, const std::string& encoded_hash);

// How many argon2id verifications (VerifyPassword, VerifyAgainstDummyHash) this process has
// started: what a throttle must keep from growing. For metrics and tests.
int64_t PasswordVerifications();

// Whether `encoded_hash` was made with a cost other than today's, and should be replaced by
// HashPassword after the next successful login (the only moment the password is known). True for
// argon2i and malformed hashes too.
bool PasswordHashNeedsRehash(const std::string& encoded_hash);

// Spends the time of VerifyPassword against a hash of today's cost, and discards the result. A
// login for an unknown account calls it, so that it takes as long as a wrong password for a known
// one and response times do not tell which e-mail addresses have an account. The first call
// computes the dummy hash once (one extra hash); later calls only verify.
void VerifyAgainstDummyHash(std::string_view password);

// A new session or API token: kTokenBytes from libsodium's CSPRNG as unpadded base64url, exactly
// kTokenLength characters of [A-Za-z0-9_-]. Give it to the client once and store only TokenHash.
std::string NewToken();

// What the store keeps instead of `token`: its SHA-256 as 64 lowercase hexadecimal characters.
// Deterministic, so the store finds a presented token by looking up its hash.
std::string TokenHash(std::string_view token);

// Whether `text` has the shape of a token: exactly kTokenLength characters of the base64url
// alphabet. Lets callers turn away garbage before touching the store; says nothing about whether
// the token was ever issued.
bool LooksLikeToken(std::string_view text);

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_AUTH_CREDENTIALS_H_
