# Sourced by .ci/run: exports JAVA_HOME as a JDK >= 21 (JAVA_HOME first, then /usr/lib/jvm).
_d4j_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1; }
_d4j_found=""
for _c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
  [ -n "$_c" ] && [ -x "$_c/bin/javac" ] || continue
  _v="$(_d4j_major "$_c")"
  if [ -n "$_v" ] && [ "${_v%%.*}" -ge 21 ] 2>/dev/null; then _d4j_found="$_c"; break; fi
done
if [ -z "$_d4j_found" ]; then echo "no JDK >= 21 found (JAVA_HOME, /usr/lib/jvm)" >&2; exit 2; fi
export JAVA_HOME="$_d4j_found"
export PATH="$JAVA_HOME/bin:$PATH"
