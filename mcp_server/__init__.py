"""mcp-observatory: an observable-first MCP tool server."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mcp-observatory")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
