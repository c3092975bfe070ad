#!/usr/bin/env bash
# Installs the Debian packages eql builds with. Idempotent; needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  tao-pegtl-dev       # PEG parser combinators (the EQL grammar)
  rapidjson-dev       # events and JSON output
  libspdlog-dev       # logging
  doctest-dev         # unit tests
  libtomlplusplus-dev # detection-rules TOML files
  libre2-dev          # linear-time regular expressions
  libedit-dev         # line editing for `eql shell`
  tmux                # drives `eql shell` in a real terminal (tests/shell/tmux_test.sh)
  zlib1g-dev          # gzip-compressed event files
  libgoogle-perftools-dev # tcmalloc, the allocator the eql program links (see CMakeLists.txt)
  librdkafka-dev      # eql run --kafka (src/kafka/) and the mock cluster of its tests
  kcat                # produces and reads Kafka topics in the Kafka tests (docs/kafka.md)
  clang               # libFuzzer targets (tools/fuzz.sh, docs/fuzzing.md)
  libclang-rt-14-dev  # libFuzzer, ASan and UBSan runtimes for clang
  python3             # tools/fuzz-seeds.py writes the fuzz seed corpora (dev time only)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
