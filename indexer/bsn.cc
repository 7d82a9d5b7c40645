#include "indexer/bsn.h"

namespace verkenner::indexer {
namespace {

bool AllDigits(std::string_view text) {
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// 9*d1 + 8*d2 + ... + 2*d8 over the first eight digits, which must be ASCII digits.
int WeightedPrefixSum(std::string_view digits) {
  int sum = 0;
  for (int i = 0; i < 8; ++i) sum += (9 - i) * (digits[i] - '0');
  return sum;
}

}  // namespace

bool IsValidBsn(std::string_view text) {
  if (text.size() != 9 || !AllDigits(text)) return false;
  if (text == "000000000") return false;
  return (WeightedPrefixSum(text) - (text[8] - '0')) % 11 == 0;
}

int BsnCheckDigit(std::string_view first_eight_digits) {
  if (first_eight_digits.size() != 8 || !AllDigits(first_eight_digits)) return -1;
  // sum - d9 == 0 (mod 11) means d9 == sum (mod 11); a remainder of 10 is not a digit.
  int check = WeightedPrefixSum(first_eight_digits) % 11;
  if (check == 10) return -1;
  if (check == 0 && first_eight_digits == "00000000") return -1;
  return check;
}

}  // namespace verkenner::indexer
