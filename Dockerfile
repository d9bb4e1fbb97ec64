# mcp-observatory over streamable HTTP, for the bundled stack (docker-compose.yml).
#
# Binding 0.0.0.0 needs MCP_SERVER_AUTH_TOKEN (the server refuses to start without it).
# Commands run directly in the container (no bubblewrap inside Docker): the container and
# the allowed root /workspace are the boundary.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
# .dockerignore lets in only the package sources and their metadata.
COPY . ./
RUN /opt/venv/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MCP_SERVER_DATA_DIR=/data \
    MCP_SERVER_ALLOWED_ROOTS=/workspace
RUN groupadd --system --gid 10001 mcp \
    && useradd --system --uid 10001 --gid mcp --home-dir /home/mcp --create-home --shell /usr/sbin/nologin mcp \
    && mkdir -p /data /workspace \
    && chown mcp:mcp /data /workspace
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
WORKDIR /workspace
EXPOSE 8000
# slim has no curl: the probe is the image's own Python.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3).status != 200)"]
ENTRYPOINT ["mcp-observatory"]
CMD ["serve", "--transport", "http", "--host", "0.0.0.0", "--port", "8000"]
