"""Byte layouts: big-endian integers, length-checked reads, base64url."""

from __future__ import annotations

import base64
import struct

from atopos_protocol.errors import ProtocolError

MAX_SAFE_INTEGER = 2**53 - 1


def b64u_encode(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str, size: int, error: str) -> bytes:
    """Exactly ``size`` bytes from unpadded base64url, or ProtocolError(``error``)."""
    if len(text) != (size * 8 + 5) // 6 or not text.isascii():
        raise ProtocolError(error, "wrong length")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise ProtocolError(error, "not base64url") from None
    if len(data) != size or b64u_encode(data) != text:
        raise ProtocolError(error, "not canonical base64url")
    return data


def u8(value: int) -> bytes:
    return struct.pack(">B", value)


def u16(value: int) -> bytes:
    return struct.pack(">H", value)


def u32(value: int) -> bytes:
    return struct.pack(">I", value)


def u64(value: int) -> bytes:
    return struct.pack(">Q", value)


class Reader:
    """Reads a byte string front to back; any overrun raises ProtocolError(``error``)."""

    def __init__(self, data: bytes, error: str) -> None:
        self.data = data
        self.offset = 0
        self.error = error

    def take(self, size: int) -> bytes:
        """The next ``size`` bytes."""
        end = self.offset + size
        if size < 0 or end > len(self.data):
            raise ProtocolError(self.error, "truncated")
        chunk = self.data[self.offset : end]
        self.offset = end
        return chunk

    def u8(self) -> int:
        return int(self.take(1)[0])

    def u16(self) -> int:
        return int(struct.unpack(">H", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def u64(self) -> int:
        """A u64 below 2**53, the range every implementation (JavaScript too) reads exactly."""
        value = int(struct.unpack(">Q", self.take(8))[0])
        if value > MAX_SAFE_INTEGER:
            raise ProtocolError(self.error, "integer too large")
        return value

    def remaining(self) -> int:
        """How many bytes are left."""
        return len(self.data) - self.offset

    def rest(self) -> bytes:
        """Everything not read yet."""
        return self.take(self.remaining())

    def end(self) -> None:
        """Fail unless every byte was read."""
        if self.remaining():
            raise ProtocolError(self.error, "trailing bytes")
