# syntax=docker/dockerfile:1
# aob server image: one image, any subset of services.
#   docker build -t aob:local .
#   docker run --rm -e AOB_SERVICES=api,orchestrator,runner … aob:local
#   docker run --rm aob:local --services runner            # the flag wins over AOB_SERVICES
# The entrypoint is `aob server`; see deploy/README.md for the environment it reads.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
# build: install the locked tree, compile every workspace, then drop dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true TURBO_TELEMETRY_DISABLED=1 NO_UPDATE_NOTIFIER=1 npm_config_fund=false npm_config_audit=false

# better-sqlite3 is the one native dependency: compiled here when no prebuilt binary fits.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*

# Manifests first, so the dependency layer is reused until a manifest or the lockfile changes.
COPY package.json package-lock.json ./
COPY schemas/package.json schemas/
COPY packages/core/package.json packages/core/
COPY packages/client/package.json packages/client/
COPY packages/bus/package.json packages/bus/
COPY packages/store/package.json packages/store/
COPY packages/engine/package.json packages/engine/
COPY packages/control/package.json packages/control/
COPY packages/optimizer/package.json packages/optimizer/
COPY services/api/package.json services/api/
COPY services/orchestrator/package.json services/orchestrator/
COPY services/runner/package.json services/runner/
COPY services/fanout/package.json services/fanout/
COPY services/hitl/package.json services/hitl/
COPY services/validator/package.json services/validator/
COPY apps/canvas/package.json apps/canvas/
COPY cli/package.json cli/
COPY patches/ patches/
# --ignore-scripts: the root `prepare` script builds, and the sources are not copied yet.
# The only install script a production dependency needs is better-sqlite3's, rebuilt explicitly;
# the root `postinstall` (patch-package: our fixes to kafkajs and @oclif/core) is run by hand.
RUN --mount=type=cache,target=/root/.npm \
  npm ci --ignore-scripts \
  && npm rebuild better-sqlite3 \
  && npx patch-package --error-on-fail

COPY tsconfig.base.json turbo.json ./
COPY schemas/ schemas/
COPY packages/ packages/
COPY services/ services/
COPY apps/ apps/
COPY cli/ cli/
RUN npm run build

# Production dependencies only, and nothing the runtime does not read.
RUN npm prune --omit=dev \
  && rm -rf packages/*/src packages/*/golden packages/*/tsconfig*.json packages/*/*.tsbuildinfo \
    services/*/src services/*/tsconfig*.json services/*/*.tsbuildinfo \
    cli/src cli/test cli/tsconfig*.json cli/*.tsbuildinfo .turbo \
    apps/canvas/src apps/canvas/index.html apps/canvas/vite.config.ts apps/canvas/tsconfig.json \
    apps/canvas/dist/assets/*.map

# ---------------------------------------------------------------------------------------------
# runtime: the compiled workspaces and their production dependencies, owned by root and run as an
# unprivileged user (uid 1000, the image's `node` user) so the code cannot be rewritten.
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
  HOME=/tmp \
  AOB_HTTP_PORT=8080
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/schemas/ schemas/
COPY --from=build /app/packages/ packages/
COPY --from=build /app/services/ services/
COPY --from=build /app/apps/ apps/
COPY --from=build /app/cli/ cli/

USER 1000:1000
# health 8080; api REST 8090 and gRPC 50051; fanout 8081; validator 50052; hitl 50053
EXPOSE 8080 8081 8090 50051 50052 50053
# The services drain on SIGTERM (stop consuming, finish or hand back in-flight work, close).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.AOB_HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "cli/bin/run.js", "server"]
CMD []
