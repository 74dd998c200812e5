#!/usr/bin/env python3
"""Rebuild the PlanQA development corpus in data/devcorpus/.

Source texts: data/devcorpus/src/<id>.txt (UTF-8, title line then the text,
exactly as published) for every document shipped in a generated format;
.md documents are stored as is in data/devcorpus/docs/<id>.md.

This script writes data/devcorpus/docs/<id>.{txt,html,docx,pdf}, manifest.jsonl,
and checks that every generated file contains the document text.

Needs python-docx, fpdf2, pypdf and a CJK TrueType font
(Debian: fonts-wqy-zenhei or fonts-noto-cjk).

    python scripts/make_devcorpus.py
"""

import html
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DC = ROOT / "data" / "devcorpus"
SRC = DC / "src"

LRB = "LawRefBook/Laws"
LRB_COMMIT = "2f4c5c23716267af9dbebbbbd6cbbf732b101981"
GOVDB = "ZhouYNF/platform-1"
GOVDB_COMMIT = "2197df553eee3b0bc9989d91addadf2f4227fddc"
GOVDB_PATH = "db/ge_policy_raw20190217.sql"

NPC = "全国人民代表大会常务委员会"


def lrb(path):
    return {"repo": LRB, "path": path, "commit": LRB_COMMIT}


def gov(url):
    return {"repo": GOVDB, "path": GOVDB_PATH + " (row crawl_url=" + url + ")", "commit": GOVDB_COMMIT}


DL = "DLC/"
# id, format, kind, issuer, doc_number, adopted, approved, published, effective, source, notes, extra
DOCS = [
    # ---------------- markdown, copied verbatim from LawRefBook ----------------
    dict(
        id="weihai-parking-tiaoli-2021",
        format="md",
        kind="条例",
        issuer="威海市人民代表大会常务委员会",
        adopted="2021-11-02",
        approved="2021-12-03",
        effective="2022-01-01",
        source=lrb(DL + "山东地方法规/地方性法规/山东/威海市停车管理和服务条例(2021-12-06).md"),
        notes="地方性法规（设区的市），经山东省人大常委会批准；chapter headings written '## 第一章  总则' (two spaces)",
    ),
    dict(
        id="zhengzhou-dog-tiaoli-2021",
        format="md",
        kind="条例",
        issuer="郑州市人民代表大会常务委员会",
        adopted="2007-06-22",
        approved="2007-08-03",
        effective="2007-10-01",
        source=lrb(DL + "河南地方法规/地方性法规/河南/郑州市城市养犬管理条例(2022-01-01).md"),
        notes="text as amended 2021-10-29 (approved 2021-11-27, 修正); dates given are the original adoption/approval; 施行 sentence also repeals 《郑州市限制养犬条例》",
    ),
    dict(
        id="jiaxing-residential-property-tiaoli-2021",
        format="md",
        kind="条例",
        issuer="嘉兴市人民代表大会常务委员会",
        adopted="2021-10-29",
        approved="2021-11-25",
        effective="2022-03-01",
        source=lrb(DL + "浙江地方法规/地方性法规/浙江/嘉兴市住宅物业管理条例(2021-12-07).md"),
        notes="chapter headings with inner spaces as in source: '## 第一章  总  则', '## 第五章  附  则'",
    ),
    dict(
        id="beijing-tobacco-control-tiaoli-2021",
        format="md",
        kind="条例",
        issuer="北京市人民代表大会常务委员会",
        adopted="2014-11-28",
        effective="2015-06-01",
        source=lrb(DL + "北京地方法规/地方性法规/北京/北京市控制吸烟条例(2021-09-24).md"),
        notes="no chapters; text as amended 2021-09-24 (修正)",
    ),
    dict(
        id="beijing-water-saving-tiaoli-2022",
        format="md",
        kind="条例",
        issuer="北京市人民代表大会常务委员会",
        adopted="2022-11-25",
        effective="2023-03-01",
        source=lrb(DL + "北京地方法规/地方性法规/北京/北京市节水条例(2022-11-25).md"),
        notes="chapters with 第X节 sections; the text opens with an unlabelled table of contents that repeats the chapter/section headings as markdown headings (counts are distinct headings)",
    ),
    dict(
        id="funeral-management-tiaoli-2012",
        format="md",
        kind="条例",
        issuer="国务院",
        doc_number="中华人民共和国国务院令第225号",
        published="1997-07-21",
        effective="1997-07-21",
        source=lrb("行政法规/殡葬管理条例(2012-11-09).md"),
        notes="行政法规; source file is the 2012 revision but its header only names the 1997 令; 施行 '自发布之日起' -> date_effective = 发布 date",
    ),
    dict(
        id="family-education-law-2021",
        format="md",
        kind="法律",
        issuer=NPC,
        adopted="2021-10-23",
        effective="2022-01-01",
        source=lrb("社会法/家庭教育促进法(2021-10-23).md"),
        notes="'## 第六章 附 则' has an inner space as in source; 主席令 number not in source text",
    ),
    dict(
        id="heroes-martyrs-protection-law-2018",
        format="md",
        kind="法律",
        issuer=NPC,
        adopted="2018-04-27",
        effective="2018-05-01",
        source=lrb("宪法相关法/英雄烈士保护法(2018-04-27).md"),
        notes="no chapters",
    ),
    dict(
        id="price-marking-guiding-2022",
        format="md",
        kind="规定",
        issuer="国家市场监督管理总局",
        doc_number="国家市场监督管理总局令第56号",
        published="2022-04-14",
        effective="2022-07-01",
        source=lrb("部门规章/市场监督管理总局/明码标价和禁止价格欺诈规定(2022-04-14).md"),
        notes="部门规章; articles with （一）… item lists",
    ),
    dict(
        id="shanghai-yiwangtongban-jueding-2021",
        format="md",
        kind="决定",
        issuer="上海市人民代表大会常务委员会",
        adopted="2021-06-23",
        effective="2021-07-01",
        source=lrb(
            DL
            + "上海地方法规/地方性法规/上海/上海市人民代表大会常务委员会关于进一步促进和保障“一网通办”改革的决定(2021-06-23).md"
        ),
        notes="决定 with 一、二、… items; the source's preamble sentence has lost most of its punctuation (kept as is)",
    ),
    dict(
        id="hangzhou-civilized-behavior-tiaoli-2021",
        format="md",
        kind="条例",
        issuer="杭州市人民代表大会常务委员会",
        doc_number="杭州市第十二届人民代表大会常务委员会公告第62号",
        adopted="2015-10-30",
        approved="2015-12-30",
        published="2016-01-06",
        effective="2016-03-01",
        source=lrb(DL + "浙江地方法规/地方性法规/浙江/杭州市文明行为促进条例(2021-06-04).md"),
        notes="source file dated 2021-06-04 but header only lists 2015/2016 dates; one heading uses a full-width space ('## 第八章　附则'); 公告 number used as doc_number",
    ),
    dict(
        id="qingdao-dog-tiaoli-2016",
        format="md",
        kind="条例",
        issuer="青岛市人民代表大会常务委员会",
        adopted="2016-04-28",
        approved="2016-05-26",
        published="2016-05-26",
        effective="2016-10-01",
        source=lrb(DL + "山东地方法规/地方性法规/山东/青岛市养犬管理条例(2016-05-26).md"),
        notes="公布 by 青岛市人民代表大会常务委员会公告 (no number in text)",
    ),
    # ---------------- txt, GB18030 ----------------
    dict(
        id="gov-shuangsuiji-supervision-yijian-2019",
        format="txt-gb18030",
        kind="意见",
        issuer="国务院",
        doc_number="国发〔2019〕5号",
        published="2019-01-27",
        source=gov("http://www.gov.cn/zhengce/content/2019-02/15/content_5365945.htm"),
        notes="text extracted from the gov.cn page HTML stored in the source SQL dump (one <p> per line); title lines (split over two lines on the page) joined into one; ends with 落款 国务院 / 2019年1月27日 /（此件公开发布）; gov.cn 发布 2019-02-15",
    ),
    dict(
        id="gov-kindergarten-rectification-tongzhi-2019",
        format="txt-gb18030",
        kind="通知",
        issuer="国务院办公厅",
        doc_number="国办发〔2019〕3号",
        published="2019-01-09",
        source=gov("http://www.gov.cn/zhengce/content/2019-01/22/content_5360002.htm"),
        notes="一、（一）1. structure; 落款 + date; gov.cn 发布 2019-01-22; title lines joined",
    ),
    dict(
        id="gov-zero-waste-city-fangan-2018",
        format="txt-gb18030",
        kind="方案",
        issuer="国务院办公厅",
        doc_number="国办发〔2018〕128号",
        published="2018-12-29",
        source=gov("http://www.gov.cn/zhengce/content/2019-01/21/content_5359620.htm"),
        notes="印发通知 (with 落款) followed by the 方案 full text; title is the 通知's; gov.cn 发布 2019-01-21; title lines joined",
    ),
    dict(
        id="gov-innovation-reforms-tongzhi-2018",
        format="txt-gb18030",
        kind="通知",
        issuer="国务院办公厅",
        doc_number="国办发〔2018〕126号",
        published="2018-12-23",
        source=gov("http://www.gov.cn/zhengce/content/2019-01/08/content_5355837.htm"),
        notes="has 附件 (推广清单) which was a table on the page: flattened to one cell per line; marked （本文有删减） by the publisher; title lines joined",
    ),
    dict(
        id="anti-domestic-violence-law-2015",
        format="txt-gb18030",
        kind="法律",
        issuer=NPC,
        adopted="2015-12-27",
        effective="2016-03-01",
        source=lrb("社会法/反家庭暴力法(2015-12-27).md"),
        notes="plain text made from the LawRefBook markdown: '#'/'##' markers and the INFO END comment removed, blank lines dropped",
    ),
    dict(
        id="local-chronicles-tiaoli-2006",
        format="txt-gb18030",
        kind="条例",
        issuer="国务院",
        doc_number="中华人民共和国国务院令第467号",
        published="2006-05-18",
        effective="2006-05-18",
        source=lrb("行政法规/地方志工作条例(2006-05-18).md"),
        notes="行政法规, no chapters; 施行 '自公布之日起' -> date_effective = 公布 date; plain text from markdown",
    ),
    dict(
        id="chongqing-smoking-control-tiaoli-2020",
        format="txt-gb18030",
        kind="条例",
        issuer="重庆市人民代表大会常务委员会",
        adopted="2020-09-29",
        effective="2021-01-01",
        source=lrb(DL + "重庆地方法规/地方性法规/重庆/重庆市公共场所控制吸烟条例(2020-09-29).md"),
        notes="直辖市地方性法规 (no 批准); plain text from markdown",
    ),
    dict(
        id="penalty-info-publicity-guiding-2021",
        format="txt-gb18030",
        kind="规定",
        issuer="国家市场监督管理总局",
        doc_number="国家市场监督管理总局令第45号",
        published="2021-07-30",
        effective="2021-09-01",
        source=lrb("部门规章/市场监督管理总局/市场监督管理行政处罚信息公示规定(2021-07-30).md"),
        notes="部门规章; plain text from markdown",
    ),
    # ---------------- html pages ----------------
    dict(
        id="gov-new-media-yijian-2018",
        format="html",
        kind="意见",
        issuer="国务院办公厅",
        doc_number="国办发〔2018〕123号",
        published="2018-12-07",
        source=gov("http://www.gov.cn/zhengce/content/2018-12/27/content_5352666.htm"),
        notes="page chrome is synthetic (template 'govcn'); info table uses the real 索引号; gov.cn 发布 2018-12-27; title lines joined",
        extra=dict(tpl="govcn", index="000014349/2018-00221", pubdate="2018-12-27", table=True, topic="政务公开"),
    ),
    dict(
        id="gov-normative-docs-review-yijian-2018",
        format="html",
        kind="意见",
        issuer="国务院办公厅",
        doc_number="国办发〔2018〕115号",
        published="2018-12-04",
        source=gov("http://www.gov.cn/zhengce/content/2018-12/20/content_5350427.htm"),
        notes="page chrome is synthetic (template 'govcn', no info table); gov.cn 发布 2018-12-20; title lines joined",
        extra=dict(tpl="govcn", index="", pubdate="2018-12-20", table=False),
    ),
    dict(
        id="patent-agency-tiaoli-2018",
        format="html",
        kind="条例",
        issuer="国务院",
        doc_number="中华人民共和国国务院令第706号",
        adopted="2018-09-06",
        published="2018-11-06",
        effective="2019-03-01",
        source=gov("http://www.gov.cn/zhengce/content/2018-11/19/content_5341736.htm"),
        notes="行政法规 page starting with the 国务院令 (令号, 总理 signature, date) then the title again and the regulation; 'adopted' = 国务院常务会议修订通过; chapter headings '第一章　总　　则'; page chrome synthetic (template 'sfj', re-post on a 司法局 site)",
        extra=dict(tpl="sfj", site="青岛市司法局", pubdate="2018-11-20", column="法律法规"),
    ),
    dict(
        id="zhejiang-ebike-tiaoli-2020",
        format="html",
        kind="条例",
        issuer="浙江省人民代表大会常务委员会",
        adopted="2020-05-15",
        effective="2020-07-01",
        source=lrb(DL + "浙江地方法规/地方性法规/浙江/浙江省电动自行车管理条例(2020-05-15).md"),
        notes="省级地方性法规; page chrome synthetic (template 'province', with info table)",
        extra=dict(
            tpl="province",
            site="浙江省人民政府",
            short="浙江",
            pubdate="2020-05-18",
            table=True,
            index="002482410/2020-00123",
            tblissuer="浙江省人民代表大会常务委员会",
            tbldate="2020年05月15日",
        ),
    ),
    dict(
        id="shanghai-petition-tiaoli-2018",
        format="html",
        kind="条例",
        issuer="上海市人民代表大会常务委员会",
        adopted="1993-10-22",
        effective="2013-04-01",
        source=lrb(DL + "上海地方法规/地方性法规/上海/上海市信访条例(2018-05-24).md"),
        notes="GBK-encoded page (meta charset=gbk); revised 2003 and 2012, amended 2018; chapters with 第X节; page chrome synthetic (template 'renda')",
        extra=dict(
            tpl="renda",
            site="上海人大",
            city="上海市",
            pubdate="2018-05-25",
            encoding="gbk",
            icp="沪ICP备10026358号-1",
            gaba="31010102000188号",
        ),
    ),
    dict(
        id="beijing-epidemic-jueding-2020",
        format="html",
        kind="决定",
        issuer="北京市人民代表大会常务委员会",
        adopted="2020-02-07",
        source=lrb(
            DL
            + "北京地方法规/地方性法规/北京/北京市人民代表大会常务委员会关于依法防控新型冠状病毒感染肺炎疫情  坚决打赢疫情防控阻击战的决定(2020-02-07).md"
        ),
        notes="决定 with 一、二、… items; title contains two spaces as in source; '自公布之日起施行' but 公布 date not in text -> date_effective ''; page chrome synthetic (template 'renda')",
        extra=dict(
            tpl="renda",
            site="北京人大",
            city="北京市",
            pubdate="2020-02-08",
            icp="京ICP备05060933号",
            gaba="11010202000457号",
        ),
    ),
    dict(
        id="complaint-report-handling-banfa-2022",
        format="html",
        kind="办法",
        issuer="国家市场监督管理总局",
        doc_number="国家市场监督管理总局令第20号",
        published="2019-11-30",
        effective="2020-01-01",
        source=lrb("部门规章/市场监督管理总局/市场监督管理投诉举报处理暂行办法(2022-03-24).md"),
        notes="部门规章 (暂行办法), text as amended 2022-03-24; page chrome synthetic (template 'sfj')",
        extra=dict(tpl="sfj", site="济南市司法局", pubdate="2022-04-02", column="部门规章"),
    ),
    # ---------------- docx ----------------
    dict(
        id="gov-vocational-education-fangan-2019",
        format="docx",
        kind="方案",
        issuer="国务院",
        doc_number="国发〔2019〕4号",
        published="2019-01-24",
        source=gov("http://www.gov.cn/zhengce/content/2019-02/13/content_5365341.htm"),
        notes="印发通知 + 国家职业教育改革实施方案 full text (一、（一）structure); gov.cn 发布 2019-02-13; title lines joined",
    ),
    dict(
        id="state-security-report-reward-banfa-2022",
        format="docx",
        kind="办法",
        issuer="国家安全部",
        doc_number="中华人民共和国国家安全部令第2号",
        published="2022-06-06",
        effective="2022-06-06",
        source=lrb("部门规章/国家安全部/公民举报危害国家安全行为奖励办法(2022-06-06).md"),
        notes="部门规章; 施行 '自公布之日起' -> date_effective = 公布 date",
    ),
    dict(
        id="market-entity-registration-xize-2022",
        format="docx",
        kind="细则",
        issuer="国家市场监督管理总局",
        doc_number="国家市场监督管理总局令第52号",
        published="2022-03-01",
        effective="2022-03-01",
        source=lrb("部门规章/市场监督管理总局/市场主体登记管理条例实施细则(2022-03-01).md"),
        notes="部门规章 实施细则 with 12 chapters, 82 articles; 施行 '自公布之日起' -> date_effective = 公布 date",
    ),
    dict(
        id="paid-annual-leave-banfa-2008",
        format="docx",
        kind="办法",
        issuer="人力资源和社会保障部",
        adopted="2008-07-17",
        source=lrb("部门规章/人力资源社会保障部/企业职工带薪年休假实施办法(2008-07-17).md"),
        notes="'本办法自发布之日起施行' (no final period in source) and 发布 date not in text -> date_effective ''; 部务会议通过 date as adopted",
    ),
    # ---------------- pdf ----------------
    dict(
        id="gov-vocational-council-pifu-2018",
        format="pdf",
        kind="批复",
        issuer="国务院",
        doc_number="国函〔2018〕144号",
        published="2018-11-20",
        source=gov("http://www.gov.cn/zhengce/content/2018-11/27/content_5343832.htm"),
        notes="批复 with 附件 (联席会议制度 + 成员名单); gov.cn 发布 2018-11-27; title lines joined",
    ),
    dict(
        id="gov-website-intensive-fangan-2018",
        format="pdf",
        kind="方案",
        issuer="国务院办公厅",
        doc_number="国办函〔2018〕71号",
        published="2018-10-27",
        source=gov("http://www.gov.cn/zhengce/content/2018-11/09/content_5338761.htm"),
        notes="印发通知 + 方案 (一、（一）1. structure); gov.cn 发布 2018-11-09; title lines joined",
    ),
    dict(
        id="iit-law-shishi-tiaoli-2018",
        format="pdf",
        kind="条例",
        issuer="国务院",
        doc_number="中华人民共和国国务院令第707号",
        published="2018-12-18",
        effective="2019-01-01",
        source=gov("http://www.gov.cn/zhengce/content/2018-12/22/content_5351177.htm"),
        notes="行政法规 (实施条例), no chapters; 国务院令 header (令号 on its own line '第707号') precedes the title; title line prepended",
    ),
    dict(
        id="iit-special-deduction-tongzhi-2018",
        format="pdf",
        kind="通知",
        issuer="国务院",
        doc_number="国发〔2018〕41号",
        published="2018-12-13",
        effective="2019-01-01",
        source=gov("http://www.gov.cn/zhengce/content/2018-12/22/content_5351181.htm"),
        notes="印发通知 + 个人所得税专项附加扣除暂行办法 (chapters/articles belong to the 办法); date_effective from the 办法; title lines joined",
    ),
]

CN_NUM = "零〇一二三四五六七八九十百千"
RE_ART = re.compile(r"^[#\s　]*第[%s]+条(?=[\s　]|$)" % CN_NUM)
RE_CHA = re.compile(r"^[#\s　]*第[%s]+章(?=[\s　]|$)" % CN_NUM)
RE_SEC = re.compile(r"^[#\s　]*第[%s]+节(?=[\s　]|$)" % CN_NUM)


def count_structure(text):
    """Distinct 第X条 / 第X章 / 第X节 headings at the start of a line (a 目录 that
    repeats the chapter and section headings is not counted twice)."""
    arts, chaps, secs = set(), set(), set()
    chap = ""
    for line in text.splitlines():
        m = RE_CHA.match(line)
        if m:
            chap = m.group(0).strip("#　 ")
            chaps.add(chap)
            continue
        m = RE_SEC.match(line)
        if m:
            secs.add((chap, m.group(0).strip("#　 ")))
            continue
        m = RE_ART.match(line)
        if m:
            arts.add(m.group(0).strip("#　 "))
    return len(arts), len(chaps), len(secs)


def md_title(text):
    return text.splitlines()[0].lstrip("#").strip()


# ---------------------------------------------------------------- HTML ----
HEAD = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="{charset}">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{title}_{site}</title>
<meta name="SiteName" content="{site}">
<meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="{pubdate}">
<meta name="ContentSource" content="{source}">
<link rel="stylesheet" href="/css/common.css">
<script src="/js/jquery.min.js"></script>
</head>
"""


def paras(lines, style=' style="text-indent: 2em;"'):
    return "\n".join("<p%s>%s</p>" % (style, html.escape(l)) for l in lines)


def info_table(doc, ex):
    rows = [("索 引 号", ex.get("index", "")), ("主题分类", ex.get("topic", "综合政务"))]
    rows += [
        ("发文机关", ex.get("tblissuer", doc["issuer"])),
        ("成文日期", ex.get("tbldate", cn_date(doc.get("published", "")))),
    ]
    rows += [("标　　题", doc["title"])]
    rows += [("发文字号", doc.get("doc_number", "")), ("发布日期", cn_date(ex["pubdate"]))]
    cells = "\n".join('<tr><td class="t1"><b>%s：</b></td><td>%s</td></tr>' % (k, html.escape(v)) for k, v in rows)
    return (
        '<table class="xxgk-info" border="0" cellpadding="0" cellspacing="0">\n<tbody>\n%s\n</tbody>\n</table>' % cells
    )


def cn_date(d):
    if not d:
        return ""
    y, m, dd = d.split("-")
    return "%s年%s月%s日" % (y, m, dd)


def tpl_govcn(doc, body, ex):
    h = HEAD.format(
        charset="utf-8", title=html.escape(doc["title"]), site="中国政府网", pubdate=ex["pubdate"], source="中国政府网"
    )
    table = info_table(doc, ex) if ex.get("table") else ""
    return (
        h
        + """<body>
<div class="header">
  <div class="logo"><a href="/"><img src="/images/logo.png" alt="中国政府网"></a></div>
  <ul class="nav">
    <li><a href="/">首页</a></li><li><a href="/premier/">总理</a></li><li><a href="/xinwen/">新闻</a></li>
    <li><a href="/zhengce/">政策</a></li><li><a href="/hudong/">互动</a></li><li><a href="/fuwu/">服务</a></li>
    <li><a href="/shuju/">数据</a></li><li><a href="/guoqing/">国情</a></li>
  </ul>
</div>
<div class="BreadcrumbNav"><a href="/">首页</a> &gt; <a href="/zhengce/">政策</a> &gt; <a href="/zhengce/zuixin.htm">最新</a></div>
<div class="article">
%s
<h1 id="ti">%s</h1>
<div class="pages-date">发布时间：%s　来源：中国政府网　<span class="font">【字体：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】</span>　浏览次数：<span id="count"></span></div>
<div class="pages_content" id="UCAP-CONTENT">
%s
</div>
<div class="editor">【我要纠错】 责任编辑：王洋</div>
</div>
<div class="pages_print"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a> <a href="#top">【返回顶部】</a></div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></div>
<div class="related">
<h3>相关链接</h3>
<ul>
<li><a href="/zhengce/jiedu/">政策解读</a></li>
<li><a href="/zhengce/xxgk/">国务院政策文件库</a></li>
<li><a href="/zhengce/zhengceku/">政府信息公开专栏</a></li>
</ul>
</div>
<div class="footer">
<p><a href="/sitemap.htm">网站地图</a> | <a href="/contact.htm">联系我们</a> | <a href="/about.htm">关于我们</a> | <a href="/help.htm">使用帮助</a></p>
<p>主办单位：国务院办公厅　运行维护单位：中国政府网运行中心</p>
<p>版权所有：中国政府网　京ICP备05070218号　<img src="/images/ga.png">京公网安备11010202000001号</p>
</div>
</body>
</html>
"""
        % (table, html.escape(doc["title"]), ex["pubdate"], body)
    )


def tpl_province(doc, body, ex):
    site = ex["site"]
    h = HEAD.format(
        charset="utf-8", title=html.escape(doc["title"]), site=site, pubdate=ex["pubdate"], source=doc["issuer"]
    )
    table = info_table(doc, ex) if ex.get("table") else ""
    return (
        h
        + """<body>
<div id="top" class="top-bar"><span>%s</span> <a href="#">无障碍</a> | <a href="#">长者模式</a> | <a href="#">English</a></div>
<div class="banner"><img src="/picture/banner.jpg" alt="%s"></div>
<div class="menu">
  <a href="/">首页</a><a href="/col/col1544729/">要闻动态</a><a href="/col/col1229019364/">政务公开</a>
  <a href="/col/col1229017227/">政务服务</a><a href="/col/col1229017230/">互动交流</a><a href="/col/col1229017231/">走进%s</a>
</div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/col/col1229019364/">政务公开</a> &gt; <a href="/col/col1229019365/">政策文件</a> &gt; <a href="/col/col1229019366/">地方性法规</a></div>
<div class="main-article">
%s
<h1 class="art-title">%s</h1>
<div class="art-info">发布时间：%s　来源：%s　浏览次数：<span id="views">0</span></div>
<div id="zoom" class="art-content">
%s
</div>
</div>
<div class="art-tools"><a href="javascript:window.print();">【打印本页】</a><a href="javascript:window.close();">【关闭窗口】</a><a href="#top">【返回顶部】</a></div>
<div class="bdsharebuttonbox">分享到：<a class="bds_weixin">微信</a><a class="bds_tsina">新浪微博</a></div>
<div class="xgwj">
<h4>相关文件</h4>
<ul><li><a href="#">%s条例解读</a></li><li><a href="#">省政府规章目录</a></li><li><a href="#">行政规范性文件</a></li></ul>
</div>
<div class="foot">
<p><a href="/sitemap/">网站地图</a>|<a href="/lxwm/">联系我们</a>|<a href="/gywm/">关于我们</a>|<a href="/smsm/">隐私声明</a></p>
<p>主办单位：%s办公厅　承办：%s大数据发展管理局</p>
<p>网站标识码：3300000001　浙ICP备12019218号　浙公网安备33010602000001号</p>
</div>
</body>
</html>
"""
        % (
            site,
            site,
            ex["short"],
            table,
            html.escape(doc["title"]),
            ex["pubdate"],
            doc["issuer"],
            body,
            html.escape(doc["title"][:6]),
            site,
            ex["short"] + "省",
        )
    )


def tpl_renda(doc, body, ex):
    site, city = ex["site"], ex["city"]
    h = HEAD.format(
        charset=ex.get("encoding", "utf-8"),
        title=html.escape(doc["title"]),
        site=site,
        pubdate=ex["pubdate"],
        source=doc["issuer"],
    )
    return (
        h
        + """<body>
<div class="rd-header">
  <div class="rd-logo">%s人民代表大会常务委员会</div>
  <ul class="rd-nav">
    <li><a href="/">首页</a></li><li><a href="/rdyw/">人大要闻</a></li><li><a href="/lfgz/">立法工作</a></li>
    <li><a href="/jdgz/">监督工作</a></li><li><a href="/dbgz/">代表工作</a></li><li><a href="/fgk/">法规库</a></li>
  </ul>
</div>
<div class="crumbs">您现在的位置：<a href="/">首页</a> &gt; <a href="/lfgz/">立法工作</a> &gt; <a href="/fgk/">地方性法规</a> &gt; 正文</div>
<div class="rd-article">
<h1>%s</h1>
<div class="rd-meta"><span>发布时间：%s</span><span>来源：%s</span><span>浏览次数：<em id="hits"></em></span></div>
<div class="rd-content">
%s
</div>
</div>
<div class="rd-tools"><span onclick="window.print()">【打印本页】</span><span onclick="window.close()">【关闭窗口】</span><a href="#">【返回顶部】</a></div>
<div class="rd-share">分享到：微信 微博</div>
<div class="rd-related"><b>相关链接：</b>
<a href="http://www.npc.gov.cn/">中国人大网</a> <a href="#">%s人民政府</a> <a href="#">%s政协</a></div>
<div class="rd-footer">
<p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/gywm/">关于我们</a></p>
<p>主办单位：%s人大常委会办公厅</p>
<p>ICP备案号：%s　公网安备%s</p>
</div>
</body>
</html>
"""
        % (city, html.escape(doc["title"]), ex["pubdate"], site, body, city, city, city, ex["icp"], ex["gaba"])
    )


def tpl_sfj(doc, body, ex):
    site = ex["site"]
    h = HEAD.format(
        charset="utf-8", title=html.escape(doc["title"]), site=site, pubdate=ex["pubdate"], source=doc["issuer"]
    )
    return (
        h
        + """<body>
<table width="100%%" class="top"><tr><td><img src="/images/sfj_logo.png" alt="%s"></td>
<td class="date">今天是：<span id="today"></span></td></tr></table>
<div class="nav"><ul>
<li><a href="/">网站首页</a></li><li><a href="/gk/">信息公开</a></li><li><a href="/zwdt/">司法行政动态</a></li>
<li><a href="/pfzx/">普法宣传</a></li><li><a href="/ggfl/">公共法律服务</a></li><li><a href="/hdjl/">互动交流</a></li>
</ul></div>
<div class="dqwz">当前位置：<a href="/">首页</a> &gt;&gt; <a href="/gk/">政务公开</a> &gt;&gt; <a href="/gk/zcwj/">政策文件</a> &gt;&gt; %s</div>
<div class="content">
<h1 class="title">%s</h1>
<div class="subtitle">发布时间：%s&nbsp;&nbsp;来源：%s&nbsp;&nbsp;浏览次数：<script>document.write(Math.floor(Math.random()*1000))</script>&nbsp;&nbsp;【字号 大 中 小】</div>
<div class="TRS_Editor">
%s
</div>
</div>
<div class="btns">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】【<a href="#">返回顶部</a>】</div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
<div class="xglj"><div class="xglj-title">相关文件</div><ul>
<li><a href="#">行政复议工作指引</a></li><li><a href="#">法律援助申请须知</a></li><li><a href="#">规章和规范性文件清理结果公告</a></li>
</ul></div>
<div class="bottom">
<p><a href="/map/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/gywm/">关于我们</a></p>
<p>主办单位：%s　地址：市民中心</p>
<p>ICP备案号：鲁ICP备05013521号　公网安备37020202000126号　网站标识码：3702000021</p>
</div>
</body>
</html>
"""
        % (site, ex["column"], html.escape(doc["title"]), ex["pubdate"], doc["issuer"], body, site)
    )


TEMPLATES = {"govcn": tpl_govcn, "province": tpl_province, "renda": tpl_renda, "sfj": tpl_sfj}


def write_html(doc, text, path):
    ex = doc["extra"]
    lines = text.splitlines()[1:]
    body = paras(lines)
    page = TEMPLATES[ex["tpl"]](doc, body, ex)
    enc = ex.get("encoding", "utf-8")
    path.write_bytes(page.encode(enc))


def write_docx(doc, text, path):
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    lines = text.splitlines()
    d = Document()
    d.core_properties.title = doc["title"]
    p = d.add_paragraph()
    r = p.add_run(lines[0])
    r.bold = True
    r.font.size = Pt(16)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in lines[1:]:
        d.add_paragraph(line)
    d.save(str(path))


FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
]


def write_pdf(doc, text, path):
    from fpdf import FPDF

    font = next((f for f in FONT_CANDIDATES if Path(f[0]).exists()), None)
    if font is None:
        sys.exit("no CJK font found: apt-get install -y fonts-wqy-zenhei")
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_margins(22, 20, 22)
    pdf.add_font("cjk", "", font[0], collection_font_number=font[1])
    pdf.set_title(doc["title"])
    pdf.set_creation_date(__import__("datetime").datetime(2024, 1, 1, tzinfo=__import__("datetime").timezone.utc))
    pdf.add_page()
    lines = text.splitlines()
    pdf.set_font("cjk", size=16)
    pdf.multi_cell(0, 10, lines[0], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("cjk", size=11.5)
    for line in lines[1:]:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def squash(s):
    return re.sub(r"\s+", "", s)


def verify(doc, text, path):
    fmt = doc["format"]
    if fmt == "txt-gb18030":
        got = path.read_bytes().decode("gb18030")
    elif fmt == "html":
        raw = path.read_bytes().decode(doc["extra"].get("encoding", "utf-8"))
        got = html.unescape(re.sub(r"<[^>]+>", "\n", raw))
    elif fmt == "docx":
        from docx import Document

        got = "\n".join(p.text for p in Document(str(path)).paragraphs)
    elif fmt == "pdf":
        from pypdf import PdfReader

        got = "\n".join(pg.extract_text() for pg in PdfReader(str(path)).pages)
    else:
        return
    g = squash(got)
    missing = [l for l in text.splitlines() if squash(l) and squash(l) not in g]
    if missing:
        raise SystemExit("%s: %d lines not found in output, e.g. %r" % (path.name, len(missing), missing[0][:60]))


def main():
    manifest = []
    total = 0
    for doc in DOCS:
        fmt = doc["format"]
        if fmt == "md":
            path = DC / "docs" / (doc["id"] + ".md")
            text = path.read_text(encoding="utf-8")
            title = md_title(text)
        else:
            text = (SRC / (doc["id"] + ".txt")).read_text(encoding="utf-8")
            title = text.splitlines()[0].strip()
            doc["title"] = title
            ext = {"txt-gb18030": "txt", "html": "html", "docx": "docx", "pdf": "pdf"}[fmt]
            path = DC / "docs" / ("%s.%s" % (doc["id"], ext))
            if fmt == "txt-gb18030":
                path.write_bytes(text.encode("gb18030"))
            elif fmt == "html":
                write_html(doc, text, path)
            elif fmt == "docx":
                write_docx(doc, text, path)
            elif fmt == "pdf":
                write_pdf(doc, text, path)
            verify(doc, text, path)
        total += len(text)
        n_art, n_cha, n_sec = count_structure(text)
        manifest.append(
            {
                "file": path.name,
                "title": title,
                "kind": doc["kind"],
                "issuer": doc.get("issuer", ""),
                "doc_number": doc.get("doc_number", ""),
                "date_adopted": doc.get("adopted", ""),
                "date_approved": doc.get("approved", ""),
                "date_published": doc.get("published", ""),
                "date_effective": doc.get("effective", ""),
                "articles": n_art,
                "chapters": n_cha,
                "sections": n_sec,
                "format": fmt,
                "chars": len(text),
                "source": doc["source"],
                "notes": doc.get("notes", ""),
            }
        )
    with open(DC / "manifest.jsonl", "w", encoding="utf-8") as f:
        for m in manifest:
            f.write(json.dumps(m, ensure_ascii=False) + "\n")
    print("%d documents, %d characters" % (len(manifest), total))


if __name__ == "__main__":
    main()
