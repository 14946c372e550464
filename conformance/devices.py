"""Which devices a run may use, checked before anything runs."""

from __future__ import annotations

from .errors import UsageError

__all__ = ["DEVICES", "check_device"]

DEVICES = ("cpu", "cuda")


def check_device(device: str) -> str:
    """Return ``device`` if this machine has it; UsageError saying what to do if not."""
    if device not in DEVICES:
        raise UsageError(f"unknown device {device!r}; choose one of {', '.join(DEVICES)}.")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            build = torch.version.cuda or "a CPU-only build"
            raise UsageError(
                f"no CUDA device found: torch.cuda.is_available() is False (torch "
                f"{torch.__version__}, CUDA: {build}). Run with --device cpu, or on a machine "
                "with an NVIDIA GPU, its driver and a CUDA build of torch."
            )
    return device
