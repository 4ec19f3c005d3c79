#!/usr/bin/env bash
# Makes docs/ci-plan-comment.png: the pull-request comment of
# samples/github/plan.yml, rendered from the real markdown. It builds the
# sample organization, makes a pull request's change in dev, runs ferry and
# the action's comment.py exactly as the action does, turns the comment into
# HTML with cmark-gfm (GitHub's markdown, raw HTML kept as GitHub keeps
# <details>), wraps it in a page styled like a GitHub comment, and takes a
# screenshot with headless Chromium.
#
#   docs/make-screenshot.sh [FERRY_BINARY]      (default build/ferry)
#
# Needs Debian's cmark-gfm and chromium (apt-get install cmark-gfm chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
ferry="$(realpath "${1:-build/ferry}")"
for cmd in cmark-gfm chromium python3 git; do
    command -v "$cmd" >/dev/null || { echo "error: $cmd is missing (apt-get install cmark-gfm chromium)" >&2; exit 1; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
samples/make-repos.sh --force "$tmp/acme" >/dev/null
export SOURCE_DATE_EPOCH=1767225600 FERRY_NO_CACHE=1
dev="$tmp/acme/acme-dev"
git -C "$dev" checkout -q -b add-region
sed -i 's/with plan and owner\./with plan, owner and region./' "$dev/models/accounts.yaml"
sed -i 's/^table: CRM.ACCOUNTS$/table: CRM.ACCOUNTS_V2/' "$dev/models/accounts.yaml"
git -C "$dev" -c user.email=carol@acme.com -c user.name=Carol commit -q -am "Accounts: region column"
sha="$(git -C "$dev" rev-parse HEAD)"

cd "$tmp/acme"
"$ferry" --format markdown --actor alice@acme.com reconcile --from "dev@$sha" --to staging --dry-run \
    --detailed-exitcode --out "$tmp/plan.json" >"$tmp/plan.md" 2>"$tmp/stderr.txt" || [ $? = 2 ]
GITHUB_SHA="$sha" GITHUB_SERVER_URL=https://github.com GITHUB_REPOSITORY=acme/config GITHUB_RUN_ID=4242 \
    python3 "$root/.github/actions/ferry/comment.py" compose --key staging --markdown "$tmp/plan.md" \
    --stderr "$tmp/stderr.txt" --plan "$tmp/plan.json" --exit-code 2 --mode plan >"$tmp/comment.md"

cmark-gfm --unsafe -e table -e strikethrough -e autolink -e tagfilter "$tmp/comment.md" >"$tmp/body.html"
{
    cat <<'EOF'
<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; padding: 24px; background: #f6f8fa;
       font: 14px/1.5 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1f2328; }
.comment { max-width: 820px; border: 1px solid #d0d7de; border-radius: 6px; background: #fff; }
.header { padding: 8px 16px; background: #f6f8fa; border-bottom: 1px solid #d0d7de; border-radius: 6px 6px 0 0; color: #59636e; }
.header b { color: #1f2328; }
.body { padding: 16px; }
h3 { font-size: 1.25em; margin: 0 0 16px; }
h4 { font-size: 1em; margin: 16px 0 8px; }
code, pre { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: 85%; }
code { background: #eff1f3; padding: .2em .4em; border-radius: 6px; }
pre { background: #f6f8fa; padding: 16px; border-radius: 6px; overflow: auto; }
pre code { background: none; padding: 0; }
summary { cursor: pointer; font-weight: 600; }
sub { color: #59636e; }
a { color: #0969da; text-decoration: none; }
</style></head><body><div class="comment">
<div class="header"><b>github-actions</b> bot commented</div><div class="body">
EOF
    # The collapsed diffs are shown open, as a reviewer reads them.
    sed 's/<details>/<details open>/g' "$tmp/body.html"
    echo '</div></div></body></html>'
} >"$tmp/page.html"

chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size=880,690 --screenshot="$tmp/shot.png" "file://$tmp/page.html" >/dev/null 2>&1
cp "$tmp/shot.png" "$root/docs/ci-plan-comment.png"
echo "wrote docs/ci-plan-comment.png"
