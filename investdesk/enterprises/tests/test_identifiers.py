import pytest

from investdesk.lib.identifiers import IdentifierError, make_uscc, validate_uscc

REAL = ["914403001922038216", "91110000600037341L"]  # Huawei Technologies; python-stdnum's example
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@pytest.mark.parametrize("code", REAL)
def test_real_codes_pass(code):
    assert validate_uscc(code) == code


def test_lower_case_and_spaces_are_normalised():
    assert validate_uscc(" 91110000 600037341l ") == "91110000600037341L"


@pytest.mark.parametrize("code", REAL)
def test_every_one_character_change_fails(code):
    for position in range(18):
        for replacement in ALPHABET:
            if replacement == code[position] or (position < 8 and not replacement.isdigit()):
                continue
            changed = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(IdentifierError):
                validate_uscc(changed)


def test_messages_say_what_is_wrong():
    with pytest.raises(IdentifierError, match="18"):
        validate_uscc("9144030019220382")
    with pytest.raises(IdentifierError, match=r"I、O、Z、S、V|I, O, Z, S, V"):
        validate_uscc("91440300192203821I")
    with pytest.raises(IdentifierError, match=r"校验码|check digit"):
        validate_uscc("914403001922038217")


def test_make_uscc_builds_valid_codes():
    assert validate_uscc(make_uscc(division="510100", organisation="MA6CXXXX1"))
