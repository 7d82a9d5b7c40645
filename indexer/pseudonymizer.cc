#include "indexer/pseudonymizer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace verkenner::indexer {
namespace {
constexpr size_t kProfileIdBytes = 12;
constexpr size_t kSha256BlockBytes = 64;

struct DigestContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using DigestContext = std::unique_ptr<EVP_MD_CTX, DigestContextDeleter>;
struct DigestDeleter {
  void operator()(EVP_MD* digest) const { EVP_MD_free(digest); }
};
}  // namespace

struct Pseudonymizer::PadStates {
  std::unique_ptr<EVP_MD, DigestDeleter> sha256;
  DigestContext inner;  // after absorbing key XOR ipad
  DigestContext outer;  // after absorbing key XOR opad
};

Pseudonymizer::Pseudonymizer(std::unique_ptr<PadStates> pads) : pads_(std::move(pads)) {}
Pseudonymizer::~Pseudonymizer() = default;

std::string Pseudonymizer::DefaultKeyFile() {
  if (const char* configured = std::getenv("VERKENNER_PSEUDONYM_KEY");
      configured != nullptr && *configured != '\0') {
    return configured;
  }
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : ".", "/.config/verkenner/pseudonym.key");
}

absl::StatusOr<std::unique_ptr<Pseudonymizer>> Pseudonymizer::FromKeyFile(
    const std::string& key_file) {
  struct stat info {};
  if (stat(key_file.c_str(), &info) != 0) {
    return absl::NotFoundError(absl::StrCat("pseudonym key file ", key_file,
                                            " does not exist; create one with: openssl rand -out ",
                                            key_file, " 32 && chmod 600 ", key_file));
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "pseudonym key file ", key_file, " is accessible to others; run: chmod 600 ", key_file));
  }
  std::ifstream in(key_file, std::ios::binary);
  std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    return absl::UnavailableError(absl::StrCat("cannot read pseudonym key file ", key_file));
  }
  return FromKey(std::move(key));
}

absl::StatusOr<std::unique_ptr<Pseudonymizer>> Pseudonymizer::FromKey(std::string key) {
  if (key.size() < kMinimumKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pseudonym key has ", key.size(), " bytes; at least ", kMinimumKeyBytes, " are needed"));
  }
  auto pads = std::make_unique<PadStates>();
  pads->sha256.reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  pads->inner.reset(EVP_MD_CTX_new());
  pads->outer.reset(EVP_MD_CTX_new());
  if (pads->sha256 == nullptr || pads->inner == nullptr || pads->outer == nullptr) {
    return absl::InternalError("OpenSSL provides no SHA-256");
  }
  unsigned char block[kSha256BlockBytes] = {};
  if (key.size() > kSha256BlockBytes) {
    unsigned int length = 0;
    EVP_Digest(key.data(), key.size(), block, &length, pads->sha256.get(), nullptr);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  OPENSSL_cleanse(key.data(), key.size());
  unsigned char inner_pad[kSha256BlockBytes];
  unsigned char outer_pad[kSha256BlockBytes];
  for (size_t i = 0; i < kSha256BlockBytes; ++i) {
    inner_pad[i] = block[i] ^ 0x36;
    outer_pad[i] = block[i] ^ 0x5c;
  }
  const bool ready = EVP_DigestInit_ex(pads->inner.get(), pads->sha256.get(), nullptr) == 1 &&
                     EVP_DigestUpdate(pads->inner.get(), inner_pad, sizeof(inner_pad)) == 1 &&
                     EVP_DigestInit_ex(pads->outer.get(), pads->sha256.get(), nullptr) == 1 &&
                     EVP_DigestUpdate(pads->outer.get(), outer_pad, sizeof(outer_pad)) == 1;
  OPENSSL_cleanse(block, sizeof(block));
  OPENSSL_cleanse(inner_pad, sizeof(inner_pad));
  OPENSSL_cleanse(outer_pad, sizeof(outer_pad));
  if (!ready) return absl::InternalError("cannot set up HMAC-SHA256");
  return std::unique_ptr<Pseudonymizer>(new Pseudonymizer(std::move(pads)));
}

bool Pseudonymizer::LooksLikeProfileId(std::string_view text) {
  return text.size() == 2 * kProfileIdBytes &&
         text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string Pseudonymizer::ProfileId(std::string_view source,
                                     std::string_view client_number) const {
  // The unit separator cannot occur in either part, so ("GM01", "23") and ("GM012", "3") differ.
  static constexpr char kSeparator = '\x1f';
  // One context per thread, so that ids can be computed concurrently without allocating.
  thread_local DigestContext context(EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  EVP_MD_CTX* hash = context.get();
  EVP_MD_CTX_copy_ex(hash, pads_->inner.get());
  EVP_DigestUpdate(hash, source.data(), source.size());
  EVP_DigestUpdate(hash, &kSeparator, 1);
  EVP_DigestUpdate(hash, client_number.data(), client_number.size());
  EVP_DigestFinal_ex(hash, digest, &digest_length);
  EVP_MD_CTX_copy_ex(hash, pads_->outer.get());
  EVP_DigestUpdate(hash, digest, digest_length);
  EVP_DigestFinal_ex(hash, digest, &digest_length);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), kProfileIdBytes));
}

}  // namespace verkenner::indexer
