"""fingerprint names the variations of real and deliberately varied kernels, or says none fits."""

import pytest

from conformance.cli import main
from conformance.fingerprint import fingerprint
from conformance.targets import load_target

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.mark.parametrize("spec, names", [
    ("tests.targets.variations.half_away", {"round_half_away"}),
    ("tests.targets.variations.always_narrow", {"always_narrow"}),
    ("tests.targets.variations.both", {"round_half_away", "always_narrow"}),
    ("torch", set()),
])
def test_fingerprint_names_the_variations(spec, names):
    fp = fingerprint(load_target(spec))
    assert fp.fits, fp.first_mismatches
    assert set(fp.variations) == names
    assert fp.evidence  # inputs that separate it from the alternatives


def test_fingerprint_of_torch_native():
    target = load_target("torch-native")
    per_tensor = fingerprint(target, per_channel=False)
    assert per_tensor.fits
    assert set(per_tensor.variations) == set(target.variations)
    # The per-channel kernel breaks on +inf / huge inputs and dequantizes float64
    # in float64: nothing fits, and the closest is still its variations.
    whole = fingerprint(target)
    assert not whole.fits
    assert set(whole.variations) == set(target.variations)


def test_unrelated_bug_fits_nothing(capsys):
    spec = "tests.targets.variations.code_five_bug"
    fp = fingerprint(load_target(spec))
    assert not fp.fits and fp.mismatches > 0 and fp.first_mismatches
    assert main(["fingerprint", "--target", spec]) == 1
    out = capsys.readouterr().out
    assert "NO COMBINATION OF VARIATIONS FITS" in out and "differs on" in out


def test_command_exit_zero_and_evidence(capsys):
    assert main(["fingerprint", "--target", "tests.targets.variations.half_away"]) == 0
    out = capsys.readouterr().out
    assert "FITS: round_half_away" in out
    assert "rounding=half_even" in out  # the evidence against the nearest alternative
