#ifndef VERKENNER_INDEXER_PSEUDONYMIZER_H_
#define VERKENNER_INDEXER_PSEUDONYMIZER_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace verkenner::indexer {

// Turns (source, client number) into a profile id: HMAC-SHA256 under a secret key, truncated to
// 96 bits and hex-encoded (24 characters). Keyed, never a plain hash: only ~9x10^7 numbers pass
// the BSN elfproef and client numbers are guessable, so an unkeyed hash would be reversed by
// enumeration in minutes. Stable for a given key, so re-imports update rather than duplicate.
//
// Thread-safe (immutable after construction).
class Pseudonymizer {
 public:
  // At least this many key bytes; `openssl rand -out FILE 32` makes a good key file.
  static constexpr size_t kMinimumKeyBytes = 32;

  // Reads the key from `key_file`. Errors: NotFound if the file is missing, InvalidArgument if
  // it is shorter than kMinimumKeyBytes, PermissionDenied if others than the owner may read it.
  static absl::StatusOr<std::unique_ptr<Pseudonymizer>> FromKeyFile(const std::string& key_file);
  // For tests: a key given directly.
  static absl::StatusOr<std::unique_ptr<Pseudonymizer>> FromKey(std::string key);
  ~Pseudonymizer();

  std::string ProfileId(std::string_view source, std::string_view client_number) const;
  // Whether `text` has the shape of a ProfileId (24 lowercase hexadecimal characters), so that
  // callers can turn away malformed ids before they cost anything. Says nothing about whether
  // such a profile exists.
  static bool LooksLikeProfileId(std::string_view text);

  // $VERKENNER_PSEUDONYM_KEY if set, else ~/.config/verkenner/pseudonym.key (outside any
  // repository; scripts/setup creates it).
  static std::string DefaultKeyFile();

 private:
  // SHA-256 states after absorbing the key XOR ipad and XOR opad (RFC 2104): HMAC needs them
  // for every id, and computing them once saves two of the four compression rounds per id, and
  // OpenSSL's algorithm look-up (a lock) that its one-shot HMAC() does on every call.
  struct PadStates;
  explicit Pseudonymizer(std::unique_ptr<PadStates> pads);

  std::unique_ptr<PadStates> pads_;
};

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_PSEUDONYMIZER_H_
