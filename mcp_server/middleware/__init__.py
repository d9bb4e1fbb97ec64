"""MCP-application middleware that is not telemetry (telemetry lives in `observability`)."""
