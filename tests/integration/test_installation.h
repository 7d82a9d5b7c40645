#ifndef VERKENNER_TESTS_INTEGRATION_TEST_INSTALLATION_H_
#define VERKENNER_TESTS_INTEGRATION_TEST_INSTALLATION_H_

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "engine/refdata/reference_data.h"
#include "service/server.h"
#include "tests/integration/test_index.h"
#include "tests/test_store.h"

namespace verkenner::testing {

// One test's installation, the set an operator runs: a fresh directory, the reference data, the
// store (SQLite, or PostgreSQL when the run says so) and an index of synthetic profiles whose
// vault lives where the store says (TestStore::VaultTarget). The directory goes with it.
struct TestInstallation {
  std::filesystem::path directory;
  std::shared_ptr<const engine::ReferenceData> reference;
  std::unique_ptr<TestStore> store;
  TestIndex index;

  ~TestInstallation() {
    store.reset();  // a PostgreSQL database is dropped before its directory goes
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  }

  // An in-process server on all of it: 127.0.0.1:0, one search thread, the index's key and day.
  service::Server::Options ServerOptions() const {
    service::Server::Options options;
    options.listen_address = "127.0.0.1:0";
    options.index_path = index.index_path;
    options.store_path = store->target();
    options.vault_path = index.vault_path;
    options.pseudonymizer = index.pseudonymizer;
    options.reference_data = reference;
    options.search_threads = 1;
    options.today = [] { return kTestToday; };
    return options;
  }
};

// An installation in the temporary directory verkenner-<name>-<pid>, with `profiles` profiles.
inline absl::StatusOr<std::unique_ptr<TestInstallation>> CreateTestInstallation(
    const std::string& name, int profiles) {
  auto installation = std::make_unique<TestInstallation>();
  installation->directory =
      std::filesystem::temp_directory_path() / absl::StrCat("verkenner-", name, "-", getpid());
  std::filesystem::remove_all(installation->directory);
  std::filesystem::create_directories(installation->directory);
  auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
  if (!reference.ok()) return reference.status();
  installation->reference = *reference;
  auto store = TestStore::Create(installation->directory);
  if (!store.ok()) return store.status();
  installation->store = std::move(*store);
  auto index = BuildTestIndex(installation->directory, profiles, installation->reference,
                              installation->store->VaultTarget(installation->directory));
  if (!index.ok()) return index.status();
  installation->index = std::move(*index);
  return installation;
}

}  // namespace verkenner::testing

#endif  // VERKENNER_TESTS_INTEGRATION_TEST_INSTALLATION_H_
