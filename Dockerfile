# One image for the worker, the probe-only watcher location, the Pub/Sub bridge, the CLI and the
# sandbox: `docker run <image> worker|location|bridge|cli|sandbox ...` (docker/entrypoint.sh).
# Node 24 runs the TypeScript sources directly (type stripping): there is no build step.
# NODE_IMAGE can point at a mirror or a local image where Docker Hub is not reachable.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only, as the lock pins them; no install scripts (native parts ship
# prebuilt). `npm install`, not `npm ci`: the lock holds only the @swc/core platform packages the
# registry served when it was written, which `npm ci` refuses (see scripts/run.sh). Temporal's
# native core ships for five platforms (~30 MB each): only this one is kept.
RUN npm install --omit=dev --ignore-scripts --no-save --no-audit --no-fund --loglevel=error \
 && rm -rf /root/.npm \
 && cd node_modules/@temporalio/core-bridge/releases \
 && for d in *; do [ "$d" = "$(uname -m)-unknown-linux-gnu" ] || rm -rf "$d"; done \
 && ls | grep -q .

FROM ${NODE_IMAGE}
ENV NODE_ENV=production NODE_OPTIONS=--disable-warning=ExperimentalWarning
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# Sources only (see .dockerignore: no tests, docs, benches, local state).
COPY . .
RUN chmod 755 docker/entrypoint.sh \
 && printf '#!/bin/sh\nexec /app/docker/entrypoint.sh cli "$@"\n' > /usr/local/bin/failover && chmod 755 /usr/local/bin/failover \
 && mkdir -p /sandbox && chown node:node /sandbox
USER node
# Worker metrics (FAILOVER_WORKER_METRICS), bridge health and metrics (alerts.http).
EXPOSE 9464 9465
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["worker"]
