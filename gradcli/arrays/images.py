"""Grayscale images as data (``img: noisy.png``) and a 2-D result saved as one (``--save-x u.png``).

Reading uses Pillow when it is installed, else matplotlib's PNG reader (the plotting extra); with
neither, one line says what to install. The size is read from the PNG header (IHDR: width and height
at bytes 16..24) before anything is decoded, so a small file declaring 100 000 × 100 000 pixels is
refused (MAX_ENTRIES) without allocating them. Pixels become floats in [0, 1] (8-bit: /255, 16-bit:
/65535). An image is grayscale when it has one channel, or when its colour channels are equal
everywhere and any alpha is opaque; anything else is refused, not averaged.

Writing maps [0, 1] to 8-bit gray (values outside are clipped, and the caller says how many); the
exact values belong in .npy.
"""

from __future__ import annotations

import io
import struct

import numpy as np

from gradcli.errors import GradcliError, ProblemError

IMAGE_SUFFIXES = (".png",)
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(head: bytes, entry: str, field: str) -> tuple[int, int]:
    """(height, width) from the first 24 bytes of a PNG."""
    if len(head) < 24 or head[:8] != _SIGNATURE or head[12:16] != b"IHDR":
        raise ProblemError(f"'{entry}': not a PNG image (no PNG signature and IHDR header)", field)
    width, height = struct.unpack(">II", head[16:24])
    return height, width


def read_image(fh, entry: str, field: str, max_entries: int) -> np.ndarray:
    """A grayscale PNG as a float array in [0, 1] of shape (rows, columns)."""
    head = fh.read(24)
    rows, cols = png_size(head, entry, field)
    if rows * cols == 0 or rows * cols > max_entries:
        raise ProblemError(f"'{entry}': {rows}×{cols} pixels; an image has 1 to {max_entries} pixels (MAX_ENTRIES)",
                           field)
    data = head + fh.read()
    arr = _decode(data, entry, field)
    return _gray(arr, entry, field)


def _decode(data: bytes, entry: str, field: str) -> np.ndarray:
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if im.mode in ("I;16", "I;16B", "I"):
                return np.asarray(im, dtype=float) / 65535.0
            if im.mode == "P":
                im = im.convert("RGBA")
            arr = np.asarray(im)
            return arr.astype(float) / 255.0 if arr.dtype == np.uint8 else arr.astype(float)
    try:
        from matplotlib import image as mpimg
    except ImportError:
        raise ProblemError(f"'{entry}': reading images needs Pillow or matplotlib: pip install pillow "
                           "(or save the array as .npy)", field) from None
    return np.asarray(mpimg.imread(io.BytesIO(data), format="png"), dtype=float)


def _gray(arr: np.ndarray, entry: str, field: str) -> np.ndarray:
    if arr.ndim == 2:
        return arr
    if arr.ndim == 3 and arr.shape[2] in (1, 2, 3, 4):
        color = arr[:, :, :3] if arr.shape[2] >= 3 else arr[:, :, :1]
        alpha = arr[:, :, 3] if arr.shape[2] == 4 else (arr[:, :, 1] if arr.shape[2] == 2 else None)
        if alpha is not None and np.any(alpha < 1.0):
            raise ProblemError(f"'{entry}': the image has transparent pixels; save it without transparency", field)
        if np.all(color == color[:, :, :1]):
            return np.ascontiguousarray(color[:, :, 0])
    raise ProblemError(f"'{entry}': not a grayscale image (its colour channels differ); convert it to grayscale "
                       "first", field)


def png_bytes(values: np.ndarray, what: str) -> tuple[bytes, int]:
    """An 8-bit grayscale PNG of a 2-D array read as [0, 1], and how many entries were clipped."""
    if values.ndim != 2:
        raise GradcliError(f"--save-x {what}: a PNG holds a 2-D variable; this one has shape {values.shape}")
    clipped = int(np.sum((values < 0.0) | (values > 1.0)))
    pixels = np.round(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8)
    buf = io.BytesIO()
    try:
        from PIL import Image
        Image.fromarray(pixels).save(buf, format="png")      # 2-D uint8: mode L
    except ImportError:
        try:
            from matplotlib import image as mpimg
        except ImportError:
            raise GradcliError("--save-x FILE.png needs Pillow or matplotlib: pip install pillow (or save .npy)") \
                from None
        mpimg.imsave(buf, pixels, cmap="gray", vmin=0, vmax=255, format="png")
    return buf.getvalue(), clipped
