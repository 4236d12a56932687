"""Names for the demo compound: its units, its staff and plausible (made-up) households.

Demo data, not user-interface text: it stays in Chinese whatever the page language, like any real
compound's register would.
"""

import random
from dataclasses import dataclass

COMPOUND_NAME = "某区机关大院"
COMPOUND_CODE = "DEMO"

# Common surnames, the most frequent several times over so the register looks like a real one.
_SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨赵赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤"
)
_TWO_CHAR_GIVEN = (
    "建国",
    "建华",
    "建军",
    "志强",
    "志明",
    "海峰",
    "海燕",
    "红梅",
    "玉兰",
    "国庆",
    "卫东",
    "文华",
    "晓东",
    "晓红",
    "丽华",
    "淑珍",
    "淑华",
    "桂兰",
    "春梅",
    "秋菊",
    "德明",
    "德华",
    "振华",
    "永刚",
    "永红",
    "立新",
    "宏伟",
    "雪梅",
    "浩然",
    "子涵",
    "欣怡",
    "秀英",
    "桂英",
    "秀兰",
    "凤英",
    "玉珍",
    "国强",
    "金凤",
    "学军",
)
_ONE_CHAR_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华婷宇鹏辉斌琳颖倩峰岩亮"

# Mobile prefixes; the other eight digits are drawn at random (made up, not taken from any list).
_PHONE_PREFIXES = ("130", "133", "135", "136", "137", "138", "139", "150", "151", "158", "159", "186", "187", "189")


def person_name(rng: random.Random) -> str:
    """A plausible Chinese personal name: a surname and one or two given characters."""
    surname = rng.choice(_SURNAMES)
    if rng.random() < 0.6:
        return surname + rng.choice(_TWO_CHAR_GIVEN)
    return surname + rng.choice(_ONE_CHAR_GIVEN)


def phone(rng: random.Random) -> str:
    """A made-up mobile number written 1xx-xxxx-xxxx."""
    return f"{rng.choice(_PHONE_PREFIXES)}-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d}"


@dataclass(frozen=True)
class OfficeUnit:
    """An office unit of the demo, with the sizes its use is drawn around."""

    code: str
    name: str
    building: str
    finance_bureau_pays: bool
    kwh_per_month: int  # typical electricity use in an ordinary month
    m3_per_month: int  # typical water use


# The four leading bodies first (the finance bureau pays their office water and electricity on their
# behalf: cause 6 of the seed), then the finance bureau itself and the other bureaus (they pay their own).
OFFICE_UNITS: tuple[OfficeUnit, ...] = (
    OfficeUnit("U01", "中共某区委员会", "1号办公楼", True, 9200, 75),
    OfficeUnit("U02", "某区人大常委会", "1号办公楼", True, 5600, 48),
    OfficeUnit("U03", "某区人民政府", "1号办公楼", True, 9800, 82),
    OfficeUnit("U04", "政协某区委员会", "1号办公楼", True, 5100, 44),
    OfficeUnit("U05", "区财政局", "2号办公楼", False, 4700, 38),
    OfficeUnit("U06", "区发展和改革局", "2号办公楼", False, 3600, 30),
    OfficeUnit("U07", "区教育局", "2号办公楼", False, 4100, 36),
    OfficeUnit("U08", "区民政局", "2号办公楼", False, 2700, 26),
    OfficeUnit("U09", "区人力资源和社会保障局", "2号办公楼", False, 3900, 33),
    OfficeUnit("U10", "区自然资源局", "3号办公楼", False, 3100, 27),
    OfficeUnit("U11", "区住房和城乡建设局", "3号办公楼", False, 3400, 29),
    OfficeUnit("U12", "区审计局", "3号办公楼", False, 2300, 21),
    OfficeUnit("U13", "区统计局", "3号办公楼", False, 1900, 17),
    OfficeUnit("U14", "区档案馆", "3号办公楼", False, 2600, 15),
)
# The leading bodies' meetings in the auditorium and the meeting building: paid by the finance bureau too.
CONFERENCE_ACCOUNT = OfficeUnit("U15", "区四套班子会务（大礼堂、会议楼）", "会议楼", True, 0, 0)
# The logistics service centre itself: the boiler and pump house it runs.
CENTRE_ACCOUNT = OfficeUnit("U16", "区机关后勤服务中心", "锅炉房及水泵房", False, 0, 0)

# Who reads which meters on the monthly round.
ELECTRICIAN = "张建国"
PLUMBER = "李卫东"
OFFICE_READER = "刘红梅"
BLOCK_READERS = ("王海峰", "赵志强")
SEALERS = ("张建国", "李卫东", "陈立新")
UTILITY_SEALERS = {"water": "市自来水公司", "electricity": "区供电公司"}
