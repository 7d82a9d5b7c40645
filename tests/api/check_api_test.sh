#!/usr/bin/env bash
# scripts/check-api must pass the API as it is and fail a change that breaks clients of the last
# release: a copy of proto/ with SearchCandidatesRequest.page_size deleted must be refused by
# buf breaking, naming the field. Runs on a copy, so the work tree is never touched.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
mkdir -p "$copy/scripts" "$copy/web"
cp -r "$root/proto" "$root/buf.yaml" "$copy/"
cp "$root/scripts/check-api" "$copy/scripts/"
ln -s "$root/web/package-lock.json" "$copy/web/package-lock.json"
ln -s "$root/web/node_modules" "$copy/web/node_modules"

"$copy/scripts/check-api" > "$copy/as-is.log" 2>&1 || {
  cat "$copy/as-is.log"
  echo "check_api_test: the API as it is does not pass" >&2
  exit 1
}
sed -i '/^  int32 page_size = 4;$/d' "$copy/proto/verkenner/v1/search.proto"
if "$copy/scripts/check-api" > "$copy/broken.log" 2>&1; then
  cat "$copy/broken.log"
  echo "check_api_test: a deleted field passed the check" >&2
  exit 1
fi
grep -q 'Previously present field "4" with name "page_size"' "$copy/broken.log" || {
  cat "$copy/broken.log"
  echo "check_api_test: the refusal does not name the deleted field" >&2
  exit 1
}
echo "check_api_test: passes the API as it is, refuses a deleted field"
