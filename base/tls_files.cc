#include "base/tls_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace verkenner::base {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Certificate = std::unique_ptr<X509, X509Free>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Bio MemoryBio(const std::string& text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// The first certificate of `pem`, or null.
Certificate FirstCertificate(const std::string& pem) {
  Bio bio = MemoryBio(pem);
  return Certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

absl::Status CheckValidNow(const X509& certificate, const std::string& path) {
  if (X509_cmp_current_time(X509_get0_notBefore(&certificate)) > 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the certificate is not valid yet"));
  }
  if (X509_cmp_current_time(X509_get0_notAfter(&certificate)) < 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the certificate has expired"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TlsFiles> LoadTlsFiles(const std::string& certificate_file,
                                      const std::string& key_file,
                                      const std::string& client_ca_file) {
  TlsFiles files;
  absl::StatusOr<std::string> chain = ReadFile(certificate_file);
  if (!chain.ok()) return chain.status();
  files.certificate_chain = std::move(*chain);
  Certificate certificate = FirstCertificate(files.certificate_chain);
  ERR_clear_error();
  if (certificate == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(certificate_file, ": no PEM certificate (BEGIN CERTIFICATE)"));
  }
  if (absl::Status valid = CheckValidNow(*certificate, certificate_file); !valid.ok()) {
    return valid;
  }
  absl::StatusOr<std::string> key_text = ReadFile(key_file);
  if (!key_text.ok()) return key_text.status();
  files.private_key = std::move(*key_text);
  Bio key_bio = MemoryBio(files.private_key);
  Key key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(key_file, ": no unencrypted PEM private key"));
  }
  if (X509_check_private_key(certificate.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        key_file, ": the key does not belong to the certificate in ", certificate_file));
  }
  if (client_ca_file.empty()) return files;
  absl::StatusOr<std::string> ca = ReadFile(client_ca_file);
  if (!ca.ok()) return ca.status();
  files.client_ca = std::move(*ca);
  if (FirstCertificate(files.client_ca) == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(client_ca_file, ": no PEM certificate (BEGIN CERTIFICATE)"));
  }
  return files;
}

}  // namespace verkenner::base
