# skewwatch container image. Node 24 is the active LTS (the code runs on
# Node >= 20); the tag is exact so that a rebuild gets the same base.
ARG NODE_IMAGE=node:24.11.1-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY bin ./bin
COPY alerts ./alerts
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="skewwatch" \
      org.opencontainers.image.description="Traffic-imbalance monitor: alerts before a skewed load balancer saturates one backend." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.documentation="README.md in the image at /app/README.md" \
      org.opencontainers.image.base.name="docker.io/library/node:24.11.1-bookworm-slim"
WORKDIR /app
ENV NODE_ENV=production SKEWWATCH_STATE_DIR=/var/lib/skewwatch SKEWWATCH_LISTEN=0.0.0.0:9465
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/alerts ./alerts
COPY package.json README.md LICENSE ./
COPY deploy/docker/healthcheck.mjs ./healthcheck.mjs
RUN mkdir -p /var/lib/skewwatch && chown node:node /var/lib/skewwatch
# The image's unprivileged user (uid 1000); Kubernetes runs it read-only with
# the state dir on a volume.
USER node
EXPOSE 9465
VOLUME ["/var/lib/skewwatch"]
# Honours SKEWWATCH_LISTEN (also when set at `docker run -e`).
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s CMD ["node", "/app/healthcheck.mjs"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["run"]
