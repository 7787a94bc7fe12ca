# Heima service image: one image, the command picks the role
# (heima serve | heima worker | heima migrate; see compose.yaml).

# The web apps are built here, so running Heima never needs Node: only web/dist reaches the image.
FROM node:20-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1

# A fixed, unprivileged uid/gid, so volume ownership is predictable across rebuilds.
RUN groupadd --system --gid 10001 heima \
 && useradd --system --uid 10001 --gid heima --home-dir /home/heima --create-home \
    --shell /usr/sbin/nologin heima

WORKDIR /app

# .dockerignore keeps out .git, virtualenvs, caches, local data and .env files.
COPY . .

# Installed as root into the system site-packages: the running user can read the code
# but not change it.
RUN pip install --no-cache-dir .

# The built apps `heima serve` serves at /app/ and /care/.
COPY --from=web /web/dist /app/web/dist
ENV HEIMA_WEB_DIR=/app/web/dist

USER heima

EXPOSE 8000

CMD ["heima", "serve", "--host", "0.0.0.0", "--port", "8000"]
