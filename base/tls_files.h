#ifndef VERKENNER_BASE_TLS_FILES_H_
#define VERKENNER_BASE_TLS_FILES_H_

#include <string>

#include "absl/status/statusor.h"

namespace verkenner::base {

// A listener's TLS material as PEM text, read and checked once at start (issue 18): the
// certificate chain it presents, its private key, and, for mutual TLS, the CA certificates a
// client's certificate must chain to.
struct TlsFiles {
  std::string certificate_chain;
  std::string private_key;
  std::string client_ca;  // empty: clients present no certificate
};

// Reads `certificate_file` (one or more PEM certificates, the server's first), `key_file` (its
// PEM private key) and, unless empty, `client_ca_file` (PEM CA certificates). Refuses what a
// listener could not honour, before it listens: a file that cannot be read or holds no PEM of
// its kind, a key that does not belong to the certificate, a certificate that has expired or is
// not valid yet. Errors: InvalidArgument naming the file and the fault (never the key's
// content).
absl::StatusOr<TlsFiles> LoadTlsFiles(const std::string& certificate_file,
                                      const std::string& key_file,
                                      const std::string& client_ca_file);

}  // namespace verkenner::base

#endif  // VERKENNER_BASE_TLS_FILES_H_
