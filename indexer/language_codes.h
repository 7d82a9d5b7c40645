#ifndef VERKENNER_INDEXER_LANGUAGE_CODES_H_
#define VERKENNER_INDEXER_LANGUAGE_CODES_H_

#include <algorithm>
#include <array>
#include <string_view>

namespace verkenner::indexer {

// The ISO 639-1 language codes (two letters), sorted: the values SourceProfile.languages may
// take. From Debian's iso-codes package (/usr/share/iso-codes/json/iso_639-2.json, every entry's
// alpha_2), which follows the ISO 639 registration authority; "bh" (Bihari, withdrawn) is kept
// so that older exports still import.
inline constexpr std::array<std::string_view, 184> kLanguageCodes = {
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj",
    "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi",
    "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk",
    "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti",
    "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo",
    "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu"};

static_assert(std::is_sorted(kLanguageCodes.begin(), kLanguageCodes.end()));

// Whether `code` is one of kLanguageCodes (lower case, as NormalizeSourceProfile leaves it).
inline bool IsLanguageCode(std::string_view code) {
  return std::binary_search(kLanguageCodes.begin(), kLanguageCodes.end(), code);
}

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_LANGUAGE_CODES_H_
