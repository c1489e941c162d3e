# Sourced by scripts: starts `grantline-server dev` on a free port with a fresh database, exports
# the demo tenant as ALTER_* variables, and stops the server when the calling shell exits.
: "${GRANTLINE_SERVER_BIN:?set GRANTLINE_SERVER_BIN (make does)}"
_gl_tmp=$(mktemp -d)
mkfifo "$_gl_tmp/stdin"
"$GRANTLINE_SERVER_BIN" dev --listen 127.0.0.1:0 --database "sqlite://$_gl_tmp/grantline.db" \
  --exit-on-stdin-close <"$_gl_tmp/stdin" >"$_gl_tmp/tenant.json" 2>"$_gl_tmp/server.log" &
_gl_pid=$!
exec {_gl_stdin}>"$_gl_tmp/stdin"   # the server runs while this stays open
# (`|| true`: under `set -e` a server ended by the kill would fail the caller's exit.)
_gl_stop() { exec {_gl_stdin}>&-; kill "$_gl_pid" 2>/dev/null || true; wait "$_gl_pid" 2>/dev/null || true; rm -rf "$_gl_tmp"; }
trap _gl_stop EXIT
for _ in $(seq 1 100); do
  [ -s "$_gl_tmp/tenant.json" ] && break
  kill -0 "$_gl_pid" 2>/dev/null || { cat "$_gl_tmp/server.log" >&2; exit 1; }
  sleep 0.1
done
eval "$(python3 - "$_gl_tmp/tenant.json" <<'PY'
import json, shlex, sys
t = json.loads(open(sys.argv[1]).readline())
for key, var in [("base_url", "ALTER_BASE_URL"), ("app_key", "ALTER_APP_KEY"), ("agent_key", "ALTER_AGENT_KEY"),
                 ("agent_id", "ALTER_AGENT_ID"), ("user_token", "ALTER_USER_TOKEN"), ("idp_id", "ALTER_IDP_ID"),
                 ("group_id", "ALTER_GROUP_ID"), ("managed_secret_id", "ALTER_MANAGED_SECRET_ID"),
                 ("admin_token", "GRANTLINE_ADMIN_TOKEN"), ("app_id", "GRANTLINE_APP_ID"),
                 ("provider_url", "ALTER_PROVIDER_URL")]:
    print(f"export {var}={shlex.quote(str(t[key]))}")
PY
)"
