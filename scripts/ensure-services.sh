#!/usr/bin/env bash
# Makes sure the services the integration tests use are reachable. When REDIS_URL points
# elsewhere, that server is used as it is. A service that cannot be reached or started fails
# here, loudly, instead of letting tests skip.
set -euo pipefail

if [ -z "${REDIS_URL:-}" ]; then
  if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    echo "Redis is not answering on 127.0.0.1:6379; starting it"
    command -v redis-server >/dev/null || { echo "redis-server is not installed" >&2; exit 1; }
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.1; done
  fi
  (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null || { echo "Redis did not start" >&2; exit 1; }
  echo "Redis: 127.0.0.1:6379"
fi
