#!/usr/bin/env bash
# Build the sample "acme" organization as git repositories.
#
#   samples/make-repos.sh [--force] [OUTDIR]
#
# Creates OUTDIR/acme-dev, OUTDIR/acme-staging and OUTDIR/acme-prod (one
# commit each on branch main, fixed identity and dates, so every run yields
# the same commit ids) and OUTDIR/ferry.yaml naming the three workspaces.
# OUTDIR defaults to ./acme. Without --force it refuses to touch an OUTDIR
# that already holds any of these; with --force it deletes and recreates them.
set -euo pipefail

usage() {
    echo "usage: $(basename "$0") [--force] [OUTDIR]   (OUTDIR defaults to ./acme)"
}

force=0
outdir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --force|-f) force=1 ;;
        -h|--help) usage; exit 0 ;;
        --) shift; [ $# -gt 0 ] && { outdir="$1"; shift; }; break ;;
        -*) echo "error: unknown option: $1" >&2; usage >&2; exit 64 ;;
        *)
            if [ -n "$outdir" ]; then
                echo "error: more than one OUTDIR given" >&2; usage >&2; exit 64
            fi
            outdir="$1" ;;
    esac
    shift
done
if [ $# -gt 0 ]; then
    echo "error: unexpected argument: $1" >&2; usage >&2; exit 64
fi
outdir="${outdir:-./acme}"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
samples="$script_dir/workspaces"
workspaces=(dev staging prod)

for ws in "${workspaces[@]}"; do
    if [ ! -f "$samples/$ws/workspace.yaml" ]; then
        echo "error: sample workspace not found: $samples/$ws" >&2
        exit 1
    fi
done

# Refuse (or, with --force, clear) whatever a previous run left behind.
existing=()
for ws in "${workspaces[@]}"; do
    if [ -e "$outdir/acme-$ws" ] || [ -L "$outdir/acme-$ws" ]; then
        existing+=("$outdir/acme-$ws")
    fi
done
if [ -e "$outdir/ferry.yaml" ] || [ -L "$outdir/ferry.yaml" ]; then
    existing+=("$outdir/ferry.yaml")
fi
if [ ${#existing[@]} -gt 0 ]; then
    if [ "$force" -ne 1 ]; then
        echo "error: $outdir already holds: ${existing[*]}" >&2
        echo "       rerun with --force to delete and recreate them" >&2
        exit 1
    fi
    rm -rf -- "${existing[@]}"
fi

mkdir -p -- "$outdir"

# Fixed identity and dates: reproducible commits whatever the caller's
# environment or git configuration says.
export GIT_AUTHOR_NAME="Acme Data Team" GIT_AUTHOR_EMAIL="data-team@acme.com"
export GIT_COMMITTER_NAME="Acme Data Team" GIT_COMMITTER_EMAIL="data-team@acme.com"
export GIT_AUTHOR_DATE="2026-11-01T09:00:00Z" GIT_COMMITTER_DATE="2026-11-01T09:00:00Z"

declare -A title=([dev]=Development [staging]=Staging [prod]=Production)

for ws in "${workspaces[@]}"; do
    repo="$outdir/acme-$ws"
    git -c init.defaultBranch=main init -q -- "$repo"
    git -C "$repo" symbolic-ref HEAD refs/heads/main   # in case a template set another
    git -C "$repo" config user.name "Alice Admin"
    git -C "$repo" config user.email "alice@acme.com"
    git -C "$repo" config core.autocrlf false
    cp -R -- "$samples/$ws/." "$repo/"
    git -C "$repo" add -A
    git -C "$repo" -c commit.gpgsign=false -c core.hooksPath=/dev/null \
        commit -q -m "${title[$ws]} workspace of acme"
done

cat > "$outdir/ferry.yaml" <<'EOF'
workspaces:
  dev:
    repo: acme-dev
    branch: main
  staging:
    repo: acme-staging
    branch: main
  prod:
    repo: acme-prod
    branch: main
EOF

echo "Created acme-dev, acme-staging, acme-prod and ferry.yaml in $outdir"
printf 'Next: cd %q && ferry validate\n' "$outdir"
