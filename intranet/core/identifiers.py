"""Chinese plates, VINs, mobile numbers and pinyin initials: how they look and how we search them.

Every normaliser returns the canonical form that is stored; every validator raises
`DomainError` with a message that tells the person what a good value looks like.
"""
from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from pypinyin import Style, lazy_pinyin

from intranet.errors import DomainError

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Letters used on plates: I and O are never issued (they look like 1 and 0).
_L = "A-HJ-NP-Z"
_PLATE_PATTERNS = [
    # ordinary blue/yellow plate: 京A12345, 粤B1234学, 沪A1234挂
    re.compile(rf"^[{PROVINCES}][{_L}][{_L}0-9]{{4}}[{_L}0-9挂学警港澳]$"),
    # small new-energy plate (green): 京AD12345, 沪AF1A234
    re.compile(rf"^[{PROVINCES}][{_L}][DABCEFGHJK][{_L}0-9][0-9]{{4}}$"),
    # large new-energy plate: 京A12345D
    re.compile(rf"^[{PROVINCES}][{_L}][0-9]{{5}}[DABCEFGHJK]$"),
]
MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")

_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8,
    "J": 1, "K": 2, "L": 3, "M": 4, "N": 5, "P": 7, "R": 9,
    "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8, "Z": 9,
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

# Surnames whose reading differs from the character's most common one.
_SURNAME_INITIALS = {
    "曾": "Z", "单": "S", "解": "X", "仇": "Q", "朴": "P", "查": "Z", "区": "O",
    "尉": "Y", "乐": "Y", "缪": "M", "覃": "Q", "盖": "G", "种": "C", "秘": "B",
    "万俟": "MQ", "尉迟": "YC", "长孙": "ZS", "单于": "CY",
}


def _clean(value: str) -> str:
    # Full-width letters and digits from Chinese keyboards become ASCII; spaces, dots and dashes go.
    value = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"[\s·.\-_]", "", value).upper()


def normalize_plate(value: str) -> str:
    return _clean(value)


def validate_plate(value: str) -> str:
    plate = normalize_plate(value)
    if not plate:
        raise DomainError(_l("Enter the plate number."), field="plate")
    if not any(p.match(plate) for p in _PLATE_PATTERNS):
        raise DomainError(
            _l("“%(plate)s” is not a Chinese plate number. Expected e.g. 沪A12345, or 沪AD12345 for a new-energy car.",
               plate=plate),
            field="plate",
        )
    return plate


def vin_check_digit(vin: str) -> str:
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_vin(value: str) -> str:
    return _clean(value)


def validate_vin(value: str) -> str:
    vin = normalize_vin(value)
    if len(vin) != 17:
        raise DomainError(_l("A VIN has 17 characters; this one has %(n)d.", n=len(vin)), field="vin")
    bad = sorted({c for c in vin if c not in _VIN_VALUES})
    if bad:
        raise DomainError(
            _l("A VIN never contains %(chars)s (I, O and Q are not used).", chars=", ".join(bad)), field="vin"
        )
    if vin[8] != vin_check_digit(vin):
        raise DomainError(
            _l("VIN check digit (9th character) does not match: please re-read the VIN plate."), field="vin"
        )
    return vin


def normalize_mobile(value: str) -> str:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value or ""))
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def validate_mobile(value: str) -> str:
    mobile = normalize_mobile(value)
    if not MOBILE_RE.match(mobile):
        raise DomainError(
            _l("“%(mobile)s” is not a Chinese mobile number (11 digits starting with 13–19).", mobile=value.strip()),
            field="mobile",
        )
    return mobile


def name_initials(name: str) -> str:
    """Pinyin initials of a Chinese name, e.g. 张伟 → ZW, 曾小贤 → ZXX. Latin names keep their initials."""
    name = (name or "").strip()
    if not name:
        return ""
    for surname in sorted(_SURNAME_INITIALS, key=len, reverse=True):
        if name.startswith(surname):
            head, rest = _SURNAME_INITIALS[surname], name[len(surname):]
            break
    else:
        head, rest = "", name
    letters = []
    for run in re.findall(r"[\u4e00-\u9fff]+|[A-Za-z0-9]+", rest):
        if run.isascii():
            letters.append(run[0])  # a Latin word counts by its first letter, like a character
        else:
            letters.extend(lazy_pinyin(run, style=Style.FIRST_LETTER))
    return (head + "".join(letters)).upper()[:20]


def reverse_key(value: str | None) -> str | None:
    """Stored reversed so a search by the last characters (VIN tail, mobile tail) is an index prefix scan."""
    return value[::-1] if value else None
