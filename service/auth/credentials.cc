#include "service/auth/credentials.h"

#include <sodium.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace verkenner::service {
namespace {

static_assert(kPasswordHashPasses >= crypto_pwhash_argon2id_OPSLIMIT_MIN &&
              kPasswordHashPasses <= crypto_pwhash_argon2id_OPSLIMIT_MAX);
static_assert(kPasswordHashMemoryBytes >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
              kPasswordHashMemoryBytes <= crypto_pwhash_argon2id_MEMLIMIT_MAX);
static_assert(kMaxPasswordBytes <= crypto_pwhash_argon2id_PASSWD_MAX);
// The encoded length without padding: four characters per three bytes, rounded up.
static_assert(kTokenLength == (kTokenBytes * 4 + 2) / 3);
static_assert(sodium_base64_ENCODED_LEN(kTokenBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
              kTokenLength + 1);

// libsodium must be initialised before use (it picks implementations and seeds its generator).
// A function-local static makes that happen exactly once, whichever thread comes first.
std::atomic<int64_t> verifications{0};

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

bool PasswordLengthAccepted(std::string_view password) {
  return !password.empty() && password.size() <= kMaxPasswordBytes;
}

// libsodium reads an encoded hash as a C string of fewer than crypto_pwhash_STRBYTES characters.
// Anything else cannot be a hash it wrote, and is turned away before libsodium parses it.
bool EncodedHashFitsLibsodium(const std::string& encoded_hash) {
  return encoded_hash.size() < crypto_pwhash_STRBYTES &&
         encoded_hash.find('\0') == std::string::npos;
}

}  // namespace

absl::StatusOr<std::string> HashPassword(std::string_view password) {
  // The messages name the field and the rule, never the password or its length.
  if (password.empty()) return absl::InvalidArgumentError("password must not be empty");
  if (password.size() > kMaxPasswordBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("password must be at most ", kMaxPasswordBytes, " bytes"));
  }
  if (!SodiumReady()) return absl::InternalError("libsodium could not be initialised");

  std::array<char, crypto_pwhash_STRBYTES> encoded{};
  errno = 0;
  if (crypto_pwhash_str_alg(encoded.data(), password.data(), password.size(), kPasswordHashPasses,
                            kPasswordHashMemoryBytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    // With valid limits (see the static_asserts) the one way to fail is the memory allocation.
    if (errno == ENOMEM) {
      return absl::ResourceExhaustedError("no memory for hashing the password");
    }
    return absl::InternalError("argon2id password hashing failed");
  }
  return std::string(encoded.data());
}

int64_t PasswordVerifications() { return verifications.load(std::memory_order_relaxed); }

bool VerifyPassword(std::string_view password, const std::string& encoded_hash) {
  if (!PasswordLengthAccepted(password) || !EncodedHashFitsLibsodium(encoded_hash)) return false;
  if (!SodiumReady()) return false;
  verifications.fetch_add(1, std::memory_order_relaxed);
  return crypto_pwhash_str_verify(encoded_hash.c_str(), password.data(), password.size()) == 0;
}

bool PasswordHashNeedsRehash(const std::string& encoded_hash) {
  if (!EncodedHashFitsLibsodium(encoded_hash) || !SodiumReady()) return true;
  // 0: today's cost; 1: another cost or argon2i; -1: not a hash libsodium can read.
  return crypto_pwhash_str_needs_rehash(encoded_hash.c_str(), kPasswordHashPasses,
                                        kPasswordHashMemoryBytes) != 0;
}

void VerifyAgainstDummyHash(std::string_view password) {
  // Hashed from a random token, so no password verifies against it; computed once, because a
  // hash per call would cost as much as the verification we are imitating, on top of it.
  static const absl::StatusOr<std::string> dummy_hash = HashPassword(NewToken());
  if (dummy_hash.ok()) {
    static_cast<void>(VerifyPassword(password, *dummy_hash));
  } else if (PasswordLengthAccepted(password)) {
    // The dummy could not be made (out of memory at that moment). Hashing the password costs what
    // a verification costs, so the timing still matches a wrong password.
    static_cast<void>(HashPassword(password));
  }
}

std::string NewToken() {
  // A token from an uninitialised generator could be predictable; handing one out would be worse
  // than stopping. sodium_init only fails when the system has no source of randomness at all.
  if (!SodiumReady()) std::abort();
  std::array<unsigned char, kTokenBytes> random;
  randombytes_buf(random.data(), random.size());
  std::array<char, kTokenLength + 1> encoded;
  sodium_bin2base64(encoded.data(), encoded.size(), random.data(), random.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(random.data(), random.size());
  return std::string(encoded.data(), kTokenLength);
}

std::string TokenHash(std::string_view token) {
  // A fast, unsalted hash is right here and would be wrong for passwords. A password comes from a
  // person and an attacker with the store guesses the likely ones, so each guess has to be made
  // expensive (argon2id). A token has 256 random bits: nobody can guess one, however cheap a
  // guess is, so the hash only has to be one-way. Being deterministic and fast, it also lets the
  // store find a token by its hash on every request; lookup timing reveals the hash, not the
  // token.
  static_cast<void>(SodiumReady());  // SHA-256 needs no randomness, so it works either way
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest;
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size());
  std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex;
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return std::string(hex.data(), crypto_hash_sha256_BYTES * 2);
}

bool LooksLikeToken(std::string_view text) {
  if (text.size() != kTokenLength) return false;
  for (const char c : text) {
    const bool url_safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!url_safe) return false;
  }
  return true;
}

}  // namespace verkenner::service
