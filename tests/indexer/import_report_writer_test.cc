#include "indexer/import_report_writer.h"

#include <gtest/gtest.h>

#include <map>

#include "indexer/profile_validator.h"

namespace verkenner::indexer {
namespace {

TEST(ImportReportWriterTest, RejectionsCarryReasonDutchTextAndCountsPerFieldWithoutIndex) {
  ImportReport report;
  report.received_rows = 5;
  report.created = 2;
  report.unchanged = 1;
  report.rejected_rows = 2;
  report.rejections = {
      {3, "work_experience[1].months", "months outside 0..600", RejectionKind::kOutOfRange, {}},
      {4, "work_experience[0].months", "months outside 0..600", RejectionKind::kOutOfRange, {}},
      {4, "bsn", "does not pass the elfproef", RejectionKind::kInvalidBsn, {}},
  };
  const v1::ImportReport out = ToProtoReport(report, "export.csv", "");
  EXPECT_EQ(out.accepted_rows(), 3);
  EXPECT_EQ(out.unchanged(), 1);  // a delete of a profile that was not there
  ASSERT_EQ(out.rejections_size(), 3);
  EXPECT_EQ(out.rejections(0).reason(), v1::REJECTION_REASON_OUT_OF_RANGE);
  EXPECT_EQ(out.rejections(0).message_nl(),
            "Veld work_experience[1].months ligt buiten het toegestane bereik");
  EXPECT_EQ(out.rejections(2).reason(), v1::REJECTION_REASON_INVALID_BSN);
  ASSERT_EQ(out.rejection_counts_size(), 2);
  EXPECT_EQ(out.rejection_counts(0).field(), "work_experience.months");
  EXPECT_EQ(out.rejection_counts(0).rows(), 2);
  EXPECT_EQ(out.rejection_counts(1).field(), "bsn");
  EXPECT_FALSE(out.rejections_truncated());
}

// The Dutch explanation names what is allowed where the rule has a list or a range, as the proto
// promises, so that the municipality's staff know what to write instead.
TEST(ImportReportWriterTest, TheDutchExplanationNamesWhatIsAllowed) {
  auto validator = [] {
    auto reference = engine::ReferenceData::Load(engine::ReferenceData::DefaultDirectory());
    EXPECT_TRUE(reference.ok()) << reference.status();
    return ProfileValidator(*reference);
  }();
  v1::SourceProfile profile;
  profile.set_source("GM0344");
  profile.set_client_number("K-1");
  profile.set_postcode("3511 AB");
  profile.add_days("maandag");
  profile.set_hours_max(41);
  profile.add_work_experience()->set_occupation("orderpicker");
  profile.mutable_work_experience(0)->set_months(601);
  ImportReport report;
  report.rejected_rows = 1;
  for (FieldError& error : validator.Validate(profile)) {
    report.rejections.push_back({1, error.field, error.reason, error.kind, error.allowed});
  }
  const v1::ImportReport out = ToProtoReport(report, "export.csv", "");
  std::map<std::string, std::string> dutch;
  for (const v1::RowRejection& rejection : out.rejections()) {
    dutch[rejection.field()] = rejection.message_nl();
  }
  EXPECT_EQ(dutch["days"],
            "Veld days bevat een onbekende code: gebruik een code uit de lijst; toegestaan: ma, "
            "di, wo, do, vr, za, zo");
  EXPECT_EQ(dutch["hours_max"],
            "Veld hours_max ligt buiten het toegestane bereik; toegestaan: 0 "
            "tot en met 40");
  EXPECT_EQ(dutch["work_experience[0].months"],
            "Veld work_experience[0].months ligt buiten het toegestane bereik; toegestaan: 0 tot "
            "en met 600");
}

TEST(ImportReportWriterTest, BeyondTenThousandProblemsOnlyTheCountsGoOn) {
  ImportReport report;
  for (int row = 1; row <= 10'005; ++row) {
    report.rejections.push_back({row, "postcode", "is required", RejectionKind::kMissing, {}});
  }
  report.rejected_rows = 10'005;
  const v1::ImportReport out = ToProtoReport(report, "", "GM0344");
  EXPECT_EQ(out.rejections_size(), 10'000);
  EXPECT_TRUE(out.rejections_truncated());
  ASSERT_EQ(out.rejection_counts_size(), 1);
  EXPECT_EQ(out.rejection_counts(0).rows(), 10'005);
  EXPECT_EQ(out.mode(), v1::IMPORT_MODE_FULL_SYNC);
}

}  // namespace
}  // namespace verkenner::indexer
