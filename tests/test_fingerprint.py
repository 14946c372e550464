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


# -- targets that hang, end their process or answer nothing: never a fit, never a hang ----------


def test_a_hanging_target_is_a_verdict_not_a_hang():
    fp = fingerprint(load_target("tests.targets.sweep.hangs"), call_timeout=1.0)
    assert not fp.fits
    assert fp.failed.startswith("the target hung:") and "did not return within 1 s" in fp.failed
    assert fp.calls > 0  # the calls before the hang still count


def test_a_hang_without_isolation_is_a_verdict_too():
    fp = fingerprint(load_target("tests.targets.sweep.hangs"), call_timeout=1.0, isolate=False)
    assert not fp.fits and "did not return within 1 s" in fp.failed


@pytest.mark.parametrize("kernel, cause", [
    ("exits_zero", "the target's process exited with status 0"),
    ("segfaults", "the target's process was killed by SIGSEGV"),
])
def test_a_target_that_ends_its_process_exits_1_not_with_its_status(capsys, tmp_path, kernel,
                                                                     cause):
    # The command runs the target in its supervised child: the child's end is the verdict.
    out = tmp_path / "fp.json"
    assert main(["fingerprint", "--target", f"tests.targets.sweep.{kernel}",
                 "--json", str(out)]) == 1
    err = capsys.readouterr().err
    assert "no fingerprint of" in err and cause in err
    assert not out.exists()  # no fingerprint, so no JSON that could be read as one


def test_system_exit_from_the_target_is_an_outcome_not_the_end():
    fp = fingerprint(load_target("tests.targets.sweep.system_exit"), isolate=False)
    assert not fp.fits and not fp.failed and fp.mismatches > 0


def test_a_target_that_answers_nothing_does_not_fit(capsys):
    assert main(["fingerprint", "--target", "tests.targets.engine.not_implemented"]) == 1
    assert "NO FINGERPRINT: the target answered none" in capsys.readouterr().out


def test_the_json_path_is_checked_before_any_work(capsys, tmp_path):
    assert main(["fingerprint", "--target", "no_such_module_anywhere",
                 "--json", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
