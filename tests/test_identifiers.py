import pytest

from intranet.core.identifiers import (
    name_initials, normalize_plate, validate_mobile, validate_plate, validate_vin, vin_check_digit,
)
from intranet.errors import DomainError


@pytest.mark.parametrize("raw, plate", [
    ("沪A12345", "沪A12345"), ("沪a 123 45", "沪A12345"), ("京AD12345", "京AD12345"), ("粤B12345D", "粤B12345D"),
    ("沪A·1234学", "沪A1234学"), ("苏E2345挂", "苏E2345挂"), ("沪ＡＦ１２３４５", "沪AF12345"),
])
def test_valid_plates_are_normalised(raw, plate):
    assert validate_plate(raw) == plate


@pytest.mark.parametrize("raw", ["A12345", "沪12345", "沪AI2345", "沪A1234", "沪A1234567", "X A12345", ""])
def test_wrong_plates_are_refused_with_a_hint(raw):
    with pytest.raises(DomainError) as refused:
        validate_plate(raw)
    assert refused.value.field == "plate"


def test_vin_check_digit_is_enforced():
    vin = "LFV2A21K0A3045678"
    good = vin[:8] + vin_check_digit(vin) + vin[9:]
    assert validate_vin(good.lower()) == good
    wrong = good[:8] + ("1" if good[8] != "1" else "2") + good[9:]
    for bad in (wrong, "LFV2A21K0A304567", "LFV2A21K0A30456O8"):
        with pytest.raises(DomainError) as refused:
            validate_vin(bad)
        assert refused.value.field == "vin"
    with pytest.raises(DomainError, match="16"):  # says how many characters were typed
        validate_vin("LFV2A21K0A304567")


def test_known_vin_passes():
    assert validate_vin("1M8GDM9AXKP042788") == "1M8GDM9AXKP042788"  # the textbook example


@pytest.mark.parametrize("raw, mobile", [("13812345678", "13812345678"), ("138 1234 5678", "13812345678"),
                                         ("+86 139-1234-5678", "13912345678")])
def test_mobiles(raw, mobile):
    assert validate_mobile(raw) == mobile


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "021-58886666", "abc"])
def test_wrong_mobiles(raw):
    with pytest.raises(DomainError):
        validate_mobile(raw)


@pytest.mark.parametrize("name, initials", [("张伟", "ZW"), ("曾小贤", "ZXX"), ("单田芳", "STF"), ("欧阳娜娜", "OYNN"),
                                            ("John Smith", "JS"), ("李 Lily", "LL")])
def test_pinyin_initials(name, initials):
    assert name_initials(name) == initials


def test_plate_normaliser_keeps_province():
    assert normalize_plate(" 沪a-12345 ") == "沪A12345"
