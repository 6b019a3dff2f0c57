# One image for every Neva role: `core`, `edge --config FILE`, `sim ambulance …`.
FROM node:24-bookworm-slim
WORKDIR /app
ENV npm_config_onnxruntime_node_install=skip
# Dependencies first, so that code changes do not reinstall them.
COPY package.json package-lock.json .npmrc .nvmrc ./
COPY contracts/package.json contracts/
COPY firmware-adapters/package.json firmware-adapters/
COPY analytics/package.json analytics/
COPY edge/package.json edge/
COPY core/package.json core/
COPY simulators/package.json simulators/
RUN npm ci --no-audit --no-fund && npm cache clean --force
COPY . .
RUN useradd --system --home /var/lib/neva neva && mkdir -p /var/lib/neva/edge && chown -R neva /var/lib/neva
USER neva
ENTRYPOINT ["./bin/neva"]
CMD ["core", "--host", "0.0.0.0"]
