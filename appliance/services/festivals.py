"""Festivals of a day, solar and lunar, from the lunar_python calendar
(a maintained library, not a hand-made table of lunar dates)."""
from lunar_python import Solar


def festivals_on(day):
    """Names of the festivals on a date, as lunar_python spells them
    (春节, 端午节, 中秋节, 除夕, 元旦节, 国庆节…), lunar ones first."""
    solar = Solar.fromYmd(day.year, day.month, day.day)
    lunar = solar.getLunar()
    return list(lunar.getFestivals()) + list(solar.getFestivals())


def greeting_festivals(day, wanted):
    """The festivals on `day` that get a greeting (names listed in notices.festivals)."""
    return [name for name in festivals_on(day) if name in wanted]
