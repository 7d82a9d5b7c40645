# Sourced by the scripts: where the shared reference data is.
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export VERKENNER_REFDATA="${VERKENNER_REFDATA:-$(cd "$repo_root/../shared/refdata" 2>/dev/null && pwd || echo "$repo_root/../shared/refdata")}"
if [[ ! -f "$VERKENNER_REFDATA/pc4_nl.csv" ]]; then
  echo "reference data not found in $VERKENNER_REFDATA; set VERKENNER_REFDATA" >&2
  exit 1
fi
