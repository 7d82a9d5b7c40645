// The shortlist export as Dutch spreadsheet programs read it, and its file name.
#include <gtest/gtest.h>

#include <string>

#include "service/rpc/shortlist_service.h"

namespace verkenner::service {
namespace {

constexpr char kBom[] = "\xEF\xBB\xBF";
constexpr char kHeader[] =
    "positie;profiel_id;woongebied;arbeidsmarktregio;opleidingsniveau;ervaring;uren_min;"
    "uren_max;banen;max_reisafstand_km;affiniteiten;ondersteuning;notitie\r\n";

v1::AnonymousProfile Profile() {
  v1::AnonymousProfile profile;
  profile.mutable_area()->set_name("Utrecht");
  profile.mutable_area()->set_labour_market_region_name("Midden-Utrecht");
  profile.mutable_education()->set_label("Mbo niveau 2 (basisberoepsopleiding)");
  v1::WorkExperience* experience = profile.add_work_experience();
  experience->mutable_occupation()->set_label("orderverzamelaar");
  experience->set_months(24);
  profile.add_work_experience()->mutable_occupation()->set_label("inpakker");
  profile.mutable_availability()->set_min_hours(16);
  profile.mutable_availability()->set_max_hours(24);
  profile.set_banen(24 / 25.5);
  profile.set_max_travel_km(15);
  profile.add_affinities("buiten_werken");
  profile.add_affinities("met_handen");
  profile.add_support_needs("jobcoach");
  return profile;
}

// The rows after the byte order mark and the header.
std::string Rows(const v1::Shortlist& shortlist) {
  const std::string csv = ShortlistCsv(shortlist);
  const std::string head = std::string(kBom) + kHeader;
  EXPECT_EQ(csv.substr(0, head.size()), head);
  return csv.substr(std::min(head.size(), csv.size()));
}

// The row of a withdrawn entry (no profile) with `note`, without its line end.
std::string NoteRow(const std::string& note) {
  v1::Shortlist shortlist;
  v1::ShortlistEntry* entry = shortlist.add_entries();
  entry->set_profile_id("p1");
  entry->set_note(note);
  const std::string rows = Rows(shortlist);
  EXPECT_TRUE(rows.ends_with("\r\n")) << rows;
  return rows.substr(0, rows.size() >= 2 ? rows.size() - 2 : 0);
}

TEST(ShortlistCsvTest, StartsWithByteOrderMarkAndTheDutchHeaderRow) {
  EXPECT_EQ(ShortlistCsv(v1::Shortlist()), std::string(kBom) + kHeader);
}

TEST(ShortlistCsvTest, WritesAProfileWithSemicolonsCrlfAndDecimalComma) {
  v1::Shortlist shortlist;
  v1::ShortlistEntry* entry = shortlist.add_entries();
  entry->set_profile_id("a1b2");
  entry->set_note("Sterke kandidaat");
  *entry->mutable_profile() = Profile();
  EXPECT_EQ(Rows(shortlist),
            "1;a1b2;Utrecht;Midden-Utrecht;Mbo niveau 2 (basisberoepsopleiding);"
            "orderverzamelaar (24 mnd), inpakker;16;24;0,94;15;buiten_werken, met_handen;"
            "jobcoach;Sterke kandidaat\r\n");
}

TEST(ShortlistCsvTest, BanenKeepTwoDecimalsAfterAComma) {
  for (const auto& [banen, shown] : std::initializer_list<std::pair<double, std::string>>{
           {1.0, "1,00"}, {1 / 25.5, "0,04"}, {40 / 25.5, "1,57"}, {0.0, "0,00"}}) {
    v1::Shortlist shortlist;
    v1::ShortlistEntry* entry = shortlist.add_entries();
    entry->set_profile_id("p");
    *entry->mutable_profile() = Profile();
    entry->mutable_profile()->set_banen(banen);
    EXPECT_NE(Rows(shortlist).find(";" + shown + ";"), std::string::npos) << banen;
  }
}

TEST(ShortlistCsvTest, UnknownHoursAndDistanceStayEmpty) {
  v1::Shortlist shortlist;
  v1::ShortlistEntry* entry = shortlist.add_entries();
  entry->set_profile_id("p");
  *entry->mutable_profile() = Profile();
  entry->mutable_profile()->clear_availability();
  entry->mutable_profile()->clear_banen();
  entry->mutable_profile()->clear_max_travel_km();
  EXPECT_NE(Rows(shortlist).find("inpakker;;;;;buiten_werken"), std::string::npos)
      << Rows(shortlist);
}

TEST(ShortlistCsvTest, WithdrawnEntriesKeepOnlyPositionIdAndNoteInShortlistOrder) {
  v1::Shortlist shortlist;
  v1::ShortlistEntry* first = shortlist.add_entries();
  first->set_profile_id("eerste");
  *first->mutable_profile() = Profile();
  v1::ShortlistEntry* withdrawn = shortlist.add_entries();
  withdrawn->set_profile_id("tweede");
  withdrawn->set_note("Was goed");
  const std::string rows = Rows(shortlist);
  EXPECT_TRUE(rows.starts_with("1;eerste;Utrecht;")) << rows;
  EXPECT_TRUE(rows.ends_with("\r\n2;tweede;;;;;;;;;;;Was goed\r\n")) << rows;
}

TEST(ShortlistCsvTest, QuotesSeparatorsQuotesAndLineBreaksAsRfc4180) {
  EXPECT_EQ(NoteRow("eerst bellen; dan mailen"), "1;p1;;;;;;;;;;;\"eerst bellen; dan mailen\"");
  EXPECT_EQ(NoteRow("zei \"graag\""), "1;p1;;;;;;;;;;;\"zei \"\"graag\"\"\"");
  EXPECT_EQ(NoteRow("regel 1\nregel 2"), "1;p1;;;;;;;;;;;\"regel 1\nregel 2\"");
  EXPECT_EQ(NoteRow("regel 1\r\nregel 2"), "1;p1;;;;;;;;;;;\"regel 1\r\nregel 2\"");
  // A comma is no separator here: it needs no quotes.
  EXPECT_EQ(NoteRow("snel, netjes"), "1;p1;;;;;;;;;;;snel, netjes");
}

TEST(ShortlistCsvTest, CellsThatLookLikeFormulasStayText) {
  EXPECT_EQ(NoteRow("=SUM(A1)"), "1;p1;;;;;;;;;;;'=SUM(A1)");
  EXPECT_EQ(NoteRow("+31 6 12345678"), "1;p1;;;;;;;;;;;'+31 6 12345678");
  EXPECT_EQ(NoteRow("-2+3"), "1;p1;;;;;;;;;;;'-2+3");
  EXPECT_EQ(NoteRow("@SUM(1)"), "1;p1;;;;;;;;;;;'@SUM(1)");
  EXPECT_EQ(NoteRow("\t=1"), "1;p1;;;;;;;;;;;'\t=1");
  // Guarded first, then quoted: the quote encloses the guard.
  EXPECT_EQ(NoteRow("=HYPERLINK(\"x\";\"y\")"),
            "1;p1;;;;;;;;;;;\"'=HYPERLINK(\"\"x\"\";\"\"y\"\")\"");
  // Only the first character counts.
  EXPECT_EQ(NoteRow("a=1"), "1;p1;;;;;;;;;;;a=1");

  // Every cell is guarded, not only the note.
  v1::Shortlist shortlist;
  v1::ShortlistEntry* entry = shortlist.add_entries();
  entry->set_profile_id("p");
  *entry->mutable_profile() = Profile();
  entry->mutable_profile()->mutable_area()->set_name("=cmd|' /C calc'!A0");
  EXPECT_TRUE(Rows(shortlist).starts_with("1;p;'=cmd|' /C calc'!A0;")) << Rows(shortlist);
}

bool IsSafeFilename(const std::string& name) {
  return !name.empty() && name.find_first_not_of(
                              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
                              "XYZ0123456789-.") == std::string::npos;
}

TEST(ShortlistFilenameTest, IsTheTitleAsASlugWithTheDate) {
  const absl::CivilDay day(2026, 11, 23);
  EXPECT_EQ(ShortlistFilename("Medewerker inpak", day),
            "shortlist-medewerker-inpak-2026-11-23.csv");
  EXPECT_EQ(ShortlistFilename("  Medewerker inpak, Bakkerij Jansen!  ", day),
            "shortlist-medewerker-inpak-bakkerij-jansen-2026-11-23.csv");
  EXPECT_EQ(ShortlistFilename("Café Ünïcode € 50 / Zoë", day),
            "shortlist-cafe-unicode-50-zoe-2026-11-23.csv");
  EXPECT_EQ(ShortlistFilename("€ !!", day), "shortlist-2026-11-23.csv");
  EXPECT_EQ(ShortlistFilename("../../etc/passwd", day), "shortlist-etc-passwd-2026-11-23.csv");
}

TEST(ShortlistFilenameTest, HoldsOnlyAsciiLettersDigitsDashesAndDotsAndStaysShort) {
  const absl::CivilDay day(2026, 3, 31);
  for (const std::string& title :
       {std::string("Schoonmaker (m/v) \"avond\"; 20u\r\n"), std::string(500, 'x'),
        std::string("日本語のタイトル"), std::string("\xC3"), std::string("a\xC3")}) {
    const std::string name = ShortlistFilename(title, day);
    EXPECT_TRUE(IsSafeFilename(name)) << name;
    EXPECT_TRUE(name.ends_with("-2026-03-31.csv")) << name;
    EXPECT_LE(name.size(), 100u) << name;
  }
}

}  // namespace
}  // namespace verkenner::service
