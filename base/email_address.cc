#include "base/email_address.h"

namespace verkenner::base {

bool IsEmailAddress(std::string_view text) {
  const size_t at = text.find('@');
  return text.size() <= 254 && at != std::string_view::npos && at > 0 && at + 1 < text.size() &&
         text.find('@', at + 1) == std::string_view::npos &&
         text.find_first_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace verkenner::base
