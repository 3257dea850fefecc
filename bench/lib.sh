# Shared by bench/compare and bench/jmh (sourced): find a JDK 25 and build the bench module when stale.
# Builds with `mvn package` over the reactor (never `install`): the jars stay in each module's target/.

java_version() { "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1; }

find_jdk() {
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for d in /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*; do
    [ -d "$d" ] && candidates+=("$d")
  done
  for home in "${candidates[@]}"; do
    if [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ]; then
      local v; v="$(java_version "$home/bin/java")"
      if [ -n "$v" ] && [ "$v" -ge 25 ]; then echo "$home"; return 0; fi
    fi
  done
  return 1
}

# Sets JDK, BENCH_CP (the bench jar and its dependencies); builds first if any source or pom is newer.
prepare_bench() {
  local root="$1"
  if ! JDK="$(find_jdk)"; then
    echo "bench: needs a JDK 25 or newer (JAVA_HOME, java on the PATH, or /usr/lib/jvm)." >&2
    exit 1
  fi
  export JAVA_HOME="$JDK"
  export PATH="$JDK/bin:$PATH"
  local jar="$root/bench/target/tessera-bench.jar" cp_file="$root/bench/target/classpath.txt" stamp="$root/bench/target/.bench-built"
  local stale=0
  if [ ! -f "$jar" ] || [ ! -f "$cp_file" ] || [ ! -f "$stamp" ]; then
    stale=1
  elif [ -n "$(find "$root" -path "$root/*/src/main/*" -newer "$stamp" -type f -print -quit 2>/dev/null)" ] \
    || [ -n "$(find "$root" -name pom.xml -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    stale=1
  fi
  if [ "$stale" = 1 ]; then
    if ! command -v mvn >/dev/null 2>&1; then
      echo "bench: needs Maven (mvn) on the PATH to build the bench module." >&2
      exit 1
    fi
    echo "bench: building the bench module and what it depends on (mvn package) ..." >&2
    (cd "$root" && mvn -q -B -pl bench -am package -DskipTests >&2)
    touch "$stamp"
  fi
  BENCH_CP="$jar:$(cat "$cp_file")"
}
