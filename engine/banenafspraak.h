#ifndef VERKENNER_ENGINE_BANENAFSPRAAK_H_
#define VERKENNER_ENGINE_BANENAFSPRAAK_H_

// Facts of the banenafspraak (the Dutch agreement on extra jobs for people with an occupational
// disability) that the code relies on, in one place.
namespace verkenner::engine {

// One "baan" counts as 25.5 paid hours a week; smaller jobs count pro rata.
inline constexpr double kHoursPerBaan = 25.5;

// Hours per week are recorded and asked for in the range 0..40.
inline constexpr int kMaxHoursPerWeek = 40;

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_BANENAFSPRAAK_H_
