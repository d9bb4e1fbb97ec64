"""`python -m mcp_server`: the same as `mcp-observatory serve`."""

from mcp_server.cli import main

raise SystemExit(main())
