"""Resource subscriptions in both protocol eras, which FastMCP 4.2.3 does not offer itself.

- Handshake era (2025-11-25 and older): `resources/subscribe` / `resources/unsubscribe`; the
  server sends `notifications/resources/updated` on the subscribing session.
- 2026-07-28: `subscriptions/listen` (SEP-2575); served by the MCP SDK's own `ListenHandler`
  over an in-memory bus, which stamps and filters each stream's events.

FastMCP registers its handlers on its low-level server (`FastMCP._mcp_server`) and has no public
hook for these methods (checked on 4.2.3), so they are added there; registering them also makes
the server advertise `resources.subscribe` in both eras.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

from fastmcp import FastMCP
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ResourceUpdated
from mcp_types import (
    EmptyResult,
    SubscribeRequestParams,
    SubscriptionsListenRequestParams,
    UnsubscribeRequestParams,
)

from observability import get_logger

_log = get_logger(__name__)
_MIN_INTERVAL_S = 0.1  # coalesce bursts of changes to one notification per resource per interval


class ResourceSubscriptions:
    """Tracks subscribers of resource URIs and tells them when a resource changed."""

    def __init__(self, mcp: FastMCP) -> None:
        self.bus = InMemorySubscriptionBus()
        self.listen = ListenHandler(self.bus)
        self._sessions: dict[str, weakref.WeakSet[Any]] = {}
        self._active: set[str] = set()
        self._dirty: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        server = mcp._mcp_server  # no public hook for these methods (see the module docstring)
        server.add_request_handler(
            "subscriptions/listen", SubscriptionsListenRequestParams, self.listen
        )
        server.add_request_handler("resources/subscribe", SubscribeRequestParams, self._subscribe)
        server.add_request_handler(
            "resources/unsubscribe", UnsubscribeRequestParams, self._unsubscribe
        )

    @staticmethod
    def _connection(ctx: Any) -> Any:
        # `ctx.session` is a per-request proxy (mcp 2.3); the client's connection outlives it
        # and is what a later notification must go to. The SDK keeps it in `_connection`.
        return getattr(ctx.session, "_connection", ctx.session)

    async def _subscribe(self, ctx: Any, params: SubscribeRequestParams) -> EmptyResult:
        self._sessions.setdefault(str(params.uri), weakref.WeakSet()).add(self._connection(ctx))
        return EmptyResult()

    async def _unsubscribe(self, ctx: Any, params: UnsubscribeRequestParams) -> EmptyResult:
        self._sessions.get(str(params.uri), weakref.WeakSet()).discard(self._connection(ctx))
        return EmptyResult()

    async def publish(self, uri: str) -> None:
        """Send `notifications/resources/updated` for `uri` to every subscriber, now."""
        await self.bus.publish(ResourceUpdated(uri=uri))
        for connection in list(self._sessions.get(uri, ())):
            try:
                await connection.notify("notifications/resources/updated", {"uri": uri})
            # A connection that went away fails here; it is dropped, the others still get theirs.
            except Exception as exc:  # noqa: BLE001
                self._sessions[uri].discard(connection)
                _log.debug("resource_update_dropped", uri=uri, error=type(exc).__name__)

    def changed(self, uri: str) -> None:
        """Note a change (from synchronous code); notifications are coalesced per interval."""
        if uri in self._active:
            self._dirty.add(uri)
            return
        self._active.add(uri)
        task = asyncio.get_running_loop().create_task(self._send(uri))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, uri: str) -> None:
        try:
            while True:
                self._dirty.discard(uri)
                await self.publish(uri)
                await asyncio.sleep(_MIN_INTERVAL_S)
                if uri not in self._dirty:
                    return
        finally:
            self._active.discard(uri)

    def close(self) -> None:
        """End listen streams and pending sends."""
        self.listen.close()
        for task in list(self._tasks):
            with contextlib.suppress(RuntimeError):
                task.cancel()
