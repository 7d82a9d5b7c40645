#ifndef VERKENNER_ENGINE_EDIT_DISTANCE_H_
#define VERKENNER_ENGINE_EDIT_DISTANCE_H_

#include <cstddef>
#include <string>

// How far a typed word is from a known one, for spelling suggestions (QueryVocabulary) and
// suggested occupations (OccupationSuggester). Pure functions; thread-safe.
namespace verkenner::engine {

// Edit distance counting an insertion, deletion, substitution or swap of two neighbouring
// letters as one edit (optimal string alignment), giving up (returning limit + 1) once it must
// exceed `limit`. Swapped letters are the commonest typo ("schoonmakre"). Bytes, not letters:
// a non-ASCII letter costs up to its UTF-8 length.
size_t EditDistance(const std::string& a, const std::string& b, size_t limit);

// The edits a typed word of `length` bytes may be from the word meant: one up to six letters,
// two for longer words (shorter words have too many neighbours within two).
inline size_t TypoAllowance(size_t length) { return length <= 6 ? 1 : 2; }

}  // namespace verkenner::engine

#endif  // VERKENNER_ENGINE_EDIT_DISTANCE_H_
