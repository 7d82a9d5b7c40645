#include "indexer/synthetic/portable_random.h"

#include <algorithm>

namespace verkenner::indexer {

uint64_t PortableRandom::Below(uint64_t bound) {
  // 2^64 mod bound: the bits below this value belong to an incomplete last round of [0, bound).
  const uint64_t threshold = (0 - bound) % bound;
  while (true) {
    uint64_t bits = Bits();
    if (bits >= threshold) return bits % bound;
  }
}

int PortableRandom::Between(int low, int high) {
  uint64_t span = static_cast<uint64_t>(static_cast<int64_t>(high) - low) + 1;
  return static_cast<int>(low + static_cast<int64_t>(Below(span)));
}

WeightedIndex::WeightedIndex(const std::vector<uint32_t>& weights) {
  cumulative_.reserve(weights.size());
  uint64_t total = 0;
  for (uint32_t weight : weights) {
    total += weight;
    cumulative_.push_back(total);
  }
}

size_t WeightedIndex::Draw(PortableRandom& random) const {
  uint64_t point = random.Below(cumulative_.back());
  // The first index whose cumulative weight exceeds the point; zero weights are never chosen.
  return static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), point) -
                             cumulative_.begin());
}

}  // namespace verkenner::indexer
