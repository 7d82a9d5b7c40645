#ifndef VERKENNER_BASE_UTF8_H_
#define VERKENNER_BASE_UTF8_H_

// UTF-8, the one encoding Verkenner speaks: import files, the public API's strings and what the
// web app shows are all UTF-8. One strict definition of "valid" (RFC 3629: no overlong forms, no
// UTF-16 surrogates, nothing above U+10FFFF, no cut-off sequence) and one way to count characters,
// so that a limit the proto states in characters means the same in every handler.
//
// Free functions without state: safe from any thread.

#include <cstddef>
#include <string>
#include <string_view>

namespace verkenner::base {

// Decodes the code point that starts at text[*pos], stores it in *out and moves *pos past it.
// Returns false, leaving *pos and *out unchanged, when the bytes there are not a valid UTF-8
// sequence. Requires *pos < text.size().
bool DecodeUtf8(std::string_view text, size_t* pos, char32_t* out);

// True when the whole text is valid UTF-8. Fast on ASCII (eight bytes at a time).
bool IsValidUtf8(std::string_view text);

// The number of characters (Unicode code points) in valid UTF-8 text: what "at most 2,000
// characters" in the proto counts. For invalid text the count is that of the bytes that are not
// continuation bytes, which is never more than the byte count.
size_t CountCharacters(std::string_view text);

// Appends the UTF-8 encoding of the code point c (which must be at most U+10FFFF and not a
// surrogate) to *out.
void AppendUtf8(char32_t c, std::string* out);

}  // namespace verkenner::base

#endif  // VERKENNER_BASE_UTF8_H_
