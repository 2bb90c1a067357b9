"""GB 11643 resident ID numbers: checksum, birth date, gender, masking."""

import datetime as dt

import pytest

from cadres import idcard

# The example number of GB 11643-1999 itself: born 1949-12-31, female, check X.
STANDARD_EXAMPLE = "11010519491231002X"


def _with_check(first17: str) -> str:
    return first17 + idcard.check_char(first17)


def test_the_standards_example_has_check_digit_x():
    assert idcard.check_char(STANDARD_EXAMPLE[:17]) == "X"
    assert idcard.parse(STANDARD_EXAMPLE) == (dt.date(1949, 12, 31), "F")


def test_a_lowercase_x_is_accepted_and_normalised():
    assert idcard.normalize(" 11010519491231002x ") == STANDARD_EXAMPLE
    assert idcard.parse("11010519491231002x") == (dt.date(1949, 12, 31), "F")


@pytest.mark.parametrize(
    ("number", "birth", "gender"),
    [
        (_with_check("11010119800101001"), dt.date(1980, 1, 1), "M"),
        (_with_check("32058119880314074"), dt.date(1988, 3, 14), "F"),
        (_with_check("44030420000229123"), dt.date(2000, 2, 29), "M"),
    ],
)
def test_a_valid_number_yields_birth_date_and_gender(number, birth, gender):
    assert idcard.parse(number) == (birth, gender)


def test_every_wrong_check_digit_is_refused():
    number = _with_check("11010119800101001")
    for wrong in "0123456789X":
        if wrong == number[17]:
            continue
        with pytest.raises(idcard.IdNumberError, match="校验位不正确"):
            idcard.parse(number[:17] + wrong)


def test_a_swapped_digit_breaks_the_checksum():
    number = _with_check("11010119800101001")
    swapped = number[:6] + number[7] + number[6] + number[8:]
    assert swapped != number
    with pytest.raises(idcard.IdNumberError, match="校验位不正确"):
        idcard.parse(swapped)


@pytest.mark.parametrize(
    "number",
    ["", "1101011980010100", "1101011980010100111", "11010119800101001A", "X" * 18],
)
def test_malformed_numbers_are_refused(number):
    with pytest.raises(idcard.IdNumberError, match="应为18位"):
        idcard.parse(number)


@pytest.mark.parametrize(
    "first17",
    [
        "11010119801301001",  # month 13
        "11010119800230001",  # 30 February
        "11010119810229001",  # 29 February of a common year
        "11010118991231001",  # before 1900
        "11010121000101001",  # in the future
    ],
)
def test_numbers_with_an_impossible_birth_date_are_refused(first17):
    with pytest.raises(idcard.IdNumberError, match="出生日期无效"):
        idcard.parse(_with_check(first17))


@pytest.mark.parametrize("gender", ["M", "F"])
def test_make_builds_numbers_that_parse_back(gender):
    birth = dt.date(1975, 6, 30)
    numbers = {idcard.make("110101", birth, seq, gender) for seq in range(500)}
    assert len(numbers) == 500
    for number in numbers:
        assert idcard.parse(number) == (birth, gender)


def test_masking_keeps_the_province_and_city_only():
    number = "110101198001011234"
    assert idcard.mask(number) == "1101**************"
    assert idcard.mask(STANDARD_EXAMPLE) == "1101**************"
    masked = idcard.mask(number)
    assert len(masked) == 18
    assert masked.count("*") == 14
    assert "19800101" not in masked  # the birth date is hidden
    assert "1234" not in masked  # and the sequence with the check character


def test_masking_a_short_value_hides_it_all():
    assert idcard.mask("1234567") == "*******"
