#include "base/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace verkenner::base {
namespace {

TEST(Utf8Test, AcceptsAsciiAndDutchText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("medewerker groenvoorziening, 24 uur"));
  EXPECT_TRUE(IsValidUtf8("één geïnteresseerde café-medewerker"));
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));  // U+1F600, four bytes
}

TEST(Utf8Test, RefusesWhatRfc3629Forbids) {
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong, three bytes
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // UTF-16 surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("caf\xC3"));           // cut off at the end
  EXPECT_FALSE(IsValidUtf8("\x80"));              // a lone continuation byte
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  // After a run of eight ASCII bytes, so that the fast path hands over to the decoder.
  EXPECT_FALSE(IsValidUtf8("abcdefgh\xC3("));
}

// Moved from tests/indexer/source_format_test.cc with the import reader's own validator.
TEST(Utf8Test, IsCheckedStrictlyAlsoAfterLongAsciiRuns) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("Zoë werkt graag in de zorg, bij Café 't Hoekje €"));
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));   // U+1F600, four bytes
  const std::string ascii = "abcdefghijklmnopq";  // past the eight-byte fast path
  for (const std::string bad :
       {"\xE9", "\xC3", "\xC0\xAF" /* overlong '/' */, "\xED\xA0\x80" /* surrogate */,
        "\xF4\x90\x80\x80" /* > U+10FFFF */, "\x80", "\xFF"}) {
    EXPECT_FALSE(IsValidUtf8(bad));
    EXPECT_FALSE(IsValidUtf8(ascii + bad)) << ascii.size();
    EXPECT_FALSE(IsValidUtf8(ascii.substr(0, 7) + bad + ascii));
  }
}

TEST(Utf8Test, CountsCharactersNotBytes) {
  EXPECT_EQ(CountCharacters(""), 0u);
  EXPECT_EQ(CountCharacters("abc"), 3u);
  const std::string e_acute = "\xC3\xA9";  // é: two bytes, one character
  EXPECT_EQ(CountCharacters(e_acute), 1u);
  std::string two_thousand_accents;
  for (int i = 0; i < 2000; ++i) two_thousand_accents += e_acute;
  EXPECT_EQ(two_thousand_accents.size(), 4000u);
  EXPECT_EQ(CountCharacters(two_thousand_accents), 2000u);
}

TEST(Utf8Test, DecodeAndAppendRoundTrip) {
  for (char32_t c : {U'a', U'\u00E9', U'\u20AC', U'\U0001F600', U'\U0010FFFF'}) {
    std::string encoded;
    AppendUtf8(c, &encoded);
    size_t pos = 0;
    char32_t decoded = 0;
    ASSERT_TRUE(DecodeUtf8(encoded, &pos, &decoded));
    EXPECT_EQ(decoded, c);
    EXPECT_EQ(pos, encoded.size());
  }
}

TEST(Utf8Test, DecodeLeavesPositionOnError) {
  size_t pos = 1;
  char32_t out = U'x';
  EXPECT_FALSE(DecodeUtf8("a\xC3", &pos, &out));
  EXPECT_EQ(pos, 1u);
  EXPECT_EQ(out, U'x');
}

}  // namespace
}  // namespace verkenner::base
