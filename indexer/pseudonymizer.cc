#include "indexer/pseudonymizer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace verkenner::indexer {
namespace {
constexpr size_t kProfileIdBytes = 12;
}  // namespace

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
  return std::unique_ptr<Pseudonymizer>(new Pseudonymizer(std::move(key)));
}

std::string Pseudonymizer::ProfileId(std::string_view source,
                                     std::string_view client_number) const {
  // The unit separator cannot occur in either part, so ("GM01", "23") and ("GM012", "3") differ.
  std::string message = absl::StrCat(std::string(source), "\x1f", std::string(client_number));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
       &digest_length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(kProfileIdBytes * 2);
  for (size_t i = 0; i < kProfileIdBytes; ++i) {
    id.push_back(kHex[digest[i] >> 4]);
    id.push_back(kHex[digest[i] & 0xf]);
  }
  return id;
}

}  // namespace verkenner::indexer
