# ccbot: `ccbot serve` as a non-root user, with a health check on /healthz.
# Migrations are a separate one-shot command: `docker run ... ccbot db upgrade` (compose.yaml's `migrate`).

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY storage ./storage
RUN python -m venv /opt/ccbot \
    && /opt/ccbot/bin/pip install --no-cache-dir .

FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 ccbot \
    && useradd --system --uid 10001 --gid ccbot --home-dir /var/lib/ccbot --create-home --shell /usr/sbin/nologin ccbot
COPY --from=build /opt/ccbot /opt/ccbot
# The sample roster and files, for `ccbot console --demo` and the compose `try` profile.
COPY examples /var/lib/ccbot/examples
ENV PATH=/opt/ccbot/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CCBOT_LOG_FORMAT=json \
    CCBOT_DATABASE_URL=sqlite:////var/lib/ccbot/ccbot.db
WORKDIR /var/lib/ccbot
USER 10001:10001
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CCBOT_PORT', '3000'), timeout=4)"]
CMD ["ccbot", "serve"]
