#include "service/rpc/error_details.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "google/rpc/error_details.pb.h"

namespace verkenner::service {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The details of `status` as a client decodes them, by type.
template <typename Detail>
std::vector<Detail> DetailsOf(const google::rpc::Status& status) {
  std::vector<Detail> found;
  for (const google::protobuf::Any& any : status.details()) {
    Detail detail;
    if (any.UnpackTo(&detail)) found.push_back(detail);
  }
  return found;
}

std::vector<std::string> FieldsOf(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const auto& bad : DetailsOf<google::rpc::BadRequest>(RpcStatusOf(status))) {
    for (const auto& violation : bad.field_violations()) fields.push_back(violation.field());
  }
  return fields;
}

// AIP-193: a reason is UPPER_SNAKE_CASE, at most 63 characters; the catalogue keeps to it.
TEST(ErrorDetailsTest, EveryReasonIsShapedAsAip193Says) {
  const google::protobuf::EnumDescriptor* reasons = v1::ErrorReason_descriptor();
  const std::regex shape("[A-Z][A-Z0-9_]+[A-Z0-9]");
  for (int i = 1; i < reasons->value_count(); ++i) {
    const std::string& name = reasons->value(i)->name();
    EXPECT_TRUE(std::regex_match(name, shape)) << name;
    EXPECT_LE(name.size(), 63u) << name;
  }
}

TEST(ErrorDetailsTest, EveryErrorCarriesErrorInfoWithItsOwnOrItsCodesReason) {
  const auto info_of = [](const absl::Status& status) {
    std::vector<google::rpc::ErrorInfo> infos =
        DetailsOf<google::rpc::ErrorInfo>(RpcStatusOf(status));
    EXPECT_EQ(infos.size(), 1u);
    return infos.empty() ? google::rpc::ErrorInfo() : infos[0];
  };
  const google::rpc::ErrorInfo own = info_of(WithReason(
      absl::FailedPreconditionError("claim the request first"), v1::REQUEST_NOT_CLAIMED));
  EXPECT_EQ(own.reason(), "REQUEST_NOT_CLAIMED");
  EXPECT_EQ(own.domain(), kErrorDomain);
  EXPECT_EQ(info_of(absl::NotFoundError("x")).reason(), "NOT_FOUND");
  EXPECT_EQ(info_of(absl::DataLossError("x")).reason(), "INTERNAL");
  EXPECT_EQ(info_of(absl::FailedPreconditionError("x")).reason(), "FAILED_PRECONDITION");
  const google::rpc::ErrorInfo writer = info_of(WithReason(
      absl::FailedPreconditionError("x"), v1::NOT_INDEX_WRITER, {{"writer", "127.0.0.1:7000"}}));
  EXPECT_EQ(writer.metadata().at("writer"), "127.0.0.1:7000");
  EXPECT_EQ(ReasonOf(absl::UnavailableError("x")), v1::UNAVAILABLE);
  EXPECT_TRUE(WithReason(absl::OkStatus(), v1::NOT_FOUND).ok());
  EXPECT_THAT(RpcStatusOf(absl::OkStatus()).details(), IsEmpty());
}

TEST(ErrorDetailsTest, AnInvalidArgumentNamesItsFieldInBadRequest) {
  EXPECT_THAT(FieldsOf(InvalidField("vacancy.workplace.postcode", "not a postcode")),
              ElementsAre("vacancy.workplace.postcode"));
  // The many checks that build "<field>: <description>" themselves get one too...
  EXPECT_THAT(FieldsOf(absl::InvalidArgumentError("vacancy.days[2]: not a weekday")),
              ElementsAre("vacancy.days[2]"));
  EXPECT_THAT(FieldsOf(absl::InvalidArgumentError("header.import_id: 1 to 64 characters")),
              ElementsAre("header.import_id"));
  // ...but a message that names no field gets none rather than a wrong one.
  EXPECT_THAT(FieldsOf(absl::InvalidArgumentError("use POST")), IsEmpty());
  EXPECT_THAT(FieldsOf(absl::InvalidArgumentError("Vacancy: x")), IsEmpty());
  EXPECT_THAT(FieldsOf(absl::InvalidArgumentError("a.b c: x")), IsEmpty());
  EXPECT_THAT(FieldsOf(absl::InvalidArgumentError("days[x]: x")), IsEmpty());
  EXPECT_THAT(FieldsOf(absl::InvalidArgumentError("a.: x")), IsEmpty());
  // A malformed request is not about one field.
  EXPECT_THAT(FieldsOf(WithReason(absl::InvalidArgumentError("request: not a valid message"),
                                  v1::MALFORMED_REQUEST)),
              IsEmpty());
  const auto violations =
      DetailsOf<google::rpc::BadRequest>(RpcStatusOf(InvalidField("page_size", "0 or more")));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field_violations(0).description(), "0 or more");
}

TEST(ErrorDetailsTest, ARetryDelayTravelsAsRetryInfo) {
  const absl::Status throttled = WithRetryDelay(
      WithReason(absl::ResourceExhaustedError("x"), v1::LOGIN_THROTTLED), absl::Seconds(42));
  EXPECT_EQ(RetryDelayOf(throttled), absl::Seconds(42));
  const auto retries = DetailsOf<google::rpc::RetryInfo>(RpcStatusOf(throttled));
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0].retry_delay().seconds(), 42);
  EXPECT_EQ(RetryDelayOf(WithRetryDelay(absl::ResourceExhaustedError("x"), absl::Seconds(0))),
            absl::ZeroDuration());
  EXPECT_EQ(RetryDelayOf(absl::ResourceExhaustedError("x")), absl::ZeroDuration());
}

TEST(ErrorDetailsTest, AReceivedGrpcStatusKeepsItsDetailsOrGetsTheCodesOwn) {
  const absl::Status sent = WithReason(absl::AbortedError("busy"), v1::IMPORT_RUNNING);
  const grpc::Status received(grpc::StatusCode::ABORTED, "busy",
                              RpcStatusOf(sent).SerializeAsString());
  EXPECT_EQ(RpcStatusOf(received).SerializeAsString(), RpcStatusOf(sent).SerializeAsString());
  // gRPC's own errors (a connection refused) have none: the code's reason stands in.
  const google::rpc::Status bare =
      RpcStatusOf(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"));
  EXPECT_EQ(bare.code(), grpc::StatusCode::UNAVAILABLE);
  ASSERT_EQ(DetailsOf<google::rpc::ErrorInfo>(bare).size(), 1u);
  EXPECT_EQ(DetailsOf<google::rpc::ErrorInfo>(bare)[0].reason(), "UNAVAILABLE");
  // Details that contradict the code are not believed.
  const grpc::Status forged(grpc::StatusCode::NOT_FOUND, "x",
                            RpcStatusOf(sent).SerializeAsString());
  EXPECT_EQ(DetailsOf<google::rpc::ErrorInfo>(RpcStatusOf(forged))[0].reason(), "NOT_FOUND");
}

}  // namespace
}  // namespace verkenner::service
