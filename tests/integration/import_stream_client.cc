// A client process for import_stream_test: streams an import of generated rows to a server and
// dies (SIGKILL to itself) after a given number of batches, as a case system that crashes
// midway would. Usage:
//   import_stream_client ADDRESS TOKEN SOURCE IMPORT_ID MODE ROWS VERSION BATCH_ROWS DIE_AFTER
// MODE is 1 (INCREMENTAL) or 2 (FULL_SYNC). Exits 1 when it could not even start.
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "engine/refdata/reference_data.h"
#include "tests/integration/import_stream.h"

int main(int argc, char** argv) {
  if (argc != 10) {
    std::cerr << "import_stream_client: 9 arguments expected\n";
    return 2;
  }
  auto reference =
      verkenner::engine::ReferenceData::Load(verkenner::engine::ReferenceData::DefaultDirectory());
  if (!reference.ok()) {
    std::cerr << "import_stream_client: " << reference.status() << "\n";
    return 1;
  }
  auto rows =
      verkenner::testing::SourceRows(*reference, argv[3], std::atoi(argv[6]), std::atoi(argv[7]));
  if (!rows.ok()) {
    std::cerr << "import_stream_client: " << rows.status() << "\n";
    return 1;
  }
  verkenner::v1::ImportHeader header;
  header.set_source(argv[3]);
  header.set_import_id(argv[4]);
  header.set_mode(static_cast<verkenner::v1::ImportMode>(std::atoi(argv[5])));
  auto stub = verkenner::v1::ProfileImportService::NewStub(
      grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials()));
  verkenner::v1::ImportProfilesResponse response;
  grpc::Status status = verkenner::testing::SendImport(
      *stub, argv[2], header, *rows, std::atoi(argv[8]), verkenner::testing::StreamEnd::kDie,
      std::atoi(argv[9]), response);
  // Reached only when the server ended the call before the client could die.
  std::cerr << "import_stream_client: the call ended first: " << status.error_message() << "\n";
  return 1;
}
