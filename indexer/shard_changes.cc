#include "indexer/shard_changes.h"

#include <openssl/evp.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/schema.h"

namespace verkenner::indexer {
namespace {

constexpr std::string_view kMagic = "verkenner shard changes 1\n";
constexpr size_t kDigestBytes = 32;

std::string Sha256(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

void PutNumber(std::string& out, uint64_t value) {
  for (int shift = 0; shift < 64; shift += 8) out.push_back(static_cast<char>(value >> shift));
}

void PutText(std::string& out, std::string_view text) {
  PutNumber(out, text.size());
  out.append(text);
}

// Reads what Put* wrote, never past the end: each read fails once the bytes run out.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}
  bool Number(uint64_t& value) {
    if (rest_.size() < 8) return false;
    value = 0;
    for (int i = 0; i < 8; ++i) value |= uint64_t{static_cast<unsigned char>(rest_[i])} << (8 * i);
    rest_.remove_prefix(8);
    return true;
  }
  bool Text(std::string& text) {
    uint64_t size = 0;
    if (!Number(size) || size > rest_.size()) return false;
    text.assign(rest_.substr(0, size));
    rest_.remove_prefix(size);
    return true;
  }
  bool Byte(char& byte) {
    if (rest_.empty()) return false;
    byte = rest_[0];
    rest_.remove_prefix(1);
    return true;
  }
  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

absl::Status Damaged(const char* what) {
  return absl::DataLossError(absl::StrCat("shard changes: ", what));
}

}  // namespace

absl::Status CheckShardChanges(const ShardChanges& changes) {
  if (changes.source.empty()) return absl::InvalidArgumentError("shard changes without a source");
  if (changes.to_revision < changes.from_revision) {
    return absl::InvalidArgumentError(absl::StrCat("shard changes end at revision ",
                                                   changes.to_revision, " before they start at ",
                                                   changes.from_revision));
  }
  Xapian::docid last = 0;
  for (const ShardChanges::Document& document : changes.documents) {
    if (document.docid <= last || document.docid > changes.last_docid) {
      return absl::InvalidArgumentError(
          absl::StrCat("shard changes: docid ", document.docid, " after ", last,
                       " (ascending, at most the last docid ", changes.last_docid, ")"));
    }
    last = document.docid;
  }
  for (const auto& [key, value] : changes.metadata) {
    if (engine::schema::IsLocalMetadata(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("shard changes carry ", key, ", which each database keeps of its own"));
    }
  }
  return absl::OkStatus();
}

std::string EncodeShardChanges(const ShardChanges& changes) {
  std::string out(kMagic);
  PutText(out, changes.source);
  PutNumber(out, changes.from_revision);
  PutNumber(out, changes.to_revision);
  PutNumber(out, changes.last_docid);
  PutNumber(out, changes.documents.size());
  for (const ShardChanges::Document& document : changes.documents) {
    PutNumber(out, document.docid);
    out.push_back(document.serialised.has_value() ? 'd' : 'x');
    if (document.serialised.has_value()) PutText(out, *document.serialised);
  }
  PutNumber(out, changes.metadata.size());
  for (const auto& [key, value] : changes.metadata) {
    PutText(out, key);
    PutText(out, value);
  }
  out.append(Sha256(out));
  return out;
}

absl::StatusOr<ShardChanges> DecodeShardChanges(std::string_view bytes) {
  if (bytes.size() < kMagic.size() + kDigestBytes || bytes.substr(0, kMagic.size()) != kMagic) {
    return Damaged("not a file of shard changes, or cut off");
  }
  const std::string_view body = bytes.substr(0, bytes.size() - kDigestBytes);
  if (Sha256(body) != bytes.substr(body.size())) return Damaged("checksum mismatch");
  Reader reader(body.substr(kMagic.size()));
  ShardChanges changes;
  uint64_t from = 0, to = 0, last_docid = 0, documents = 0, metadata = 0;
  if (!reader.Text(changes.source) || !reader.Number(from) || !reader.Number(to) ||
      !reader.Number(last_docid) || from > UINT32_MAX || to > UINT32_MAX ||
      last_docid > UINT32_MAX || !reader.Number(documents)) {
    return Damaged("bad header");
  }
  changes.from_revision = static_cast<uint32_t>(from);
  changes.to_revision = static_cast<uint32_t>(to);
  changes.last_docid = static_cast<Xapian::docid>(last_docid);
  for (uint64_t i = 0; i < documents; ++i) {
    uint64_t docid = 0;
    char kind = 0;
    if (!reader.Number(docid) || docid > UINT32_MAX || !reader.Byte(kind) ||
        (kind != 'd' && kind != 'x')) {
      return Damaged("bad document entry");
    }
    ShardChanges::Document& document = changes.documents.emplace_back();
    document.docid = static_cast<Xapian::docid>(docid);
    if (kind == 'd' && !reader.Text(document.serialised.emplace())) return Damaged("cut off");
  }
  if (!reader.Number(metadata)) return Damaged("cut off");
  for (uint64_t i = 0; i < metadata; ++i) {
    auto& [key, value] = changes.metadata.emplace_back();
    if (!reader.Text(key) || !reader.Text(value)) return Damaged("cut off");
  }
  if (!reader.empty()) return Damaged("bytes after the end");
  if (absl::Status valid = CheckShardChanges(changes); !valid.ok()) {
    return absl::DataLossError(valid.message());
  }
  return changes;
}

}  // namespace verkenner::indexer
