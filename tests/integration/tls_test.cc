// TLS on the gRPC and HTTP listeners (--tls_cert, --tls_key, --tls_client_ca) of a real
// verkenner-server, with certificates this test makes with openssl: a client that trusts the CA
// calls over TLS (gRPC, and curl over HTTPS), a plain client and one that trusts another CA get
// nothing; with a client CA only a client with a certificate it signed gets in; and the server
// refuses, before it listens, material it could not use (exit 2 naming the file).
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/integration/server_process.h"
#include "tests/integration/test_accounts.h"
#include "tests/integration/test_index.h"
#include "tests/program_run.h"
#include "tests/service/raw_http_client.h"
#include "verkenner/v1/sessions.grpc.pb.h"

namespace verkenner {
namespace {

namespace fs = std::filesystem;

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    directory_ = new fs::path(fs::temp_directory_path() / absl::StrCat("verkenner-tls-", getpid()));
    fs::remove_all(*directory_);
    fs::create_directories(*directory_);
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    ASSERT_TRUE(reference.ok()) << reference.status();
    auto index = testing::BuildTestIndex(*directory_, 20, *reference);
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = new std::string(index->index_path);
    store_ = new std::string((*directory_ / "store.db").string());
    auto token = testing::AddAccountWithToken(
        *store_, testing::TestEmployer("werkgever@bakkerij.example", "Bakkerij"));
    ASSERT_TRUE(token.ok()) << token.status();
    token_ = new std::string(*token);
    // A CA, the server's certificate for 127.0.0.1 and a client's, both signed by it; another
    // CA with a client certificate of its own; and a key that belongs to none of them.
    MakeCa("ca");
    MakeCertificate("server", "ca", "subjectAltName=IP:127.0.0.1");
    MakeCertificate("client", "ca", "extendedKeyUsage=clientAuth");
    MakeCertificate("expired", "ca", "subjectAltName=IP:127.0.0.1", "-1");  // yesterday
    MakeCa("other-ca");
    MakeCertificate("stranger", "other-ca", "extendedKeyUsage=clientAuth");
    OpenSsl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + Path("lost.key"));
  }

  static void TearDownTestSuite() {
    fs::remove_all(*directory_);
    delete directory_;
    delete index_;
    delete store_;
    delete token_;
  }

  void TearDown() override { server_.reset(); }

  static std::string Path(const std::string& name) { return (*directory_ / name).string(); }
  static std::string Read(const std::string& name) { return ReadWholeFile(Path(name)); }

  static void OpenSsl(const std::string& arguments) {
    const std::string command =
        absl::StrCat("cd '", directory_->string(), "' && openssl ", arguments, " 2>/dev/null");
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  static void MakeCa(const std::string& name) {
    OpenSsl(absl::StrCat("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 ",
                         "-subj '/CN=Verkenner test ", name, "' -keyout ", name, ".key -out ", name,
                         ".pem"));
  }
  static void MakeCertificate(const std::string& name, const std::string& ca,
                              const std::string& extension, const std::string& days = "2") {
    std::ofstream(Path(name + ".ext")) << extension << "\n";
    OpenSsl(absl::StrCat("req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=", name,
                         "' -keyout ", name, ".key -out ", name, ".csr"));
    OpenSsl(absl::StrCat("x509 -req -in ", name, ".csr -CA ", ca, ".pem -CAkey ", ca,
                         ".key -CAcreateserial -days ", days, " -extfile ", name, ".ext -out ",
                         name, ".pem"));
  }

  std::vector<std::string> Arguments(std::vector<std::string> more) const {
    std::vector<std::string> arguments = {VERKENNER_SERVER_BINARY, "--index=" + *index_,
                                          "--store=" + *store_,    "--search_threads=1",
                                          "--listen=127.0.0.1:0",  "--http_listen=127.0.0.1:0"};
    arguments.insert(arguments.end(), more.begin(), more.end());
    return arguments;
  }

  void Start(std::vector<std::string> tls) {
    auto server = testing::StartServer(Arguments(std::move(tls)), Path("server.log"));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::make_unique<testing::ServerProcess>(std::move(*server));
  }

  // GetCurrentAccount with the test's token over `credentials`.
  grpc::Status Call(std::shared_ptr<grpc::ChannelCredentials> credentials) {
    auto stub = v1::SessionService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port), credentials));
    grpc::ClientContext context;
    testing::Authorize(context, *token_);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::GetCurrentAccountRequest request;
    v1::GetCurrentAccountResponse response;
    return stub->GetCurrentAccount(&context, request, &response);
  }

  // curl POSTs GetCurrentAccount with the test's token to `scheme`://127.0.0.1:<web port>, with
  // `options` (--cacert, --cert, --key); its exit code and what it printed (the HTTP status
  // last).
  ProgramRun Curl(const std::string& scheme, std::vector<std::string> options) {
    std::vector<std::string> arguments = {"--silent",   "--show-error",
                                          "--max-time", "10",
                                          "-X",         "POST",
                                          "-d",         "{}",
                                          "-H",         "authorization: Bearer " + *token_,
                                          "-H",         "content-type: application/json",
                                          "-w",         "\n%{http_code}"};
    for (std::string& option : options) arguments.push_back(std::move(option));
    arguments.push_back(absl::StrCat(scheme, "://127.0.0.1:", server_->http_port,
                                     "/api/v1/SessionService/GetCurrentAccount"));
    return RunProgram("/usr/bin/curl", arguments, *directory_);
  }

  static std::shared_ptr<grpc::ChannelCredentials> Trusting(const std::string& ca,
                                                            const std::string& client = "") {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = Read(ca + ".pem");
    if (!client.empty()) {
      options.pem_private_key = Read(client + ".key");
      options.pem_cert_chain = Read(client + ".pem");
    }
    return grpc::SslCredentials(options);
  }

  static fs::path* directory_;
  static std::string* index_;
  static std::string* store_;
  static std::string* token_;
  std::unique_ptr<testing::ServerProcess> server_;
};

fs::path* TlsTest::directory_ = nullptr;
std::string* TlsTest::index_ = nullptr;
std::string* TlsTest::store_ = nullptr;
std::string* TlsTest::token_ = nullptr;

TEST_F(TlsTest, AClientThatTrustsTheCaCallsOverTlsAndNoOtherDoes) {
  Start({"--tls_cert=" + Path("server.pem"), "--tls_key=" + Path("server.key")});
  EXPECT_NE(server_->said.find("(TLS)"), std::string::npos) << server_->said;
  grpc::Status trusted = Call(Trusting("ca"));
  EXPECT_TRUE(trusted.ok()) << trusted.error_message();
  EXPECT_EQ(Call(grpc::InsecureChannelCredentials()).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call(Trusting("other-ca")).error_code(), grpc::StatusCode::UNAVAILABLE);
  // The web listener: HTTPS with the same certificate, and nothing in plain HTTP.
  EXPECT_NE(server_->said.find("(HTTPS)"), std::string::npos) << server_->said;
  ProgramRun https = Curl("https", {"--cacert", Path("ca.pem")});
  EXPECT_EQ(https.exit_code, 0) << https.err;
  EXPECT_NE(https.out.find("werkgever@bakkerij.example"), std::string::npos) << https.out;
  EXPECT_TRUE(https.out.ends_with("\n200")) << https.out;
  EXPECT_NE(Curl("http", {}).exit_code, 0);
  EXPECT_EQ(Curl("https", {"--cacert", Path("other-ca.pem")}).exit_code, 60)
      << "60: the server's certificate could not be verified";
  // The command-line client too, verifying the server with --tls_ca.
  std::ofstream(Path("employer.token")) << *token_ << "\n";
  ProgramRun search = RunProgram(
      VERKENNER_SEARCH_BINARY,
      {"--server=" + absl::StrCat("127.0.0.1:", server_->port), "--tls_ca=" + Path("ca.pem"),
       "--token_file=" + Path("employer.token"), "--postcode=3511 AB"},
      *directory_);
  EXPECT_EQ(search.exit_code, 0) << search.err;
  ProgramRun plain = RunProgram(VERKENNER_SEARCH_BINARY,
                                {"--server=" + absl::StrCat("127.0.0.1:", server_->port),
                                 "--token_file=" + Path("employer.token"), "--postcode=3511 AB"},
                                *directory_);
  EXPECT_EQ(plain.exit_code, 1) << plain.out;
}

TEST_F(TlsTest, WithAClientCaOnlyClientsWithACertificateItSignedGetIn) {
  Start({"--tls_cert=" + Path("server.pem"), "--tls_key=" + Path("server.key"),
         "--tls_client_ca=" + Path("ca.pem")});
  EXPECT_NE(server_->said.find("(mutual TLS)"), std::string::npos) << server_->said;
  grpc::Status with_certificate = Call(Trusting("ca", "client"));
  EXPECT_TRUE(with_certificate.ok()) << with_certificate.error_message();
  EXPECT_EQ(Call(Trusting("ca")).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call(Trusting("ca", "stranger")).error_code(), grpc::StatusCode::UNAVAILABLE);
  ProgramRun with_client_certificate =
      Curl("https",
           {"--cacert", Path("ca.pem"), "--cert", Path("client.pem"), "--key", Path("client.key")});
  EXPECT_EQ(with_client_certificate.exit_code, 0) << with_client_certificate.err;
  EXPECT_TRUE(with_client_certificate.out.ends_with("\n200")) << with_client_certificate.out;
  EXPECT_NE(Curl("https", {"--cacert", Path("ca.pem")}).exit_code, 0);
  EXPECT_NE(Curl("https", {"--cacert", Path("ca.pem"), "--cert", Path("stranger.pem"), "--key",
                           Path("stranger.key")})
                .exit_code,
            0);
}

// A connection over the cap gets no 503 over TLS (that would need a handshake, which the cap
// is there to spare): it is closed; once a slot is free, the next one is served.
TEST_F(TlsTest, OverTheConnectionCapATlsConnectionIsClosedAtOnce) {
  Start({"--tls_cert=" + Path("server.pem"), "--tls_key=" + Path("server.key"),
         "--http_max_connections=1"});
  const int holder = testing::ConnectToLoopback(server_->http_port);  // never says hello
  ASSERT_GE(holder, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // accepted and admitted
  const auto started = std::chrono::steady_clock::now();
  EXPECT_NE(Curl("https", {"--cacert", Path("ca.pem")}).exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  close(holder);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ProgramRun after = Curl("https", {"--cacert", Path("ca.pem")});
  EXPECT_EQ(after.exit_code, 0) << after.err;
}

TEST_F(TlsTest, TheServerRefusesToStartOnMaterialItCannotUse) {
  const struct {
    std::vector<std::string> flags;
    std::string says;
  } cases[] = {
      {{"--tls_cert=" + Path("server.pem")}, "--tls_cert and --tls_key go together"},
      {{"--tls_cert=" + Path("server.pem"), "--tls_key=" + Path("lost.key")},
       "the key does not belong to the certificate"},
      {{"--tls_cert=" + Path("expired.pem"), "--tls_key=" + Path("expired.key")},
       "the certificate has expired"},
      {{"--tls_cert=" + Path("server.key"), "--tls_key=" + Path("server.key")},
       "no PEM certificate"},
      {{"--tls_cert=" + Path("server.pem"), "--tls_key=" + Path("absent.key")},
       "cannot read " + Path("absent.key")},
      {{"--tls_cert=" + Path("server.pem"), "--tls_key=" + Path("server.key"),
        "--tls_client_ca=" + Path("server.key")},
       "no PEM certificate"},
      {{"--tls_client_ca=" + Path("ca.pem")}, "--tls_client_ca needs --tls_cert"},
  };
  for (const auto& [flags, says] : cases) {
    const std::vector<std::string> arguments = Arguments(flags);
    ProgramRun run =
        RunProgram(arguments[0], {arguments.begin() + 1, arguments.end()}, *directory_);
    EXPECT_EQ(run.exit_code, 2) << flags.back() << ": " << run.err;
    EXPECT_NE(run.err.find(says), std::string::npos) << run.err;
    EXPECT_EQ(run.out.find("serving on port"), std::string::npos) << run.out;
    EXPECT_EQ(run.err.find("PRIVATE KEY"), std::string::npos) << "a key in the message";
  }
}

}  // namespace
}  // namespace verkenner
