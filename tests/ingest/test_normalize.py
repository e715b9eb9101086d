"""Every messy value form of exchange-formats.md section 6."""

from datetime import date, datetime

import pytest

from ingest import normalize as nz


@pytest.mark.parametrize("value", ["2024-03-05", "2024/3/5", "2024年3月5日", "20240305", "2024.3.5",
                                   "2024-03-05 00:00:00", "２０２４-０３-０５", 45356, "45356",
                                   date(2024, 3, 5), datetime(2024, 3, 5, 10, 30), " 2024 年 3 月 5 日 "])
def test_date_forms(value):
    assert nz.to_date(value) == "2024-03-05"


@pytest.mark.parametrize("value", ["", None, "无", "-", "/", "NULL", "null", "—", "  "])
def test_empty_markers(value):
    assert nz.to_date(value) is None
    assert nz.to_amount(value) is None
    assert nz.to_text(value) is None


@pytest.mark.parametrize("value", ["2024-13-45", "2024-02-30", "tomorrow", "3/5/2024x"])
def test_bad_dates_say_why(value):
    with pytest.raises(ValueError, match="date"):
        nz.to_date(value)


@pytest.mark.parametrize("value,unit,expected", [
    ("1,234.50", "wan", 1234.5), ("12.5万", "wan", 12.5), ("12.5万", "yuan", 125000.0),
    ("3000元", "wan", 0.3), ("3,000", "yuan", 3000.0), (12.5, "wan", 12.5), ("１２.５", "wan", 12.5),
])
def test_amount_forms(value, unit, expected):
    assert nz.to_amount(value, unit) == pytest.approx(expected)


def test_bad_amount():
    with pytest.raises(ValueError, match="amount"):
        nz.to_amount("十二万")


def test_names_canonical_brackets_and_spaces():
    assert nz.to_name(" 湖南（长沙）某某科技有限公司 ") == "湖南（长沙）某某科技有限公司"
    assert nz.to_name("湖南(长沙)某某科技有限公司") == "湖南（长沙）某某科技有限公司"
    assert nz.to_name("湖南 （长沙） 某某　科技有限公司") == "湖南（长沙）某某科技有限公司"
    assert nz.to_name("ABC Trading 有限公司") == "ABC Trading有限公司"


def test_codes_cleaned():
    assert nz.to_code(" 91430100ma4l0x1y2k ") == "91430100MA4L0X1Y2K"
    assert nz.to_code("１２３４５６７８-９") == "123456789"
    assert nz.to_code("12345678-9") == "123456789"
    assert nz.to_code("9143O1OO") == "91430100"
    assert nz.to_code(12345678, 9) == "012345678"
    assert nz.to_code(110108000000016.0, 15) == "110108000000016"


def test_ints_years_bools_lists():
    assert nz.to_int("30天") == 30 and nz.to_int(30.0) == 30 and nz.to_int("1,200") == 1200
    with pytest.raises(ValueError):
        nz.to_int("3.5")
    assert nz.to_year("2024年度") == 2024 and nz.to_year(2024.0) == 2024
    assert nz.to_bool_zh("是") is True and nz.to_bool_zh("否") is False
    with pytest.raises(ValueError):
        nz.to_bool_zh("也许")
    assert nz.to_list("罚款；没收违法所得") == ("罚款", "没收违法所得")
    assert nz.to_list("旧名一;旧名二、旧名三") == ("旧名一", "旧名二", "旧名三")
