"""Bounded output buffers: exact counts, bounded memory, no byte lost or repeated between reads."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mcp_server.execution.managed import complete_utf8
from mcp_server.execution.output import HeadTailBuffer, RingBuffer, decode

chunks = st.lists(st.binary(min_size=0, max_size=300), max_size=40)


class TestHeadTailBuffer:
    def test_output_within_capacity_is_kept_whole(self) -> None:
        """Nothing is dropped while the total fits."""
        buffer = HeadTailBuffer(100)
        for part in (b"hello ", b"world", b"\n"):
            buffer.write(part)
        captured = buffer.captured()
        assert captured.text == "hello world\n"
        assert (captured.total_bytes, captured.dropped_bytes, captured.truncated) == (12, 0, False)

    @settings(max_examples=200, deadline=None)
    @given(chunks, st.integers(min_value=2, max_value=200))
    def test_head_and_tail_are_exact_and_the_count_is_exact(
        self, parts: list[bytes], capacity: int
    ) -> None:
        """Whatever is written, the head and tail kept are the stream's own and counts add up."""
        buffer = HeadTailBuffer(capacity)
        for part in parts:
            buffer.write(part)
        stream = b"".join(parts)
        head, tail = capacity // 2, capacity - capacity // 2
        captured = buffer.captured()
        assert captured.total_bytes == len(stream)
        assert captured.dropped_bytes == max(0, len(stream) - capacity)
        assert bytes(buffer._head) == stream[:head]
        kept_tail = bytes(buffer._tail[-tail:]) if captured.dropped_bytes else b""
        assert kept_tail == (stream[-tail:] if captured.dropped_bytes else b"")

    def test_memory_stays_bounded_whatever_is_written(self) -> None:
        """64 MiB through a 1 KiB buffer never holds more than three capacities."""
        buffer = HeadTailBuffer(1024)
        block = bytes(range(256)) * 256
        for _ in range(1024):
            buffer.write(block)
            assert len(buffer._head) + len(buffer._tail) <= 3 * 1024
        captured = buffer.captured()
        assert captured.total_bytes == 1024 * len(block)
        assert f"{captured.dropped_bytes} bytes dropped" in captured.text


class TestRingBuffer:
    @settings(max_examples=200, deadline=None)
    @given(chunks, st.integers(min_value=1, max_value=64), st.integers(min_value=1, max_value=500))
    def test_readers_that_keep_up_reassemble_the_exact_stream(
        self, parts: list[bytes], read_size: int, capacity: int
    ) -> None:
        """Reading from next_offset after every write sees every byte once, in order."""
        ring, offset, seen = RingBuffer(max(capacity, 300)), 0, bytearray()
        for part in parts:
            ring.write(part)
            while True:
                chunk = ring.read(offset, read_size)
                assert chunk.dropped_bytes == 0
                if not chunk.data:
                    break
                seen += chunk.data
                offset = chunk.next_offset
        assert bytes(seen) == b"".join(parts)

    @settings(max_examples=200, deadline=None)
    @given(chunks, st.integers(min_value=1, max_value=100), st.integers(min_value=1, max_value=50))
    def test_a_reader_that_falls_behind_is_told_exactly_what_it_lost(
        self, parts: list[bytes], capacity: int, read_size: int
    ) -> None:
        """dropped_bytes + bytes read == bytes written, and what is read is the stream's tail."""
        ring = RingBuffer(capacity)
        for part in parts:
            ring.write(part)
        stream, offset, seen, dropped = b"".join(parts), 0, bytearray(), 0
        while True:
            chunk = ring.read(offset, read_size)
            dropped += chunk.dropped_bytes
            if not chunk.data:
                break
            seen += chunk.data
            offset = chunk.next_offset
        assert dropped + len(seen) == len(stream)
        assert bytes(seen) == stream[dropped:]
        assert len(ring._data) <= 2 * capacity

    def test_offsets_past_the_end_read_nothing(self) -> None:
        """A reader ahead of the writer gets an empty chunk at the end."""
        ring = RingBuffer(10)
        ring.write(b"abc")
        chunk = ring.read(50, 10)
        assert (chunk.data, chunk.next_offset) == (b"", 3)


class TestDecode:
    def test_control_characters_become_replacement_characters(self) -> None:
        """Tab, newline and CR stay; other controls (JSON would escape them 6x) do not."""
        assert decode(b"a\tb\nc\r\x00\x1b[31m\x7f\xff") == "a\tb\nc\r\ufffd\ufffd[31m\ufffd\ufffd"


class TestCompleteUtf8:
    def test_a_cut_character_is_held_back(self) -> None:
        """A read never ends inside a multi-byte character."""
        text = "ab€ü🙂".encode()
        for cut in range(len(text) + 1):
            prefix = text[:cut]
            kept = prefix[: complete_utf8(prefix)]
            kept.decode("utf-8")  # no partial character left
            assert text.startswith(kept) and cut - len(kept) < 4
