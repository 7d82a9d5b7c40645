#include "base/utf8.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace verkenner::base {
namespace {

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

bool DecodeUtf8(std::string_view text, size_t* pos, char32_t* out) {
  const size_t i = *pos;
  const auto lead = static_cast<unsigned char>(text[i]);
  if (lead < 0x80) {
    *out = lead;
    *pos = i + 1;
    return true;
  }
  size_t length;
  char32_t c;
  char32_t smallest;  // below it, the sequence is an overlong form
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    c = lead & 0x1F;
    smallest = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    c = lead & 0x0F;
    smallest = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    c = lead & 0x07;
    smallest = 0x10000;
  } else {
    return false;
  }
  if (text.size() - i < length) return false;
  for (size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if (!IsContinuation(next)) return false;
    c = (c << 6) | (next & 0x3F);
  }
  if (c < smallest || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
  *out = c;
  *pos = i + length;
  return true;
}

bool IsValidUtf8(std::string_view text) {
  const size_t size = text.size();
  for (size_t i = 0; i < size;) {
    // Most text is ASCII: skip it eight bytes at a time.
    if (i + 8 <= size) {
      uint64_t chunk;
      std::memcpy(&chunk, text.data() + i, sizeof(chunk));
      if ((chunk & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    char32_t ignored;
    if (!DecodeUtf8(text, &i, &ignored)) return false;
  }
  return true;
}

size_t CountCharacters(std::string_view text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return !IsContinuation(static_cast<unsigned char>(c)); });
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

}  // namespace verkenner::base
