#ifndef VERKENNER_INDEXER_SYNTHETIC_SYNTHETIC_PROFILE_GENERATOR_H_
#define VERKENNER_INDEXER_SYNTHETIC_SYNTHETIC_PROFILE_GENERATOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "engine/refdata/reference_data.h"
#include "indexer/synthetic/portable_random.h"
#include "verkenner/v1/source_profile.pb.h"

namespace verkenner::indexer {

// What is wrong with a profile that the generator spoiled on purpose (Options::invalid_share), so
// that import tests know which rows must be rejected and why.
enum class SyntheticDefect {
  kNone,
  // bsn fails the elfproef (a wrong check digit) or has eight digits.
  kBadBsn,
  // postcode has no valid PC4: four digits starting with 0 ("0123 AB"); Dutch PC4s run 1000-9999.
  kMalformedPostcode,
  // hours_min is larger than hours_max.
  kHoursMinAboveMax,
  // birth_date is not an ISO calendar date: "1990-02-30", "1990-13-01" or "30-12-1990".
  kBadDate,
};

// Makes realistic, entirely fictitious client profiles as municipalities and UWV would export them
// for the doelgroepregister (banenafspraak) target group, for tests, demos and benchmarks.
//
// Geography and classifications are real (PC4 areas, municipalities, ESCO occupations, education
// levels from the reference data); personal fields are fake but look real (names from the fake-name
// lists, BSNs passing the elfproef, addresses, 06-numbers, e-mail addresses), and the wishes text
// sometimes contains the person's first name, phone number or e-mail address, so that privacy tests
// and the scrubber have something to catch.
//
// Deterministic: the same reference data, options and seed give the same sequence of profiles
// (and so the same bytes in either file format) on every platform. Client numbers are unique
// within a sequence of up to 90,000,000 profiles.
//
// Not thread-safe; use one generator per thread. Shares the reference data, which is immutable.
class SyntheticProfileGenerator {
 public:
  struct Options {
    uint64_t seed = 1;
    // Delivering organisations: municipality codes ("GM0344") and/or "UWV". Empty means every
    // municipality, each getting profiles in proportion to its number of PC4 areas, plus UWV.
    std::vector<std::string> sources;
    // Share of profiles delivered by UWV when `sources` is empty or names UWV next to
    // municipalities. UWV profiles live anywhere in the country.
    double uwv_share = 0.15;
    // Share of profiles with only personal and registration data: no education, experience,
    // availability, travel distance, affinities or wishes.
    double sparse_share = 0.10;
    // Share of all profiles whose education_level is empty (unknown), sparse ones included.
    double education_unknown_share = 0.40;
    // For each other optional field of a non-sparse profile, the chance that it is unknown.
    double missing_share = 0.12;
    // Share of profiles spoiled with one SyntheticDefect, for import tests.
    double invalid_share = 0.0;
    // Share of rows that delete a profile generated earlier in the sequence (only source,
    // client_number, action and updated_at are set).
    double delete_share = 0.0;
    // "Today" for the generated dates (registrations, last years of work, available_from,
    // updated_at). Fixed rather than the clock, so that output does not change from day to day.
    absl::CivilDay reference_date = absl::CivilDay(2026, 11, 1);
  };

  // Reads the fake-name lists (fake_first_names_nl.csv, fake_last_names_nl.csv,
  // fake_street_names_nl.csv, tussenvoegsels_nl.csv) from `refdata_directory`, the directory
  // `reference` was loaded from. Errors: NotFound or InvalidArgument for a missing or malformed
  // list; InvalidArgument for options out of range (shares outside [0, 1]), an unknown source, or
  // reference data lacking the education levels or occupations the generator draws from.
  static absl::StatusOr<std::unique_ptr<SyntheticProfileGenerator>> Create(
      std::shared_ptr<const engine::ReferenceData> reference, const std::string& refdata_directory,
      const Options& options);

  ~SyntheticProfileGenerator();
  SyntheticProfileGenerator(const SyntheticProfileGenerator&) = delete;
  SyntheticProfileGenerator& operator=(const SyntheticProfileGenerator&) = delete;

  // Replaces `profile` with the next profile of the sequence. Reusing one message across calls
  // saves allocations.
  void Next(v1::SourceProfile* profile);

  // How the profile last returned by Next() was spoiled, or kNone.
  SyntheticDefect last_defect() const { return last_defect_; }

  // Number of profiles returned by Next() so far.
  int64_t generated_count() const { return generated_count_; }

 private:
  struct Tables;

  SyntheticProfileGenerator(std::shared_ptr<const engine::ReferenceData> reference,
                            std::unique_ptr<const Tables> tables, const Options& options);

  // The steps of Next(), in the order they draw random numbers.
  void FillProfile(v1::SourceProfile* profile);
  absl::CivilDay AddIdentity(v1::SourceProfile* profile);  // returns the birth date
  void AddAddress(const engine::PostcodeArea& area, v1::SourceProfile* profile);
  void AddContactDetails(absl::CivilDay birth, v1::SourceProfile* profile);
  // Returns the target group, a static string.
  std::string_view AddRegistration(bool from_uwv, absl::CivilDay birth, v1::SourceProfile* profile);
  void AddEducation(std::string_view target_group, v1::SourceProfile* profile);
  void AddWorkExperience(int birth_year, v1::SourceProfile* profile);
  void AddDiplomasAndSkills(v1::SourceProfile* profile);
  void AddTravel(absl::CivilDay birth, v1::SourceProfile* profile);
  void AddAvailability(v1::SourceProfile* profile);
  void AddPreferences(std::string_view target_group, v1::SourceProfile* profile);
  void AddWishes(v1::SourceProfile* profile);
  void Spoil(v1::SourceProfile* profile);

  // Keeps alive the areas, education levels and occupations that tables_ points into.
  std::shared_ptr<const engine::ReferenceData> reference_;
  std::unique_ptr<const Tables> tables_;
  Options options_;
  PortableRandom random_;
  // Draws only the availability confirmations, so that adding them changed no other value.
  PortableRandom confirmation_random_;
  uint64_t client_number_offset_ = 0;
  int64_t generated_count_ = 0;
  SyntheticDefect last_defect_ = SyntheticDefect::kNone;
  // (source, client_number) of recent profiles, for delete rows.
  std::vector<std::pair<std::string, std::string>> recent_keys_;
  size_t next_recent_slot_ = 0;
};

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_SYNTHETIC_SYNTHETIC_PROFILE_GENERATOR_H_
