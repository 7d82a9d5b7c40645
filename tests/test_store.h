#ifndef VERKENNER_TESTS_TEST_STORE_H_
#define VERKENNER_TESTS_TEST_STORE_H_

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace verkenner::testing {

// The store a test runs against. By default an SQLite file in the test's directory; when the
// environment says VERKENNER_TEST_STORE=postgresql, a new database on the PostgreSQL server that
// `scripts/postgres start STATE` started (STATE in $VERKENNER_TEST_POSTGRES: ctest's `postgres`
// fixture), dropped again when the TestStore goes. So the same test binary runs on both: ctest
// registers each twice.
class TestStore {
 public:
  // Errors: FailedPrecondition when PostgreSQL is asked for but no server is named; those of
  // creating the database.
  static absl::StatusOr<std::unique_ptr<TestStore>> Create(const std::filesystem::path& directory);
  ~TestStore();
  TestStore(const TestStore&) = delete;
  TestStore& operator=(const TestStore&) = delete;

  // What Store::Open, verkenner-server --store and verkenner-admin --store take.
  const std::string& target() const { return target_; }
  bool postgres() const { return !database_.empty(); }
  // Where the test's identity vault lives, as verkenner-server --vault takes it: on PostgreSQL
  // the test's database (its schema `vault`), else the file vault.db in `directory`.
  std::string VaultTarget(const std::filesystem::path& directory) const {
    return postgres() ? target_ : (directory / "vault.db").string();
  }

 private:
  TestStore() = default;

  std::string target_;
  std::string admin_target_;  // PostgreSQL: the server's `postgres` database
  std::string database_;      // PostgreSQL: the database made for this test
};

// Whether this run is the PostgreSQL variant (VERKENNER_TEST_STORE=postgresql).
bool TestingOnPostgres();

}  // namespace verkenner::testing

#endif  // VERKENNER_TESTS_TEST_STORE_H_
