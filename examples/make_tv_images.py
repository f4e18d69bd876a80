"""Make the images of examples/tv_denoise.yaml: a clean 48×48 grayscale picture and a noisy copy.

    python examples/make_tv_images.py        # writes examples/tv_clean.png and examples/tv_noisy.png

Seeded (numpy.random.default_rng(0)), so the noisy image is the same everywhere. The clean image is
piecewise constant (what total variation favours): a background of 0.2, a bright rectangle of 0.8
and a mid-gray bar of 0.5 across it. The noise is Gaussian, σ = 0.12, clipped to [0, 1] so that it
fits an 8-bit PNG. Needs Pillow or matplotlib to write PNGs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def images(seed: int = 0, sigma: float = 0.12) -> tuple[np.ndarray, np.ndarray]:
    clean = np.full((48, 48), 0.2)
    clean[8:30, 10:40] = 0.8
    clean[20:44, 24:34] = 0.5
    noisy = np.clip(clean + sigma * np.random.default_rng(seed).normal(size=clean.shape), 0.0, 1.0)
    return clean, noisy


def to_png(values: np.ndarray, path: Path) -> None:
    pixels = np.round(np.clip(values, 0.0, 1.0) * 255).astype(np.uint8)
    try:
        from PIL import Image
        Image.fromarray(pixels).save(path)
    except ImportError:
        from matplotlib import image as mpimg
        mpimg.imsave(path, pixels, cmap="gray", vmin=0, vmax=255)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    clean, noisy = images()
    to_png(clean, out / "tv_clean.png")
    to_png(noisy, out / "tv_noisy.png")
    print(f"wrote {out / 'tv_clean.png'} and {out / 'tv_noisy.png'}")


if __name__ == "__main__":
    main()
