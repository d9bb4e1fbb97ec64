"""The telemetry resource (SPEC 9.4): service, instance, host and process, plus OTEL_RESOURCE_ATTRIBUTES."""

from __future__ import annotations

import platform
import socket
from collections.abc import Mapping

from opentelemetry.sdk.resources import (
    OsResourceDetector,
    ProcessResourceDetector,
    Resource,
    get_aggregated_resources,
)
from opentelemetry.semconv.attributes.service_attributes import SERVICE_NAME, SERVICE_VERSION

# The command line can carry paths and flags an operator would not want in a trace backend.
_DROPPED_PROCESS_KEYS = ("process.command_args", "process.command_line", "process.command")


def build_resource(
    service_name: str, service_version: str, extra: Mapping[str, str | bool | int | float] | None = None
) -> Resource:
    """Build the resource shared by traces and metrics.

    Precedence, lowest first: host/process/OS detectors, `OTEL_RESOURCE_ATTRIBUTES` and
    `OTEL_SERVICE_NAME` (read by the SDK's own detector), the service name and version given
    here, then `extra` (runtime reconfiguration, SPEC 9.7).

    Args:
        service_name: `service.name`.
        service_version: `service.version`, the package version.
        extra: resource attributes set at runtime.

    Returns:
        The merged resource; `service.instance.id` is a UUID per process.
    """
    detected = get_aggregated_resources(
        [ProcessResourceDetector(), OsResourceDetector()], Resource.get_empty()
    )
    detected_attributes = {
        key: value for key, value in detected.attributes.items() if key not in _DROPPED_PROCESS_KEYS
    }
    host = Resource({"host.name": socket.gethostname(), "host.arch": platform.machine()})
    # Resource.create adds service.instance.id and the OTEL_* environment on top.
    service = Resource.create({SERVICE_VERSION: service_version})
    resource = host.merge(Resource(detected_attributes)).merge(service)
    if service.attributes.get(SERVICE_NAME, "").startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: service_name}))
    return resource.merge(Resource(dict(extra or {})))
