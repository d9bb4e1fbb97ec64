"""The `files` group: read, write, edit, list, search, inspect, move, create and delete paths.

Thin handlers: bounds live in the parameter types, the work in `mcp_server.filesystem`
(blocking, so it runs in a worker thread). Every path goes through `validate_path`.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

import anyio
from pydantic import BaseModel, ConfigDict, Field

from mcp_server.errors import InvalidArgumentsError
from mcp_server.filesystem.editing import Edit
from mcp_server.filesystem.workspace import Workspace
from mcp_server.security.paths import MAX_PATH_CHARS
from mcp_server.services import Services
from mcp_server.tool_registry import ToolRegistry

GROUP = "files"
MAX_WRITE_CHARS = 8 * 1_048_576
MAX_EDIT_TEXT_CHARS = 1_048_576

PathArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_PATH_CHARS,
        description="Absolute path inside an allowed root, or a path relative to the first root.",
    ),
]
DirectoryArg = Annotated[
    str,
    Field(min_length=1, max_length=MAX_PATH_CHARS, description="Directory inside an allowed root ('.' = first root)."),
]
Encoding = Annotated[
    Literal["text", "base64"], Field(description="'text' (UTF-8) or 'base64' for binary or exact bytes.")
]


class EditSpec(BaseModel):
    """One exact search/replace."""

    model_config = ConfigDict(extra="forbid")

    old_text: str = Field(
        min_length=1, max_length=MAX_EDIT_TEXT_CHARS, description="Exact text to find (whitespace matters)."
    )
    new_text: str = Field(max_length=MAX_EDIT_TEXT_CHARS, description="Replacement text.")
    expected_count: int = Field(
        default=1, ge=1, le=100_000, description="How many times old_text must occur; all are replaced."
    )


def encode_content(content: str, encoding: str) -> bytes:
    """The bytes to write for `content` given as UTF-8 text or base64."""
    try:
        if encoding == "base64":
            return base64.b64decode(content, validate=True)
        return content.encode("utf-8")
    except (binascii.Error, UnicodeEncodeError) as exc:
        message = f"content is not valid {'base64' if encoding == 'base64' else 'UTF-8 text'}: {exc}"
        raise InvalidArgumentsError(message) from exc


def register(registry: ToolRegistry, services: Services) -> None:
    """Add the file tools, bound to the allowed roots and the `file` content cache."""
    workspace = Workspace(services.settings.allowed_roots, services.file_cache)

    async def read_file(
        path: PathArg,
        offset: Annotated[
            int, Field(ge=-10_000_000, le=10_000_000, description="First line (0-based); negative counts from the end.")
        ] = 0,
        limit: Annotated[int, Field(ge=1, le=100_000, description="Most lines to return.")] = 2000,
        encoding: Encoding = "text",
    ) -> dict[str, Any]:
        """Read a text file a page of lines at a time, or a whole file as base64.

        Text results give `content`, `offset`, `start_line` (1-based), `lines_returned`,
        `total_lines` and `next_offset` (pass it as `offset` for the next page; null at the end).
        A page also stops near 1,000,000 characters (`truncated`). offset=-50 reads the last
        50 lines. Files up to 32 MiB (base64: 8 MiB); contents are cached until they change.
        Errors: binary_file (use encoding='base64'), not_found, path_outside_roots,
        invalid_arguments (a directory), resource_limit (too large), permission_denied.
        """
        return await anyio.to_thread.run_sync(
            lambda: workspace.read(path, offset=offset, limit=limit, encoding=encoding)
        )

    async def write_file(
        path: PathArg,
        content: Annotated[str, Field(max_length=MAX_WRITE_CHARS, description="The full content to write.")],
        mode: Annotated[
            Literal["overwrite", "create", "append"],
            Field(description="'overwrite' (default), 'create' (fail if it exists) or 'append'."),
        ] = "overwrite",
        encoding: Encoding = "text",
        create_parents: Annotated[bool, Field(description="Create missing parent directories.")] = False,
    ) -> dict[str, Any]:
        """Write a file atomically: readers see the old or the new content, never a mix.

        An existing file keeps its permissions. mode='create' refuses an existing file
        (already_exists); 'append' adds to the end (the file is rewritten whole, up to 32 MiB).
        Content up to 8 MiB characters. Errors: already_exists, not_found (missing parent:
        pass create_parents=true), path_outside_roots, invalid_arguments, permission_denied,
        resource_limit (disk full).
        """
        data = encode_content(content, encoding)
        return await anyio.to_thread.run_sync(
            lambda: workspace.write(path, data, mode=mode, create_parents=create_parents)
        )

    async def edit_file(
        path: PathArg,
        edits: Annotated[list[EditSpec], Field(min_length=1, max_length=100, description="Replacements, in order.")],
        dry_run: Annotated[bool, Field(description="Only show the diff; change nothing.")] = False,
    ) -> dict[str, Any]:
        """Edit a text file by exact search/replace and return a unified diff of the change.

        Each edit's old_text must occur exactly expected_count times (default 1) in the text as
        left by the previous edits; otherwise nothing is written and the error says how many
        times it was found. Edits apply all or nothing; the write is atomic. Files up to 4 MiB.
        Errors: invalid_arguments (count mismatch), binary_file, not_found,
        path_outside_roots, permission_denied, resource_limit (file too large).
        """
        plain = [Edit(spec.old_text, spec.new_text, spec.expected_count) for spec in edits]
        return await anyio.to_thread.run_sync(lambda: workspace.edit(path, plain, dry_run=dry_run))

    async def list_directory(
        path: DirectoryArg = ".",
        include_hidden: Annotated[bool, Field(description="Include names starting with a dot.")] = True,
        limit: Annotated[int, Field(ge=1, le=10_000, description="Most entries to return.")] = 1000,
    ) -> dict[str, Any]:
        """List a directory's entries sorted by name: name, type (file, directory, symlink,
        other), size of files and modification time. Symlinks are listed, not followed.

        Errors: not_found (missing, or not a directory), path_outside_roots, permission_denied.
        """
        return await anyio.to_thread.run_sync(
            lambda: workspace.list(path, include_hidden=include_hidden, limit=limit)
        )

    async def search_files(
        path: DirectoryArg = ".",
        pattern: Annotated[
            str,
            Field(
                min_length=1,
                max_length=500,
                description=(
                    "Glob: '*.py' matches names at any depth; with '/', the relative path ('src/**/test_*.py')."
                ),
            ),
        ] = "*",
        content_regex: Annotated[
            str | None,
            Field(max_length=1000, description="Only lines matching this RE2 regex (no backreferences or lookaround)."),
        ] = None,
        case_sensitive: Annotated[bool, Field(description="Case-sensitive content_regex.")] = True,
        include_hidden: Annotated[bool, Field(description="Descend into dot-directories and match dot-files.")] = False,
        max_results: Annotated[int, Field(ge=1, le=1000, description="Stop after this many matches.")] = 100,
        timeout_s: Annotated[float, Field(gt=0, le=60, description="Stop after this many seconds.")] = 10.0,
    ) -> dict[str, Any]:
        """Find files by name (glob), and optionally the lines inside them matching a regex.

        Without content_regex, matches are paths with their type. With it, matches are
        {path, line (1-based), text} for text files up to 4 MiB (binary files are skipped).
        Symlinks are not followed. `truncated` means max_results was reached; `timed_out`
        means the time bound stopped the search (results so far are returned).
        Errors: invalid_arguments (bad regex), not_found, path_outside_roots.
        """
        return await anyio.to_thread.run_sync(
            lambda: workspace.search(
                path,
                pattern=pattern,
                content_regex=content_regex,
                case_sensitive=case_sensitive,
                include_hidden=include_hidden,
                max_results=max_results,
                timeout_s=timeout_s,
            )
        )

    async def file_info(path: PathArg) -> dict[str, Any]:
        """Describe a file or directory: type, size, permissions, owner, times, inode, link
        count, MIME type guess and whether a file looks binary.

        Errors: not_found, path_outside_roots, permission_denied.
        """
        return await anyio.to_thread.run_sync(workspace.info, path)

    async def move_path(
        source: PathArg,
        destination: PathArg,
        overwrite: Annotated[bool, Field(description="Replace an existing destination.")] = False,
        create_parents: Annotated[bool, Field(description="Create missing parent directories.")] = False,
    ) -> dict[str, Any]:
        """Move or rename a file, directory or symlink; both paths must be inside the roots.

        A symlink is moved itself, not its target. Errors: already_exists (pass
        overwrite=true), not_found, path_outside_roots, permission_denied (a root itself),
        invalid_arguments (into itself, across filesystems, non-empty directory destination).
        """
        return await anyio.to_thread.run_sync(
            lambda: workspace.move(source, destination, overwrite=overwrite, create_parents=create_parents)
        )

    async def create_directory(
        path: PathArg,
        parents: Annotated[bool, Field(description="Also create missing parent directories.")] = True,
    ) -> dict[str, Any]:
        """Create a directory; `created` is false when it already existed.

        Errors: already_exists (a file has that name), not_found (missing parent with
        parents=false), path_outside_roots, permission_denied.
        """
        return await anyio.to_thread.run_sync(lambda: workspace.make_directory(path, parents=parents))

    async def delete_path(
        path: PathArg,
        recursive: Annotated[bool, Field(description="Required to delete a directory and all it contains.")] = False,
    ) -> dict[str, Any]:
        """Delete a file or symlink (the link, never its target), or a directory tree with
        recursive=true. An allowed root itself cannot be deleted.

        Errors: not_found, invalid_arguments (a directory without recursive),
        permission_denied (a root), path_outside_roots.
        """
        return await anyio.to_thread.run_sync(lambda: workspace.delete(path, recursive=recursive))

    registry.add(read_file, group=GROUP, read_only=True, idempotent=True)
    registry.add(write_file, group=GROUP, read_only=False, destructive=True, idempotent=False)
    registry.add(edit_file, group=GROUP, read_only=False, destructive=True, idempotent=False)
    registry.add(list_directory, group=GROUP, read_only=True, idempotent=True)
    registry.add(search_files, group=GROUP, read_only=True, idempotent=True)
    registry.add(file_info, group=GROUP, read_only=True, idempotent=True)
    registry.add(move_path, group=GROUP, read_only=False, destructive=True, idempotent=False)
    registry.add(create_directory, group=GROUP, read_only=False, destructive=False, idempotent=True)
    registry.add(delete_path, group=GROUP, read_only=False, destructive=True, idempotent=True)
