# skewwatch container image: build once, run as a sidecar.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY alerts ./alerts
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production SKEWWATCH_STATE_DIR=/var/lib/skewwatch SKEWWATCH_LISTEN=0.0.0.0:9465
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/alerts ./alerts
COPY package.json ./
RUN mkdir -p /var/lib/skewwatch && chown node:node /var/lib/skewwatch
USER node
EXPOSE 9465
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:9465/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["run"]
