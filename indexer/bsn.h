#ifndef VERKENNER_INDEXER_BSN_H_
#define VERKENNER_INDEXER_BSN_H_

#include <string_view>

namespace verkenner::indexer {

// The burgerservicenummer (BSN) check: exactly nine ASCII digits whose weighted sum
// 9*d1 + 8*d2 + 7*d3 + 6*d4 + 5*d5 + 4*d6 + 3*d7 + 2*d8 - 1*d9 is divisible by 11 (the
// "elfproef"), and not 000000000, which passes the sum but is never issued. No spaces, dots or
// other separators are accepted: callers that want to be lenient strip them first.
//
// Passing the elfproef only says the number is well formed, not that it was ever issued. About
// 9x10^7 numbers pass, which is why a BSN is never hashed without a key (see DESIGN.md).
bool IsValidBsn(std::string_view text);

// The ninth digit (0..9) that completes `first_eight_digits` to a number passing the elfproef, or
// -1 when `first_eight_digits` is not exactly eight ASCII digits or when no digit works (the
// weighted sum of the eight is 10 modulo 11, so about one prefix in eleven has no completion).
// Used to make synthetic BSNs.
int BsnCheckDigit(std::string_view first_eight_digits);

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_BSN_H_
