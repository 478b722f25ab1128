"""cctwin: open-source CCTV control centre with a live digital twin."""

__version__ = "0.1.0"
