# The Bazaar image: one image for the API and the worker (BAZAAR_ROLES chooses). Build it with
#   docker build -t registry.example/bazaar:0.1.0 .
# In production the worker runs agents as Kubernetes Jobs (KUBERNETES_RUNTIME=true), so the image
# needs no sandbox tooling; bubblewrap is included for clusters that still run `process` agents.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Dev dependencies (typescript, eslint, vitest) are not needed at run time: tsx runs the sources.
RUN npm install --omit=dev --no-fund --no-audit --loglevel=error

# The web console, built to static files that the API serves at / (its libraries are dev dependencies).
FROM node:20-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-fund --no-audit --loglevel=error
COPY web ./web
COPY src/client ./src/client
RUN NODE_ENV=production npx vite build --config web/vite.config.ts --logLevel warn

FROM node:20-bookworm-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends bubblewrap tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY agents ./agents
COPY --from=web /app/web/dist ./web/dist
ENV NODE_ENV=production \
    BAZAAR_MODE=production \
    TEMPORAL_DEV_SERVER=false \
    DATA_DIR=/var/lib/bazaar \
    PORT=3000
# A fixed unprivileged user; the manifests run the pods as this uid with a read-only root filesystem.
RUN useradd --system --uid 10001 --home-dir /var/lib/bazaar --create-home bazaar
USER 10001
EXPOSE 3000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "src/main.ts"]
