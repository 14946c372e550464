"""Target ``tf-args``: TensorFlow's ``tf.quantization.fake_quant_with_min_max_args``.

The op takes one min and max as float attributes; TF gives them no gradient. How the article's call maps onto it, and what TF does
differently, is in ``_tensorflow``; the measured differences are in
``expectations/tensorflow_args.toml``.
"""

from __future__ import annotations

from ._tensorflow import TF_VARIATIONS, fake_affine_quant, fake_quant

__all__ = ["CONFORMANCE_TARGET", "fake_affine_tensor_quant", "fake_tensor_quant"]

CONFORMANCE_TARGET = {
    "name": "TensorFlow fake_quant_with_min_max_args",
    "devices": ("cpu",),
    "variations": TF_VARIATIONS,
    "expectations": "expectations/tensorflow_args.toml",
}


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """Fake quantization through ``tf.quantization.fake_quant_with_min_max_args`` (forward and TF's gradient)."""
    return fake_quant("fake_quant_with_min_max_args", inputs, amax, num_bits, unsigned, narrow_range)


def fake_affine_tensor_quant(inputs, min_range, max_range, num_bits=8):
    """SPEC 6.1's asymmetric fake quantization: TF's op with min_range and max_range as its
    min and max (``narrow_range=False``: 2**num_bits levels)."""
    return fake_affine_quant("fake_quant_with_min_max_args", inputs, min_range, max_range, num_bits)
