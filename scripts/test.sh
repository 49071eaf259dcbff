#!/usr/bin/env bash
# The project's test command (the README's second line). Runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
