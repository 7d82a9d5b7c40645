#ifndef VERKENNER_INDEXER_PROFILE_ANONYMIZER_H_
#define VERKENNER_INDEXER_PROFILE_ANONYMIZER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/candidate_record.h"
#include "engine/refdata/reference_data.h"
#include "indexer/profile_validator.h"
#include "indexer/pseudonymizer.h"
#include "indexer/text_scrubber.h"
#include "verkenner/v1/profile.pb.h"
#include "verkenner/v1/source_profile.pb.h"

namespace verkenner::indexer {

// How long a profile may be served after the person stops meeting the criteria. The rule of the
// doelgroepregister: until 31 December of the second calendar year after the register end date.
struct RetentionRule {
  int calendar_years_after_end = 2;
};

// Turns a validated, resolved source row (ValidatedProfile) into an anonymous CandidateRecord,
// whose display payload is a serialized verkenner.v1.AnonymousProfile. Direct identifiers (BSN,
// name, birth date, street, house number, phone, e-mail, client number) are never copied; the
// location becomes the PC4 area's centre; short free text passes a conservative filter or is left
// out, and the wishes text goes through the TextScrubber (also left out if it cannot be made safe).
//
// The record's display payload is a v1.AnonymousProfile holding only what the engine does not
// keep anyway (diplomas, skills, travel mode, support needs, languages, wishes); ShownProfile()
// adds the rest back from the record, so nothing is stored twice. It carries no area: the searcher
// picks municipality or arbeidsmarktregio when it serves the profile, by disclosure control over
// all profiles (engine/disclosure_control.h).
//
// Thread-safe (immutable).
class ProfileAnonymizer {
 public:
  ProfileAnonymizer(std::shared_ptr<const engine::ReferenceData> reference_data,
                    std::shared_ptr<const Pseudonymizer> pseudonymizer, RetentionRule retention);

  // The record of an upsert row that ProfileValidator resolved (not of a delete row). `today_day`
  // (days since 1970-01-01) stands in for an empty updated_at.
  engine::CandidateRecord Anonymize(const ValidatedProfile& profile, int64_t today_day) const;

 private:
  // The diplomas, occupations and skills that pass the short-text filter.
  void KeepSafeText(const v1::SourceProfile& profile, engine::CandidateRecord& record,
                    v1::AnonymousProfile& shown) const;
  // Hours, days, the start date (if still ahead) and the travel limit.
  static void KeepAvailability(const ValidatedProfile& profile, int64_t today_day,
                               engine::CandidateRecord& record);

  std::shared_ptr<const engine::ReferenceData> reference_data_;
  std::shared_ptr<const Pseudonymizer> pseudonymizer_;
  RetentionRule retention_;
  TextScrubber scrubber_;
};

// The profile as an employer sees it (without the area): the record's display payload plus the
// fields the engine keeps in the record. Errors: Internal for a payload that cannot be decoded.
// `day` (days since 1970-01-01) as the API's Date; to the month (day 0) unless `with_day`.
void SetDateOfDay(int64_t day, bool with_day, v1::Date& out);

absl::StatusOr<v1::AnonymousProfile> ShownProfile(const engine::CandidateRecord& record,
                                                  const engine::ReferenceData& reference_data);

// Keeps a short free-text item (a skill, a diploma, an unrecognised occupation) only if it cannot
// carry personal data: at most 60 characters of lower-case words and short upper-case acronyms
// ("VCA basis", "NT2 A2", "heftruck rijden"). Names are capitalised, and phone numbers, BSNs,
// postcodes and e-mail addresses need digit runs or '@', so all of those are refused; so, too
// conservatively, is any capitalised word ("Sociale Hygiëne"). Returns the trimmed text, or empty
// if refused.
std::string FilterShortText(const std::string& text);

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_PROFILE_ANONYMIZER_H_
