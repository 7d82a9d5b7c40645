#include "tests/test_store.h"

#include <cstdlib>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/postgres/pg_connection.h"

namespace verkenner::testing {
namespace {

absl::Status RunOnServer(const std::string& admin_target, const std::string& sql) {
  auto admin = postgres::PgConnection::Open("test server", admin_target,
                                            postgres::PgConnection::Mode::kReadWrite);
  if (!admin.ok()) return admin.status();
  return (*admin)->Execute(sql.c_str(), sql.substr(0, sql.find(' ', 7)));
}

}  // namespace

bool TestingOnPostgres() {
  const char* store = std::getenv("VERKENNER_TEST_STORE");
  return store != nullptr && std::string(store) == "postgresql";
}

absl::StatusOr<std::unique_ptr<TestStore>> TestStore::Create(
    const std::filesystem::path& directory) {
  std::unique_ptr<TestStore> store(new TestStore());
  if (!TestingOnPostgres()) {
    store->target_ = (directory / "store.db").string();
    return store;
  }
  const char* state = std::getenv("VERKENNER_TEST_POSTGRES");
  if (state == nullptr) {
    return absl::FailedPreconditionError(
        "VERKENNER_TEST_STORE=postgresql needs VERKENNER_TEST_POSTGRES, the state directory of "
        "`scripts/postgres start`");
  }
  std::ifstream in(std::filesystem::path(state) / "target");
  std::string admin_target;
  if (!std::getline(in, admin_target) || admin_target.find("/postgres?") == std::string::npos) {
    return absl::FailedPreconditionError(absl::StrCat("no server target in ", state, "/target"));
  }
  std::random_device random;
  store->database_ = absl::StrCat("t_", random(), "_", random());
  // template0 with the C locale: lower() folds ASCII only, as SQLite's does.
  if (absl::Status status = RunOnServer(
          admin_target, absl::StrCat("CREATE DATABASE ", store->database_,
                                     " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' "
                                     "LC_CTYPE 'C'"));
      !status.ok()) {
    store->database_.clear();
    return status;
  }
  store->admin_target_ = admin_target;
  store->target_ =
      absl::StrReplaceAll(admin_target, {{"/postgres?", absl::StrCat("/", store->database_, "?")}});
  return store;
}

TestStore::~TestStore() {
  if (database_.empty()) return;
  // FORCE: a server under test may still hold connections.
  (void)RunOnServer(admin_target_, absl::StrCat("DROP DATABASE ", database_, " WITH (FORCE)"));
}

}  // namespace verkenner::testing
