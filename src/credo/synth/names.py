"""Built-in lists for fake but plausible Chinese personal data (pinyin, no real person)."""

from __future__ import annotations

__all__ = [
    "BIG_CITIES",
    "EMAIL_DOMAINS",
    "FAMILY_NAMES",
    "GIVEN_NAMES",
    "MOBILE_PREFIXES",
    "PROVINCES",
    "STREETS",
]

FAMILY_NAMES: tuple[str, ...] = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
    "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Gao", "Lin", "Luo",
    "Zheng", "Liang", "Xie", "Song", "Tang", "Han", "Feng", "Deng", "Cao", "Peng",
    "Zeng", "Xiao", "Tian", "Dong", "Yuan", "Pan", "Yu", "Jiang", "Cai", "Wei",
    "Du", "Ye", "Cheng", "Su", "Lyu", "Ding", "Ren", "Shen", "Yao", "Lu",
    "Cui", "Zhong", "Tan", "Fan", "Jin", "Shi", "Liao", "Jia", "Xia", "Fu",
    "Fang", "Bai", "Zou", "Meng", "Xiong", "Qin", "Qiu", "Hou", "Yin", "Xue",
    "Yan", "Duan", "Lei", "Long", "Tao", "Gu", "Mao", "Hao", "Gong", "Shao",
    "Wan", "Qian", "Dai", "Mo", "Kong", "Xiang", "Chang", "Lai", "Kang", "Yi",
)  # fmt: skip
"""Common family names, most frequent first (drawn with Zipf-like weights)."""

GIVEN_NAMES: tuple[str, ...] = (
    "Wei", "Fang", "Xiuying", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun",
    "Yang", "Yong", "Yan", "Jie", "Juan", "Tao", "Ming", "Chao", "Xiulan", "Xia",
    "Ping", "Gang", "Guiying", "Hui", "Hong", "Jian", "Lin", "Ling", "Bo", "Hao",
    "Yu", "Xin", "Yi", "Zhiqiang", "Jianhua", "Jianguo", "Jianjun", "Haiyan", "Xiaoyan",
    "Xiaohong", "Lili", "Dan", "Ting", "Yun", "Hua", "Ning", "Bin", "Kai", "Peng",
    "Rui", "Shuang", "Xue", "Yuting", "Zihan", "Haoran", "Yuxuan", "Zixuan", "Yichen",
    "Xinyi", "Siyu", "Mingyu", "Junjie", "Wenjing", "Xiaoming", "Guoqiang", "Chunmei",
    "Yuying", "Shufen", "Guihua", "Lihua", "Zhiwei", "Wenbin", "Jiahui", "Meiling",
    "Jinlong", "Dongmei", "Xiaoli", "Hongmei", "Lijuan", "Haitao", "Zhihao", "Yutong",
    "Ruoxi", "Shihan", "Kaiwen", "Tianyu", "Zeyu", "Yiming", "Xiaoyu", "Jiaqi",
)  # fmt: skip
"""Common given names."""

PROVINCES: tuple[tuple[int, str], ...] = (
    (11, "Beijing"), (12, "Tianjin"), (13, "Shijiazhuang"), (14, "Taiyuan"), (15, "Hohhot"),
    (21, "Shenyang"), (22, "Changchun"), (23, "Harbin"), (31, "Shanghai"), (32, "Nanjing"),
    (33, "Hangzhou"), (34, "Hefei"), (35, "Fuzhou"), (36, "Nanchang"), (37, "Jinan"),
    (41, "Zhengzhou"), (42, "Wuhan"), (43, "Changsha"), (44, "Guangzhou"), (45, "Nanning"),
    (46, "Haikou"), (50, "Chongqing"), (51, "Chengdu"), (52, "Guiyang"), (53, "Kunming"),
    (54, "Lhasa"), (61, "Xi'an"), (62, "Lanzhou"), (63, "Xining"), (64, "Yinchuan"),
    (65, "Urumqi"),
)  # fmt: skip
"""Province-level region codes (the first two digits of an identity number) and a city there."""

BIG_CITIES: tuple[str, ...] = (
    "Beijing", "Shanghai", "Shenzhen", "Guangzhou", "Hangzhou", "Chengdu", "Wuhan", "Suzhou",
)  # fmt: skip
"""Cities people move to, whatever their birth province."""

STREETS: tuple[str, ...] = (
    "Renmin Road", "Jiefang Road", "Zhongshan Road", "Jianshe Road", "Heping Road",
    "Xinhua Street", "Wenhua Road", "Changjiang Road", "Huanghe Road", "Chaoyang Road",
    "Dongfeng Road", "Gongyuan Road", "Youyi Road", "Xingfu Street", "Beijing Road",
    "Nanjing Road", "Shengli Road", "Yingbin Avenue", "Century Avenue", "Binhe Road",
    "Huaihai Road", "Xueyuan Road", "Kejiyuan Road", "Jinqiao Road", "Hongqi Street",
    "Qingnian Road", "Minzhu Road", "Tuanjie Road", "Huancheng Road", "Fuqian Street",
)  # fmt: skip
"""Street names (plausible, common across Chinese cities)."""

EMAIL_DOMAINS: tuple[str, ...] = (
    "qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "aliyun.com", "outlook.com",
)  # fmt: skip
"""Mail providers of real people's e-mail addresses."""

MOBILE_PREFIXES: tuple[int, ...] = (
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156,
    157, 158, 159, 166, 170, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185,
    186, 187, 188, 189, 191, 198, 199,
)  # fmt: skip
"""Mainland mobile number prefixes (1xx)."""
