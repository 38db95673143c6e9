# The crawler's image: the project installed from its own metadata, run as a non-root user.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Chromium for pages behind a JavaScript challenge (MIZAN_PLAYWRIGHT=auto); no other system package.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md scrapy.cfg ./
COPY mizan_crawler ./mizan_crawler
RUN pip install . \
    && useradd --create-home --uid 10001 mizan \
    && mkdir -p /app/data \
    && chown mizan:mizan /app/data

USER mizan
VOLUME ["/app/data"]

# Defaults only; addresses and secrets come from the environment (.env with docker compose).
ENV DATABASE_URL=sqlite:///data/mizan.sqlite \
    MIZAN_CHROMIUM=/usr/bin/chromium

HEALTHCHECK --interval=5m --timeout=10s --start-period=30m \
    CMD python -m mizan_crawler.scheduler --check --interval "${CRAWL_INTERVAL:-15}" || exit 1

ENTRYPOINT ["python", "-m", "mizan_crawler"]
CMD ["crawl", "news"]
