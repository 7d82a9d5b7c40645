#ifndef VERKENNER_BASE_EMAIL_ADDRESS_H_
#define VERKENNER_BASE_EMAIL_ADDRESS_H_

#include <string_view>

namespace verkenner::base {

// Whether `text` has the shape of an e-mail address (one @, something on both sides, no spaces,
// at most 254 characters). Whether it exists is not this function's business. The one rule for
// accounts, contact persons and imported profiles.
bool IsEmailAddress(std::string_view text);

}  // namespace verkenner::base

#endif  // VERKENNER_BASE_EMAIL_ADDRESS_H_
