#ifndef VERKENNER_INDEXER_SYNTHETIC_PORTABLE_RANDOM_H_
#define VERKENNER_INDEXER_SYNTHETIC_PORTABLE_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace verkenner::indexer {

// Random draws that give the same sequence for the same seed on every platform and standard
// library. std::mt19937_64's output is fixed by the C++ standard, but the std:: distributions are
// not (libstdc++ and libc++ turn the same bits into different numbers), so this class does its own
// arithmetic on the engine's bits: integer rejection sampling, and doubles made from 53 bits
// without calls into libm. Not thread-safe.
class PortableRandom {
 public:
  explicit PortableRandom(uint64_t seed) : engine_(seed) {}

  // 64 uniformly distributed bits.
  uint64_t Bits() { return engine_(); }

  // Uniform in [0, bound). `bound` must be positive. Unbiased: draws again when the bits fall
  // into the partial last stretch of the 64-bit range.
  uint64_t Below(uint64_t bound);

  // Uniform in [low, high], both included. Requires low <= high.
  int Between(int low, int high);

  // Uniform in [0, 1), a multiple of 2^-53.
  double Unit() { return static_cast<double>(Bits() >> 11) * 0x1.0p-53; }

  // True with the given probability (0 never, 1 always).
  bool Chance(double probability) { return Unit() < probability; }

 private:
  std::mt19937_64 engine_;
};

// Draws an index with probability proportional to integer weights, so the cumulative sums are
// exact and the same everywhere. Immutable; share freely.
class WeightedIndex {
 public:
  WeightedIndex() = default;
  // At least one weight must be positive.
  explicit WeightedIndex(const std::vector<uint32_t>& weights);

  size_t Draw(PortableRandom& random) const;
  size_t size() const { return cumulative_.size(); }

 private:
  std::vector<uint64_t> cumulative_;
};

}  // namespace verkenner::indexer

#endif  // VERKENNER_INDEXER_SYNTHETIC_PORTABLE_RANDOM_H_
