#!/usr/bin/env bash
# Runs every test (the README's test command). Finds a JDK 25 the same way ./tessera does.
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
  for d in /usr/lib/jvm/*; do
    if [ -x "$d/bin/javac" ] && "$d/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then export JAVA_HOME="$d"; break; fi
  done
fi
export PATH="$JAVA_HOME/bin:$PATH"
mvn -B -ntp install "$@"
# End-to-end: the launcher finds JDK 25 and runs the main job on the freshly built project.
touch cli/target/.tessera-built
./tessera demo
