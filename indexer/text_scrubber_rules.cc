#include "indexer/text_scrubber_rules.h"

#include <algorithm>

namespace verkenner::indexer::text_scrubber_internal {
namespace {

// The value of a plain ASCII number token of at most `max_digits` digits, or -1.
int SmallNumber(const Token& token, int max_digits) {
  if (!token.plain_number() || token.digits > max_digits) return -1;
  int value = 0;
  for (char d : token.folded) value = value * 10 + (d - '0');
  return value;
}

std::string AsciiLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

// Punctuation that may open a blob without being part of an address: "(noelle@gmail.com".
bool OpensBlob(char32_t c) {
  return c == '(' || c == '[' || c == '{' || c == '<' || c == '"' || c == '\'' || c == 0x201C ||
         c == 0x00AB;
}

// Punctuation that may close a blob without being part of an address: "noelle.nl.".
bool ClosesBlob(char32_t c) {
  return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')' ||
         c == ']' || c == '}' || c == '>' || c == '"' || c == '\'' || c == 0x201D || c == 0x00BB ||
         c == 0x2026;
}

}  // namespace

void Scrubbing::SetPersonWords(const ScrubContext& context) {
  for (const std::string& entry : context.person_words) {
    std::optional<std::string> normalized = Normalize(entry, OnBadBytes::kSpace);
    std::vector<std::string> parts;
    for (Token& token : Tokenize(*normalized)) {
      if (token.is_word() && token.letters + token.digits > 0) {
        parts.push_back(std::move(token.folded));
      }
    }
    if (parts.size() > 1) person_phrases_.push_back(parts);
    for (std::string& part : parts) {
      // A lone tussenvoegsel names nobody; a lone stop word does if it is the whole entry (a
      // place called "Een").
      if (part.size() < 2 || Has(vocabulary_.particles, part)) continue;
      if (parts.size() > 1 && IsStopword(part)) continue;
      person_words_.push_back(std::move(part));
    }
  }
}

void Scrubbing::RemoveSpan(size_t begin, size_t end, Cause cause) {
  bool removed_word = false;
  for (size_t i = begin; i < end; ++i) {
    Token& token = tokens_[i];
    if (token.removed()) continue;
    token.cause = cause;
    removed_word = removed_word || token.is_word();
  }
  if (removed_word) ++removed_words_;
}

void Scrubbing::RemoveWords(size_t begin, size_t end, Cause cause) {
  for (size_t i = begin; i < end; ++i) {
    Token& token = tokens_[i];
    if (token.removed()) continue;
    token.cause = cause;
    if (token.is_word()) ++removed_words_;
  }
}

bool Scrubbing::IsPersonWord(std::string_view folded) const {
  for (const std::string& word : person_words_) {
    if (folded == word) return true;
    if (word.size() < 3 || folded.size() <= word.size() || folded.substr(0, word.size()) != word) {
      continue;
    }
    std::string_view rest = folded.substr(word.size());
    if (IsOneOf(rest, kNameEndings)) return true;
    // A handle such as "noelle92".
    if (std::all_of(rest.begin(), rest.end(), IsAsciiDigit)) {
      return true;
    }
  }
  return false;
}

size_t Scrubbing::PreviousWord(size_t i) const {
  while (i > 0) {
    --i;
    if (tokens_[i].is_word()) return i;
    if (!tokens_[i].is_space()) return size();
  }
  return size();
}

std::vector<Scrubbing::Blob> Scrubbing::SplitIntoBlobs() const {
  std::vector<Blob> blobs;
  for (size_t i = 0; i < size();) {
    if (tokens_[i].is_space()) {
      ++i;
      continue;
    }
    Blob blob;
    blob.raw_begin = i;
    while (i < size() && !tokens_[i].is_space()) ++i;
    blob.raw_end = i;
    blob.begin = blob.raw_begin;
    blob.end = blob.raw_end;
    while (blob.begin < blob.end && tokens_[blob.begin].kind == TokenKind::kPunct &&
           OpensBlob(tokens_[blob.begin].punct)) {
      ++blob.begin;
    }
    while (blob.end > blob.begin && tokens_[blob.end - 1].kind == TokenKind::kPunct &&
           ClosesBlob(tokens_[blob.end - 1].punct)) {
      --blob.end;
    }
    // "(at)" and a lone "." are all punctuation, and still count.
    if (blob.begin == blob.end) {
      blob.begin = blob.raw_begin;
      blob.end = blob.raw_end;
    }
    blobs.push_back(blob);
  }
  return blobs;
}

std::string Scrubbing::RawLower(const Blob& blob) const {
  return AsciiLower(TextOf(blob.raw_begin, blob.raw_end));
}

bool Scrubbing::IsHiddenAtSign(const Blob& blob) const {
  // Most blobs are plain words: no copy for them.
  if (blob.raw_end - blob.raw_begin > 3 && !tokens_[blob.begin].folded.starts_with("ape")) {
    return false;
  }
  return Has(vocabulary_.hidden_at_signs, RawLower(blob)) ||
         Has(vocabulary_.hidden_at_signs, AsciiLower(TextOf(blob.begin, blob.end)));
}

size_t Scrubbing::RemoveHiddenEmail(const std::vector<Blob>& blobs, size_t b) {
  // The words before and after the at-sign, and the "punt com" chain.
  size_t first = b > 0 ? b - 1 : b;
  size_t last = b + 1 < blobs.size() ? b + 1 : b;
  while (last + 2 < blobs.size() && Has(vocabulary_.hidden_dots, RawLower(blobs[last + 1]))) {
    last += 2;
  }
  RemoveSpan(blobs[first].begin, blobs[last].end, Cause::kStructure);
  return last;
}

bool Scrubbing::IsUrl(const Blob& blob) const {
  std::string lower = AsciiLower(TextOf(blob.begin, blob.end));
  if (lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") ||
      lower.find("://") != std::string::npos) {
    return true;
  }
  // A host name such as "noelletekent.nl" or "linkedin.com/in/noelle".
  std::string_view host = lower;
  host = host.substr(0, host.find_first_of("/?#:"));
  size_t dot = host.rfind('.');
  if (dot == std::string_view::npos || dot == 0 ||
      !Has(vocabulary_.top_level_domains, host.substr(dot + 1))) {
    return false;
  }
  return std::all_of(
             host.begin(), host.end(),
             [](char c) { return IsAsciiLetter(c) || IsAsciiDigit(c) || c == '-' || c == '.'; }) &&
         host.find("..") == std::string_view::npos;
}

void Scrubbing::RemoveEmailsAndUrls() {
  const std::vector<Blob> blobs = SplitIntoBlobs();
  for (size_t b = 0; b < blobs.size(); ++b) {
    const Blob& blob = blobs[b];
    bool at_sign = false;
    bool dot_or_colon = false;
    for (size_t i = blob.begin; i < blob.end; ++i) {
      at_sign = at_sign || tokens_[i].is_punct('@');
      dot_or_colon = dot_or_colon || tokens_[i].is_punct('.') || tokens_[i].is_punct(':');
    }
    if (at_sign) {
      RemoveSpan(blob.begin, blob.end, Cause::kStructure);
    } else if (IsHiddenAtSign(blob)) {
      b = RemoveHiddenEmail(blobs, b);
    } else if (dot_or_colon && IsUrl(blob)) {
      RemoveSpan(blob.begin, blob.end, Cause::kStructure);
    }
  }
}

void Scrubbing::RemoveIbans() {
  for (size_t i = 0; i < size(); ++i) {
    const Token& token = tokens_[i];
    if (!token.is_word() || token.removed() || !token.ascii || token.folded.size() < 4) continue;
    const std::string& f = token.folded;
    if (!IsAsciiLetter(f[0]) || !IsAsciiLetter(f[1]) || !IsAsciiDigit(f[2]) ||
        !IsAsciiDigit(f[3]) || f.find('\'') != std::string::npos) {
      continue;
    }
    size_t length = f.size();
    int digits = token.digits;
    size_t last = i;
    // Printed IBANs come in groups of four.
    while (length < 34 && IsInlineSpaceAt(last + 1) && IsWordAt(last + 2)) {
      const Token& group = tokens_[last + 2];
      if (group.removed() || !group.ascii || group.folded.size() > 4 ||
          group.folded.find('\'') != std::string::npos) {
        break;
      }
      length += group.folded.size();
      digits += group.digits;
      last += 2;
    }
    if (length >= 15 && length <= 34 && digits >= 8) {
      RemoveSpan(i, last + 1, Cause::kStructure);
      i = last;
    }
  }
}

size_t Scrubbing::MatchClockTime(size_t i, bool second_of_range, bool* with_dot) const {
  int hours = SmallNumber(tokens_[i], 2);
  if (hours < 0 || hours > 24 || i + 2 >= size()) return 0;
  const Token& separator = tokens_[i + 1];
  if (!separator.is_punct(':') && !separator.is_punct('.')) return 0;
  const Token& minutes = tokens_[i + 2];
  int value = SmallNumber(minutes, 2);
  if (value < 0 || value > 59 || minutes.digits != 2) return 0;
  // "12:34:56" or "06.12.34.56.78" are no clock times.
  size_t end = i + 3;
  if (end + 1 < size() && tokens_[end].kind == TokenKind::kPunct &&
      (tokens_[end].punct == ':' || tokens_[end].punct == '.' || tokens_[end].punct == '/') &&
      tokens_[end + 1].digits > 0) {
    return 0;
  }
  if (!second_of_range && i >= 2 && tokens_[i - 2].digits > 0 && !tokens_[i - 2].clock_time &&
      tokens_[i - 1].kind == TokenKind::kPunct &&
      (tokens_[i - 1].punct == ':' || tokens_[i - 1].punct == '.' || tokens_[i - 1].punct == '/' ||
       tokens_[i - 1].punct == '-')) {
    return 0;
  }
  *with_dot = separator.is_punct('.');
  return end;
}

void Scrubbing::ProtectClockTimes() {
  for (size_t i = 0; i < size(); ++i) {
    if (tokens_[i].removed()) continue;
    bool with_dot = false;
    size_t end = MatchClockTime(i, false, &with_dot);
    if (end == 0) continue;
    // A range "9:00-17:00", "9.00 - 17.30" or "9:00 tot 17:00".
    size_t range_end = 0;
    size_t k = end;
    if (IsInlineSpaceAt(k)) ++k;
    if (k < size() && (tokens_[k].is_punct('-') || tokens_[k].is_punct(0x2013) ||
                       (tokens_[k].is_word() && tokens_[k].folded == "tot"))) {
      ++k;
      if (IsInlineSpaceAt(k)) ++k;
      bool second_with_dot = false;
      if (k < size()) range_end = MatchClockTime(k, true, &second_with_dot);
    }
    if (with_dot && range_end == 0) {
      // "9.30" is a time only where the words say so: "om 9.30", "9.30 uur".
      size_t previous = PreviousWord(i);
      bool cue_before =
          previous < size() && Has(vocabulary_.time_prepositions, tokens_[previous].folded);
      bool unit_after = IsInlineSpaceAt(end) && IsWordAt(end + 1) &&
                        (tokens_[end + 1].folded == "uur" || tokens_[end + 1].folded == "u");
      if (!cue_before && !unit_after) continue;
    }
    size_t last = range_end != 0 ? range_end : end;
    for (size_t t = i; t < last; ++t) tokens_[t].clock_time = true;
    i = last - 1;
  }
}

void Scrubbing::RemoveWrittenDates() {
  for (size_t i = 0; i < size(); ++i) {
    const Token& month = tokens_[i];
    if (!month.is_word() || month.removed() || !Has(vocabulary_.months, month.folded)) continue;
    size_t k = i + 1;
    if (k < size() && tokens_[k].is_punct('.')) ++k;  // "17 jan. 1990"
    if (!IsInlineSpaceAt(k) || !IsWordAt(k + 1)) continue;
    const Token& year = tokens_[k + 1];
    int value = SmallNumber(year, 4);
    bool full_year = year.digits == 4 && value >= 1900 && value <= 2099;
    bool short_year =
        year.letters == 0 && year.digits == 2 && year.folded.size() == 3 && year.folded[0] == '\'';
    if (!full_year && !short_year) continue;
    size_t begin = i;
    // The day before the month: "17 mei 1990", "1e mei 1990".
    if (i >= 2 && IsInlineSpaceAt(i - 1) && tokens_[i - 2].is_word() && !tokens_[i - 2].removed()) {
      const Token& day = tokens_[i - 2];
      std::string_view digits = std::string_view(day.folded).substr(0, day.digits);
      std::string_view suffix = std::string_view(day.folded).substr(day.digits);
      if (day.ascii && day.digits >= 1 && day.digits <= 2 &&
          (suffix.empty() || suffix == "e" || suffix == "ste" || suffix == "de") &&
          std::all_of(digits.begin(), digits.end(), IsAsciiDigit)) {
        begin = i - 2;
      }
    }
    RemoveSpan(begin, k + 2, Cause::kStructure);
    i = k + 1;
  }
}

bool Scrubbing::FollowedByUnit(size_t end) const {
  return IsInlineSpaceAt(end) && IsWordAt(end + 1) &&
         Has(vocabulary_.units, tokens_[end + 1].folded);
}

bool Scrubbing::IsDigitGroup(size_t i) const {
  const Token& token = tokens_[i];
  return token.is_word() && token.digits > 0 && !token.removed() && !token.clock_time;
}

bool Scrubbing::IsNumberSeparator(size_t i) const {
  const Token& token = tokens_[i];
  if (token.is_space()) return !token.newline;
  if (token.kind != TokenKind::kPunct || token.clock_time) return false;
  char32_t c = token.punct;
  return c == '-' || c == 0x2013 || c == '.' || c == '/' || c == '(' || c == ')';
}

Scrubbing::NumberRun Scrubbing::MatchNumberRun(size_t first) const {
  NumberRun run{first, tokens_[first].digits, 1, false};
  while (true) {
    // Groups are separated by at most three bytes of spaces and punctuation.
    size_t k = run.last + 1;
    size_t separator_bytes = 0;
    bool separator_dash = false;
    while (k < size() && IsNumberSeparator(k) && separator_bytes <= 3) {
      separator_bytes += tokens_[k].size();
      separator_dash = separator_dash || tokens_[k].is_punct('-') || tokens_[k].is_punct(0x2013);
      ++k;
    }
    if (k == run.last + 1 || separator_bytes > 3 || k >= size() || !IsDigitGroup(k)) break;
    run.digits += tokens_[k].digits;
    ++run.groups;
    run.dash = run.dash || separator_dash;
    run.last = k;
  }
  return run;
}

bool Scrubbing::IsQuantityRange(size_t first, const NumberRun& run) const {
  return run.groups == 2 && run.dash && SmallNumber(tokens_[first], 2) >= 0 &&
         SmallNumber(tokens_[run.last], 2) >= 0 && FollowedByUnit(run.last + 1);
}

void Scrubbing::WidenToPhonePunctuation(size_t* begin, size_t* end) const {
  while (*begin > 0 && (tokens_[*begin - 1].is_punct('+') || tokens_[*begin - 1].is_punct('('))) {
    --*begin;
  }
  int open = 0;
  for (size_t t = *begin; t < *end; ++t) {
    if (tokens_[t].is_punct('(')) ++open;
    if (tokens_[t].is_punct(')')) --open;
  }
  if (open > 0 && *end < size() && tokens_[*end].is_punct(')')) ++*end;
}

size_t Scrubbing::EndOfPostcode(size_t last, size_t end) const {
  // "3512 AB", "3512 ab" (but not "3512 en").
  if (!tokens_[last].plain_number() || tokens_[last].digits != 4) return end;
  size_t k = end;
  if (IsInlineSpaceAt(k) && tokens_[k].size() == 1) ++k;
  if (!IsWordAt(k)) return end;
  const Token& letters = tokens_[k];
  bool two_letters =
      letters.ascii && letters.letters == 2 && letters.digits == 0 && letters.folded.size() == 2;
  bool upper = letters.capitalised && text_[letters.begin] >= 'A' && text_[letters.begin] <= 'Z' &&
               text_[letters.begin + 1] >= 'A' && text_[letters.begin + 1] <= 'Z';
  if (two_letters && !letters.removed() && (upper || !IsStopword(letters.folded))) return k + 1;
  return end;
}

void Scrubbing::RemoveNumbers() {
  for (size_t i = 0; i < size(); ++i) {
    if (!IsDigitGroup(i)) continue;
    const NumberRun run = MatchNumberRun(i);
    // Fewer than four digits, or "20-30 uur": no identifier.
    if (run.digits < 4 || IsQuantityRange(i, run)) {
      i = run.last;
      continue;
    }
    size_t begin = i;
    size_t end = run.last + 1;
    WidenToPhonePunctuation(&begin, &end);
    // The letters of a PC6 go with its digits.
    end = EndOfPostcode(run.last, end);
    RemoveSpan(begin, end, Cause::kStructure);
    i = end - 1;
  }
}

void Scrubbing::RemovePersonPhrases() {
  for (const std::vector<std::string>& phrase : person_phrases_) {
    for (size_t i = 0; i < size(); ++i) {
      size_t k = i;
      size_t matched = 0;
      while (matched < phrase.size()) {
        if (matched > 0) {
          // Between the words: a space within the line, a hyphen, or both.
          size_t skipped = 0;
          while (k < size() && skipped < 3 && (IsInlineSpaceAt(k) || tokens_[k].is_punct('-'))) {
            ++k;
            ++skipped;
          }
        }
        if (!IsWordAt(k)) break;
        const std::string& expected = phrase[matched];
        std::string_view folded = tokens_[k].folded;
        bool last_word = matched + 1 == phrase.size();
        bool same = folded == expected || (last_word && folded.size() > expected.size() &&
                                           folded.substr(0, expected.size()) == expected &&
                                           IsOneOf(folded.substr(expected.size()), kNameEndings));
        if (!same) break;
        ++matched;
        ++k;
      }
      if (matched == phrase.size()) {
        RemoveWords(i, k, Cause::kName);
        i = k - 1;
      }
    }
  }
}

bool Scrubbing::IsLicenceCategory(size_t i) const {
  static constexpr std::string_view kCategories[] = {"a",   "am", "b",  "be", "c",   "c1", "ce",
                                                     "c1e", "d",  "d1", "de", "d1e", "t"};
  if (!IsOneOf(std::string_view(tokens_[i].folded), kCategories)) return false;
  size_t previous = PreviousWord(i);
  return previous < size() &&
         (tokens_[previous].folded == "rijbewijs" || tokens_[previous].folded == "rijbewijzen");
}

void Scrubbing::RemoveNames() {
  // Compounds: words joined by '-', '_' or '.' without spaces ("Heijn-filiaal", "noelle_vdb",
  // "J.P."), judged and removed as one.
  for (size_t i = 0; i < size(); ++i) {
    if (!tokens_[i].is_word()) continue;
    size_t last = i;
    std::string joined = tokens_[i].folded;
    while (last + 2 < size() && tokens_[last + 2].is_word() &&
           (tokens_[last + 1].is_punct('-') || tokens_[last + 1].is_punct('_') ||
            tokens_[last + 1].is_punct('.'))) {
      joined.push_back('-');
      joined.append(tokens_[last + 2].folded);
      last += 2;
    }
    bool compound = last > i;
    bool compound_allowed =
        compound && (Has(vocabulary_.harmless, joined) ||
                     (tokens_[i].sentence_start && vocabulary_.MayOpenSentence(joined)));
    bool remove = false;
    for (size_t t = i; t <= last && !remove; t += 2) {
      const Token& token = tokens_[t];
      if (token.letters == 0) continue;
      if (IsPersonWord(token.folded)) {
        remove = true;
      } else if (!token.capitalised || compound_allowed ||
                 Has(vocabulary_.harmless, token.folded) ||
                 (token.sentence_start && vocabulary_.MayOpenSentence(token.folded)) ||
                 IsLicenceCategory(t)) {
        continue;
      } else {
        remove = true;
      }
    }
    if (remove) RemoveWords(i, last + 1, Cause::kName);
    i = last;
  }
}

void Scrubbing::RemoveNamesAfterCues() {
  for (size_t i = 0; i < size(); ++i) {
    const Token& cue = tokens_[i];
    if (!cue.is_word() || !Has(vocabulary_.name_cues, cue.folded)) continue;
    size_t k = i + 1;
    auto skip_separators = [&] {
      while (k < size() &&
             (tokens_[k].is_space() || tokens_[k].is_punct(',') || tokens_[k].is_punct(':') ||
              tokens_[k].is_punct('.') || tokens_[k].is_punct('-'))) {
        ++k;
      }
    };
    skip_separators();
    if (cue.folded == "naam") {
      // "mijn naam is jan", "naam: jan"; not "de naam van het bedrijf".
      bool colon = false;
      for (size_t t = i + 1; t < k; ++t) colon = colon || tokens_[t].is_punct(':');
      if (IsWordAt(k) && tokens_[k].folded == "is") {
        ++k;
        skip_separators();
      } else if (!colon) {
        continue;
      }
    } else if (IsWordAt(k) && tokens_[k].folded == "van" && cue.folded.starts_with("groet")) {
      ++k;  // "groetjes van jan"
      skip_separators();
    }
    // [tussenvoegsels] name [tussenvoegsels surname]
    size_t name_begin = k;
    for (int part = 0; part < 2; ++part) {
      size_t j = k;
      bool particles = false;
      while (IsWordAt(j) && Has(vocabulary_.particles, tokens_[j].folded) &&
             IsInlineSpaceAt(j + 1)) {
        j += 2;
        particles = true;
      }
      if (!IsWordAt(j) || tokens_[j].letters == 0) break;
      const Token& name = tokens_[j];
      bool plausible = name.removed() || (!Has(vocabulary_.harmless, name.folded) &&
                                          !Has(vocabulary_.units, name.folded) &&
                                          (particles || !IsStopword(name.folded)));
      if (!plausible || (part == 1 && !particles)) break;
      RemoveWords(k, j + 1, Cause::kName);
      k = j + 1;
      if (!IsInlineSpaceAt(k)) break;
      ++k;
    }
    if (k > name_begin) i = k - 1;
  }
}

size_t Scrubbing::MatchHouseNumber(size_t i) const {
  if (!IsWordAt(i)) return 0;
  const Token& number = tokens_[i];
  if (number.removed() || number.clock_time || !number.ascii || number.digits == 0 ||
      number.digits > 4 || !IsAsciiDigit(number.folded[0]) ||
      number.folded.size() - number.digits > 3 || number.folded.find('\'') != std::string::npos) {
    return 0;
  }
  // Letters only after the digits: "12a", "221bis".
  for (int d = 0; d < number.digits; ++d) {
    if (!IsAsciiDigit(number.folded[d])) return 0;
  }
  size_t end = i + 1;
  if (end + 1 < size() && tokens_[end].is_punct('-') && tokens_[end + 1].is_word() &&
      tokens_[end + 1].ascii && tokens_[end + 1].folded.size() <= 3) {
    end += 2;  // "12-2", "12-hs"
  } else if (IsInlineSpaceAt(end) && IsWordAt(end + 1)) {
    const Token& addition = tokens_[end + 1];
    bool upper_letter =
        addition.letters == 1 && addition.digits == 0 && addition.capitalised && addition.ascii;
    if (upper_letter || Has(vocabulary_.house_number_additions, addition.folded)) end += 2;
  }
  if (FollowedByUnit(end)) return 0;
  return end;
}

void Scrubbing::RemoveHouseNumbers() {
  for (size_t i = 0; i + 2 < size(); ++i) {
    const Token& street = tokens_[i];
    if (!street.is_word() || !IsInlineSpaceAt(i + 1)) continue;
    bool removed_name = street.cause == Cause::kName;
    bool lower_case_street = false;
    if (!street.removed() && street.letters > 0 && !street.capitalised) {
      for (std::string_view ending : kStreetEndings) {
        if (street.folded.size() >= ending.size() + 3 && street.folded.ends_with(ending)) {
          lower_case_street = true;
          break;
        }
      }
    }
    if (!removed_name && !lower_case_street) continue;
    size_t end = MatchHouseNumber(i + 2);
    if (end == 0) continue;
    if (lower_case_street) RemoveWords(i, i + 1, Cause::kName);
    RemoveSpan(i + 1, end, Cause::kHouseNumber);
    i = end - 1;
  }
}

void Scrubbing::RemoveSurnamePrefixes() {
  auto is_name = [&](size_t i) {
    return IsWordAt(i) &&
           (tokens_[i].cause == Cause::kName || tokens_[i].cause == Cause::kParticle);
  };
  // Between two removed names: "Jan van der […]" → one name.
  for (size_t i = 0; i < size(); ++i) {
    if (!is_name(i)) continue;
    size_t k = i + 1;
    size_t particles = 0;
    while (IsInlineSpaceAt(k) && IsWordAt(k + 1) && !tokens_[k + 1].removed() &&
           Has(vocabulary_.particles, tokens_[k + 1].folded)) {
      k += 2;
      ++particles;
    }
    if (particles > 0 && IsInlineSpaceAt(k) && is_name(k + 1)) {
      RemoveWords(i + 1, k + 1, Cause::kParticle);
      i = k;
    }
  }
  // Before a removed name: "meneer van der […]" → "meneer […]".
  for (size_t i = 0; i < size(); ++i) {
    if (!is_name(i) || i < 2 || !IsInlineSpaceAt(i - 1) || is_name(i - 2)) continue;
    std::string prefix;
    size_t begin = i;
    size_t longest = i;
    for (int words = 1; words <= 2; ++words) {
      if (begin < 2 || !IsInlineSpaceAt(begin - 1) || !IsWordAt(begin - 2) ||
          tokens_[begin - 2].removed()) {
        break;
      }
      begin -= 2;
      prefix = prefix.empty() ? tokens_[begin].folded : tokens_[begin].folded + " " + prefix;
      if (Has(vocabulary_.surname_prefixes, prefix)) longest = begin;
    }
    if (longest < i) RemoveWords(longest, i, Cause::kParticle);
  }
}

void Scrubbing::JoinRemovedSpans() {
  // Two passes, because joining can close a bracket and a bracket can join two spans.
  for (int pass = 0; pass < 2; ++pass) {
    // "(Zeist)" → one span with its brackets.
    for (size_t i = 0; i < size(); ++i) {
      char32_t open = tokens_[i].kind == TokenKind::kPunct ? tokens_[i].punct : 0;
      char32_t close = open == '(' ? ')' : open == '[' ? ']' : open == '{' ? '}' : 0;
      if (close == 0 || tokens_[i].removed()) continue;
      size_t k = i + 1;
      bool inner = false;
      while (k < size() && (tokens_[k].removed() || tokens_[k].is_space())) {
        inner = inner || tokens_[k].removed();
        ++k;
      }
      if (inner && k < size() && tokens_[k].is_punct(close)) {
        for (size_t t = i; t <= k; ++t) {
          if (!tokens_[t].removed()) tokens_[t].cause = Cause::kJoin;
        }
        i = k;
      }
    }
    // Spaces and list punctuation between removed spans, and the dot of an initial ("J. […]").
    for (size_t i = 0; i < size(); ++i) {
      if (!tokens_[i].removed()) continue;
      size_t k = i + 1;
      while (k < size() && !tokens_[k].removed()) {
        const Token& token = tokens_[k];
        bool joins = token.is_space();
        if (token.kind == TokenKind::kPunct) {
          char32_t c = token.punct;
          joins = c == ',' || c == '-' || c == 0x2013 || c == 0x2014 || c == '/' || c == '&' ||
                  c == '+' || c == '|' ||
                  (c == '.' && k == i + 1 && tokens_[i].is_word() && tokens_[i].capitalised &&
                   tokens_[i].letters >= 1 && tokens_[i].letters <= 2);
        }
        if (!joins) break;
        ++k;
      }
      if (k < size() && k > i + 1 && tokens_[k].removed()) {
        for (size_t t = i + 1; t < k; ++t) tokens_[t].cause = Cause::kJoin;
      }
      i = k - 1;
    }
  }
}

std::optional<std::string> Scrubbing::Result() const {
  int kept = 0;
  int content = 0;
  for (const Token& token : tokens_) {
    if (!token.is_word() || token.removed()) continue;
    ++kept;
    if (token.letters > 0 && !IsStopword(token.folded)) ++content;
  }
  if (kept < static_cast<int>(TextScrubber::kMinKeptWords) || removed_words_ > kept ||
      content == 0) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text_.size());
  bool space = false;
  for (size_t i = 0; i < size(); ++i) {
    const Token& token = tokens_[i];
    if (token.removed()) {
      if (i > 0 && tokens_[i - 1].removed()) continue;
      if (space && !out.empty()) out.push_back(' ');
      space = false;
      out.append(TextScrubber::kMarker);
    } else if (token.is_space()) {
      space = true;
    } else {
      if (space && !out.empty()) out.push_back(' ');
      space = false;
      out.append(text_, token.begin, token.size());
    }
  }
  return out;
}

}  // namespace verkenner::indexer::text_scrubber_internal
