"""The load generator behind `mcp-observatory loadtest` (SPEC section 11)."""
