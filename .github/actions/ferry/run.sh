#!/usr/bin/env bash
# The ferry action's main step (SPEC 7). In this order:
#
#   1. checks the inputs (passed by action.yml as INPUT_* variables);
#   2. in apply mode, finds the digest of the plan reviewed on the pull
#      request (unless expect-digest says otherwise);
#   3. runs `ferry reconcile` twice, each run holding the other to the same
#      plan through its digest: a dry run in markdown for the comment, then
#      the run that counts in `--format github` (annotations on the changed
#      files, the whole plan for the step summary; in apply mode, the write);
#   4. writes the step's outputs and summary, from ferry's files alone;
#   5. only then calls GitHub's API to comment on the pull request.
#
# Text from workspaces reaches the log only between `::stop-commands::` and
# its end, with a fresh random token, so that the runner reads none of it as
# a workflow command; ferry's own annotations are escaped by ferry.
#
# It runs outside GitHub too (the tests do): without GITHUB_OUTPUT,
# GITHUB_STEP_SUMMARY or a pull request, those parts are skipped.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ferry="${FERRY_BIN:?FERRY_BIN names the ferry binary}"

# %, CR and LF escaped, as the runner reads a workflow command's message.
escape_message() {
    local s="$1"
    s="${s//'%'/%25}"
    s="${s//$'\r'/%0D}"
    s="${s//$'\n'/%0A}"
    printf '%s' "$s"
}

fail() {
    echo "::error title=ferry::$(escape_message "$*")" >&2
    exit 1
}

# Echoes files to the log as text: between ::stop-commands::TOKEN and
# ::TOKEN::, the runner obeys no workflow command.
echo_as_text() {
    local token
    token="$(python3 -c 'import secrets; print(secrets.token_hex(16))')" || fail "python3 could not make a token"
    echo "::stop-commands::$token"
    local f
    for f in "$@"; do
        [ -s "$f" ] && cat "$f" && [ -n "$(tail -c1 "$f")" ] && echo
    done
    echo "::$token::"
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
expect="${INPUT_EXPECT_DIGEST:-auto}"
[ -n "$from" ] || fail "the 'from' input is required"
[ -n "$to" ] || fail "the 'to' input is required"
case "$mode" in
    plan | apply) ;;
    *) fail "mode must be plan or apply, not '$mode'" ;;
esac
case "$expect" in
    auto | none) ;;
    sha256:*) [[ "$expect" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "expect-digest must be auto, none or sha256:HEX" ;;
    *) fail "expect-digest must be auto, none or sha256:HEX, not '$expect'" ;;
esac
for name in INPUT_ALL INPUT_WITH_SCHEDULE INPUT_INCLUDE_DEPENDENCIES INPUT_PUSH INPUT_COMMENT INPUT_LOCAL_BRANCHES; do
    flag "${!name:-false}" || true
done
command -v python3 >/dev/null || fail "python3 is needed (apt-get install python3)"

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

key="${INPUT_COMMENT_KEY:-$to}"
# Kept for later steps of the job: the plan-json output names it.
work="$(mktemp -d "${RUNNER_TEMP:-/tmp}/ferry-action.XXXXXX")"
comment_md="$work/comment-plan.md"
comment_err="$work/comment-stderr.txt"
comment_json="$work/comment-plan.json"
plan_json="$work/plan.json"
summary_md="$work/summary.md"
annotations="$work/annotations.txt"
plan_err="$work/stderr.txt"
body="$work/comment.md"

# ferry pushes with this token (over https) when it is set.
[ -n "${INPUT_GITHUB_TOKEN:-}" ] && export GITHUB_TOKEN="$INPUT_GITHUB_TOKEN"
export FERRY_COMMENT_AUTHOR="${INPUT_COMMENT_AUTHOR:-}"

# Apply what was reviewed: the digest of the plan on the pull request.
expected=""
pull_request="${INPUT_PULL_REQUEST:-}"
case "$expect" in
    sha256:*) expected="$expect" ;;
    auto) if [ "$mode" = apply ]; then
        if reviewed="$(python3 "$here/comment.py" reviewed-digest --key "$key" --pull-request "$pull_request")"; then
            # The comment on that pull request will say what was applied.
            expected="${reviewed% *}"
            pull_request="${reviewed##* }"
        else
            [ -n "${GITHUB_OUTPUT:-}" ] && printf 'status=failed\nchanges=false\n' >>"$GITHUB_OUTPUT"
            [ -n "${GITHUB_STEP_SUMMARY:-}" ] &&
                echo "**ferry: nothing was applied: no plan reviewed on the pull request was found.**" \
                    >>"$GITHUB_STEP_SUMMARY"
            fail "nothing was applied: the plan reviewed on the pull request could not be found (see above)"
        fi
    fi ;;
esac

common=()
[ -n "${INPUT_CONFIG:-}" ] && common+=(--config "$INPUT_CONFIG")
# SPEC 7: the actor is who GitHub says, never a commit's author email.
actor="${INPUT_ACTOR:-}"
[ -z "$actor" ] && [ -n "${GITHUB_ACTOR:-}" ] && actor="github:$GITHUB_ACTOR"
[ -n "$actor" ] && common+=(--actor "$actor")
reconcile=(reconcile --from "$from" --to "$to" --detailed-exitcode)
while IFS= read -r p; do reconcile+=(--select "$p"); done < <(list "${INPUT_SELECT:-}")
while IFS= read -r p; do reconcile+=(--exclude "$p"); done < <(list "${INPUT_EXCLUDE:-}")
while IFS= read -r p; do reconcile+=(--link "$p"); done < <(list "${INPUT_LINK:-}")
flag "${INPUT_ALL:-false}" && reconcile+=(--all)
flag "${INPUT_WITH_SCHEDULE:-false}" && reconcile+=(--with-schedule)
flag "${INPUT_INCLUDE_DEPENDENCIES:-false}" && reconcile+=(--include-dependencies)

# 1. The comment's plan: a dry run in markdown, fitted to a comment by ferry.
first=("${reconcile[@]}" --dry-run --out "$comment_json")
[ -n "$expected" ] && first+=(--expect-digest "$expected")
GITHUB_STEP_SUMMARY="" "$ferry" --format markdown "${common[@]}" "${first[@]}" >"$comment_md" 2>"$comment_err"
rc1=$?
digest="$(python3 "$here/comment.py" facts --plan "$comment_json" | sed -n 's/^digest=//p')"

# 2. The run that counts, held to the plan just shown. In apply mode it
# writes only when the dry run found nothing blocking.
second=("${reconcile[@]}" --out "$plan_json")
pin="${expected:-$digest}"
[ -n "$pin" ] && second+=(--expect-digest "$pin")
if [ "$mode" = apply ] && { [ "$rc1" = 0 ] || [ "$rc1" = 2 ]; } && [ -n "$pin" ]; then
    [ -n "${INPUT_BRANCH:-}" ] && second+=(--branch "$INPUT_BRANCH")
    [ -n "${INPUT_MESSAGE:-}" ] && second+=(--message "$INPUT_MESSAGE")
    flag "${INPUT_PUSH:-true}" && second+=(--push)
    second+=(--yes)
else
    second+=(--dry-run)
fi
GITHUB_STEP_SUMMARY="$summary_md" "$ferry" --format github --annotation-root "${GITHUB_WORKSPACE:-$PWD}" \
    "${common[@]}" "${second[@]}" >"$annotations" 2>"$plan_err"
rc=$?
# ferry's usage errors come from the first run alone (the same arguments).
[ "$rc1" = 64 ] && rc=64
[ -s "$plan_json" ] || plan_json=""
[ -n "$plan_json" ] || [ ! -s "$comment_json" ] || plan_json="$comment_json"

written=""
facts="$(python3 "$here/comment.py" facts --plan "$plan_json")"
fact() { printf '%s\n' "$facts" | sed -n "s/^$1=//p"; }
commit="$(fact commit)"
case "$rc" in
    0) status="no-changes" ;;
    2) status=$([ "$mode" = plan ] && echo "changes" || echo "applied") ;;
    1) status=$([ "$(fact plan-status)" = blocked ] && echo "blocked" || echo "failed") ;;
    64) status="usage-error" ;;
    *) status="failed" ;;
esac
[ "$status" = applied ] && [ -n "$commit" ] &&
    written="Applied: commit $commit on $to$([ "$(fact pushed)" = true ] && echo ", pushed")."

# 3. The log: ferry's annotations as workflow commands (ferry escaped
# them); everything else as text.
grep -E '^::(error|warning|notice)( [^:]*)?::' "$annotations"
grep -vE '^::(error|warning|notice)( [^:]*)?::' "$annotations" >"$work/said.txt"
echo "::group::ferry reconcile --from $(escape_message "$from") --to $(escape_message "$to") ($mode)"
echo_as_text "$work/said.txt" "$plan_err" "$comment_err"
echo "::endgroup::"

# 4. Outputs and the step summary, before any API call. In apply mode the
# comment also says what the write said (a push refused, a moved branch).
said_err="$comment_err"
if [ "$mode" = apply ] && [ "$rc" != "$rc1" ]; then
    said_err="$work/said-stderr.txt"
    cat "$comment_err" "$plan_err" >"$said_err"
fi
python3 "$here/comment.py" compose --key "$key" --title "ferry: \`$from\` → \`$to\`" \
    --markdown "$comment_md" --stderr "$said_err" \
    --plan "${plan_json:-$comment_json}" --exit-code "$rc" --mode "$mode" --written "$written" >"$body" ||
    fail "could not compose the comment"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
        echo "status=$status"
        echo "exit-code=$rc"
        echo "changes=$([ "$rc" = 2 ] && echo true || echo false)"
        echo "creates=$(fact creates)"
        echo "updates=$(fact updates)"
        echo "digest=$(fact digest)"
        echo "commit=$commit"
        echo "pushed=$(fact pushed)"
        echo "plan-json=$plan_json"
        echo "markdown=$body"
        echo "comment-url="
    } >>"$GITHUB_OUTPUT"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    {
        if [ -s "$summary_md" ]; then
            cat "$summary_md"
        else
            echo "**ferry could not make a plan (exit $rc): the step's log says why.**"
        fi
        [ -n "$written" ] && printf '\n**%s**\n' "$written"
        # shellcheck disable=SC2016 # backticks for markdown
        [ -n "$plan_json" ] && printf '\n<sub>JSON plan: the step output `plan-json` (%s).</sub>\n' \
            "$(basename "$plan_json")"
    } | head -c $((1024 * 1024 - 64)) >>"$GITHUB_STEP_SUMMARY"
fi

# 5. The comment.
comment_url=""
api_failed=0
if flag "${INPUT_COMMENT:-true}"; then
    if comment_url="$(python3 "$here/comment.py" post --key "$key" --body "$body" \
        --pull-request "$pull_request")"; then
        [ -n "${GITHUB_OUTPUT:-}" ] && echo "comment-url=$comment_url" >>"$GITHUB_OUTPUT"
    else
        api_failed=1
    fi
fi

case "$status" in
    no-changes | changes | applied) ;;
    blocked) fail "the plan from $from to $to is blocked: see the errors above" ;;
    usage-error) fail "ferry refused its arguments (exit 64): check the action's inputs" ;;
    *) fail "ferry could not make a plan (exit $rc): see the errors above" ;;
esac
[ "$api_failed" = 0 ] || fail "the plan is in the step summary and outputs, but the pull request's comment could not be updated"
exit 0
