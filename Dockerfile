# TameFlare: one image, both roles (`serve --role=all|control|gateway`).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
COPY bin ./bin
COPY web ./web
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    TAMEFLARE_DATA_DIR=/data \
    TAMEFLARE_HOST=0.0.0.0
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tini && rm -rf /var/lib/apt/lists/* \
 && groupadd --system tameflare && useradd --system --gid tameflare --home /data tameflare \
 && mkdir -p /data && chown tameflare:tameflare /data && chmod 0700 /data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/bin ./bin
USER tameflare
VOLUME ["/data"]
EXPOSE 3000 9443
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "const r=process.env.TAMEFLARE_ROLE||'all';const p=r==='gateway'?(process.env.TAMEFLARE_GATEWAY_PORT||9443):(process.env.TAMEFLARE_PORT||3000);fetch('http://127.0.0.1:'+p+'/health').then(x=>process.exit(x.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/tameflare"]
CMD ["serve", "--role=all"]
