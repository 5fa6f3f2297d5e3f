#!/usr/bin/env bash
# Validate SARIF files with Microsoft's SARIF multitool the way GitHub code scanning
# judges them: rule kinds "Sarif;Ghas" and GitHub's policy file. Fails when any
# error-level result is reported (warnings and notes are printed, not fatal).
#
#   .ci/sarif-multitool-check.sh report.sarif [more.sarif ...]
#
# The multitool's exit code does not reflect what it found, so the SARIF log it writes
# is read instead. It runs offline once installed; the install (npm, about 100 MB for
# the native binary) goes to a temporary prefix unless SARIF_MULTITOOL_PREFIX names a
# directory to install into and reuse.
#
# Environment:
#   SARIF_MULTITOOL_VERSION  npm version to install (default 5.7.0)
#   SARIF_MULTITOOL_PREFIX   reuse / keep the install here
#   SARIF_MULTITOOL_CONFIG   policy file (default ../shared/schemas/sarif-multitool-github.config.xml)
set -euo pipefail

if [ "$#" -lt 1 ]; then
  echo "usage: $0 FILE.sarif [FILE.sarif ...]" >&2
  exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
version="${SARIF_MULTITOOL_VERSION:-5.7.0}"
config="${SARIF_MULTITOOL_CONFIG:-$repo/../shared/schemas/sarif-multitool-github.config.xml}"
if [ ! -f "$config" ]; then
  echo "sarif-multitool-check: policy file not found: $config" >&2
  exit 2
fi
# The native binary needs ICU unless .NET runs in invariant mode; validation needs no culture data.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="${DOTNET_SYSTEM_GLOBALIZATION_INVARIANT:-1}"

work="$(mktemp -d)"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
prefix="${SARIF_MULTITOOL_PREFIX:-$work/npm}"

binary_path() {
  node -e 'process.stdout.write(require(process.argv[1]))' \
    "$prefix/node_modules/@microsoft/sarif-multitool" 2>/dev/null
}

if ! binary="$(binary_path)" || [ ! -f "$binary" ]; then
  started=$(date +%s)
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
    "@microsoft/sarif-multitool@$version" >&2
  binary="$(binary_path)"
  echo "sarif-multitool-check: installed @microsoft/sarif-multitool@$version in $(($(date +%s) - started))s" >&2
fi
# npm may skip the package's postinstall (which only marks the binary executable).
chmod u+x "$binary"

failed=0
for sarif in "$@"; do
  log="$work/$(basename "$sarif").validation.sarif"
  rm -f "$log"
  # The input comes first: the multitool's list options would swallow a trailing file name.
  "$binary" validate "$sarif" --rule-kind "Sarif;Ghas" --config "$config" \
    --output "$log" >"$work/multitool.out" 2>&1 || true
  if [ ! -s "$log" ]; then
    cat "$work/multitool.out" >&2
    echo "sarif-multitool-check: $sarif: the multitool wrote no log" >&2
    failed=1
    continue
  fi
  if ! node - "$log" "$sarif" <<'EOF'
const fs = require("fs");
const [logPath, input] = process.argv.slice(2);
const log = JSON.parse(fs.readFileSync(logPath, "utf8"));
let errors = 0;
for (const run of log.runs || []) {
  const rules = new Map((run.tool.driver.rules || []).map((r) => [r.id, r]));
  for (const result of run.results || []) {
    const level = result.level || "warning";
    let text = result.message.text;
    if (text === undefined) {
      const rule = rules.get(result.ruleId) || {};
      text = ((rule.messageStrings || {})[result.message.id] || {}).text || result.message.id;
      (result.message.arguments || []).forEach((arg, i) => {
        text = text.split(`{${i}}`).join(arg);
      });
    }
    if (level === "error") errors += 1;
    console.log(`${input}: ${level} ${result.ruleId}: ${text}`);
  }
  for (const invocation of run.invocations || []) {
    for (const n of invocation.toolExecutionNotifications || []) {
      if (n.level === "error") {
        errors += 1;
        console.log(`${input}: multitool error: ${n.message.text}`);
      }
    }
  }
}
console.log(`${input}: ${errors} error(s)`);
process.exit(errors ? 1 : 0);
EOF
  then
    failed=1
  fi
done
exit "$failed"
