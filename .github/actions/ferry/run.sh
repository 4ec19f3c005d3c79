#!/usr/bin/env bash
# The ferry action's main step: runs `ferry reconcile` with the action's
# inputs (passed by action.yml as INPUT_* variables), writes the step
# summary and the outputs, comments on the pull request, and fails when
# ferry did (a blocked plan exits 1, a usage error 64).
#
# It can run outside GitHub too (the tests do): without GITHUB_OUTPUT,
# GITHUB_STEP_SUMMARY or a pull request, those parts are skipped.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ferry="${FERRY_BIN:?FERRY_BIN names the ferry binary}"

fail() {
    echo "::error title=ferry::$*" >&2
    exit 1
}

# true/false inputs: GitHub passes them as text.
flag() {
    case "${1,,}" in
        true | yes | on | 1) return 0 ;;
        false | no | off | 0 | "") return 1 ;;
        *) fail "'$1' is not true or false" ;;
    esac
}

# Lists (select, exclude, link): one item per line, or separated by commas
# or spaces. Items are never glob-expanded by the shell.
list() {
    printf '%s\n' "$1" | tr ',[:space:]' '\n' | sed '/^$/d'
}

from="${INPUT_FROM:-}"
to="${INPUT_TO:-}"
mode="${INPUT_MODE:-plan}"
[ -n "$from" ] || fail "the 'from' input is required"
[ -n "$to" ] || fail "the 'to' input is required"
case "$mode" in
    plan | apply) ;;
    *) fail "mode must be plan or apply, not '$mode'" ;;
esac
command -v python3 >/dev/null || fail "python3 is needed to write the comment (apt-get install python3)"

# In a container job the checkout belongs to another user than the job's:
# git (and libgit2) refuse such a repository unless it is marked safe.
if [ "${GITHUB_ACTIONS:-}" = true ] && [ -n "${GITHUB_WORKSPACE:-}" ]; then
    git config --global --get-all safe.directory 2>/dev/null | grep -qxF "$GITHUB_WORKSPACE" ||
        git config --global --add safe.directory "$GITHUB_WORKSPACE"
fi

# ferry reads a workspace from the local branch ferry.yaml names, and
# actions/checkout (with fetch-depth: 0) leaves the other branches as
# origin/*: make each missing local branch point where origin's does.
if flag "${INPUT_LOCAL_BRANCHES:-true}" && top="$(git rev-parse --show-toplevel 2>/dev/null)"; then
    git -C "$top" for-each-ref --format='%(refname:lstrip=3)' refs/remotes/origin/ |
        while IFS= read -r b; do
            [ "$b" = HEAD ] && continue
            git -C "$top" show-ref --verify --quiet "refs/heads/$b" ||
                git -C "$top" update-ref "refs/heads/$b" "refs/remotes/origin/$b"
        done
fi

work="$(mktemp -d "${RUNNER_TEMP:-/tmp}/ferry-action.XXXXXX")"
plan_md="$work/plan.md"
plan_err="$work/stderr.txt"
plan_json="$work/plan.json"
body="$work/comment.md"

args=(--format markdown)
[ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")
[ -n "${INPUT_ACTOR:-}" ] && args+=(--actor "$INPUT_ACTOR")
args+=(reconcile --from "$from" --to "$to" --detailed-exitcode --out "$plan_json")
while IFS= read -r p; do args+=(--select "$p"); done < <(list "${INPUT_SELECT:-}")
while IFS= read -r p; do args+=(--exclude "$p"); done < <(list "${INPUT_EXCLUDE:-}")
while IFS= read -r p; do args+=(--link "$p"); done < <(list "${INPUT_LINK:-}")
flag "${INPUT_ALL:-false}" && args+=(--all)
flag "${INPUT_WITH_SCHEDULE:-false}" && args+=(--with-schedule)
flag "${INPUT_INCLUDE_DEPENDENCIES:-false}" && args+=(--include-dependencies)
if [ "$mode" = plan ]; then
    args+=(--dry-run)
else
    [ -n "${INPUT_BRANCH:-}" ] && args+=(--branch "$INPUT_BRANCH")
    [ -n "${INPUT_MESSAGE:-}" ] && args+=(--message "$INPUT_MESSAGE")
    flag "${INPUT_PUSH:-true}" && args+=(--push)
fi

# ferry pushes with this token (over https) when it is set.
[ -n "${INPUT_GITHUB_TOKEN:-}" ] && export GITHUB_TOKEN="$INPUT_GITHUB_TOKEN"

echo "::group::ferry ${args[*]}"
"$ferry" "${args[@]}" >"$plan_md" 2>"$plan_err"
rc=$?
cat "$plan_md"
cat "$plan_err" >&2
echo "::endgroup::"

case "$rc" in
    0) status="no-changes" ;;
    2) status=$([ "$mode" = plan ] && echo "changes" || echo "applied") ;;
    1) status="blocked" ;;
    64) status="usage-error" ;;
    *) status="failed" ;;
esac
[ -s "$plan_json" ] || plan_json=""

key="${INPUT_COMMENT_KEY:-$to}"
python3 "$here/comment.py" compose --key "$key" --title "ferry: \`$from\` → \`$to\`" --markdown "$plan_md" \
    --stderr "$plan_err" --exit-code "$rc" --mode "$mode" >"$body" || fail "could not compose the comment"
# The step summary shows what the comment shows (ferry's markdown is made
# to fit a comment already).
[ -n "${GITHUB_STEP_SUMMARY:-}" ] && cat "$body" >>"$GITHUB_STEP_SUMMARY"

comment_url=""
if flag "${INPUT_COMMENT:-true}"; then
    comment_url="$(python3 "$here/comment.py" post --key "$key" --body "$body" \
        --pull-request "${INPUT_PULL_REQUEST:-}")" || fail "could not comment on the pull request"
fi

if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
        echo "status=$status"
        echo "exit-code=$rc"
        echo "changes=$([ "$rc" = 2 ] && echo true || echo false)"
        echo "markdown=$body"
        echo "plan-json=$plan_json"
        echo "comment-url=$comment_url"
    } >>"$GITHUB_OUTPUT"
fi

case "$status" in
    no-changes | changes | applied) exit 0 ;;
    blocked) fail "the plan from $from to $to is blocked (or ferry could not run): see the errors above" ;;
    usage-error) fail "ferry refused its arguments (exit 64): check the action's inputs" ;;
    *) fail "ferry failed (exit $rc)" ;;
esac
