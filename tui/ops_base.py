"""Text helpers of the operations screens (dashboard, inspection, quality, bulk): bars, padded cells, place names
within an area. The screens themselves build on ``flowpop_tui.base``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len

from flowpop_tui.format import clip, tail

if TYPE_CHECKING:
    pass

BLOCKS = " ▏▎▍▌▋▊▉"


def bar(fraction: float | None, width: int) -> str:
    """A bar of ``width`` cells filled to ``fraction`` (eighths of a cell), the rest shaded."""
    if fraction is None:
        return "·" * width
    eighths = round(min(max(fraction, 0.0), 1.0) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (BLOCKS[part] if part else "")
    return text + "░" * (width - len(text))


def pad(text: str, width: int) -> str:
    """Clipped or padded to ``width`` terminal cells (CJK characters count two)."""
    text = clip(text, width)
    return text + " " * (width - cell_len(text))


def short_place(name: str | None, within: str | None, width: int) -> str:
    """A division's full name without the area it lies in (北岭社区, not 福建省…坑塘街道北岭社区)."""
    text = name or ""
    if within and text.startswith(within) and len(text) > len(within):
        text = text[len(within):]
    return clip(text, width) if text != name else tail(text, width)


def share(done: int, total: int) -> float | None:
    return done / total if total else None
