"""Plausible progress reports for the local demo (DEMO_MODE only).

For the seeded plan's 都市發展處 the demo users file and review reports through the
services in `kpi.services`, so the demo shows exactly what the rules allow. Reports pass
review as the plan says (`Plan.review_stages`): under one stage the department's
reviewer (supervisor) approves them; under two (Keelung's) the department's reviewer
passes them at 初核 and the planning office (planner) approves them at 研考複核.

- every quarter of the plan's completed years (111–113) approved: most on track,
  some yellow and a few red with 未達成原因 and 改善措施, and one report a year
  returned by the department's reviewer, corrected, resubmitted and approved, to show
  the timeline; then the planning office locks those periods, which by then hold
  nothing unfinished;
- one correction after the fact (撤銷核定／更正, `CORRECTION`): in March 2025 the
  planning office reopens 113Q4 of KPI 5-2 because its data source was updated; the
  reporter corrects the figure and it passes review again, in its locked period;
- the last year (114), as it stands on the demo's today (`DEMO_TODAY`, 2025-10-08):
  planned values per period (分期預定值) that the department proposed in January and the
  planning office confirmed in February, written as a department writes them (a
  construction project slow in the first half, events in the second, some KPIs left at
  the default straight line); Q1 and Q2 approved, so that each KPI is judged on its
  114Q2 progress (about 60% green, 25% yellow, 15% red, each behind one with its reason
  and measures; the year-end 共1-1 white); Q3 filed in the first days of October: under
  two stages objectives 1–4 passed 初核 and wait for 研考複核, the rest wait for 初核
  (under one stage all of them wait for review), 1-5 returned (at 研考複核 under two
  stages) and two drafts; Q4 nothing yet. The figures of 114 are written out in
  `IN_PROGRESS`.

Every action is dated as it would have happened (`Seeder.filed_at`, `Seeder.later`):
reports filed in the first four working days after their quarter, reviewed in the
working days after, periods locked about a month after their due date, each completed
year published (公開年度, by `admin`) two weeks after its last period was locked; all before
the demo's today, and after the plan was entered (`seed_plan` in DEMO_MODE dates it at the
plan's publication, 民國111年2月) and the demo accounts opened (`plans.demo.DEMO_JOINED`).
The services read the time from `django.utils.timezone.now` and the day from
`common.dates.today`, so the seeder runs on a `common.dates.Clock` (`DemoCalendar`) that it
sets before each action: the rules judge every report as of the demo's today, whatever the
real date.

Common indicators are filed with their formula inputs. The other figures come from a
`random.Random(114)`, so every run produces the same reports (the review stages and the
dates draw nothing from it). If the department has any report already, nothing is done.
"""

from __future__ import annotations

import datetime
import math
import random
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F

from common import dates
from kpi import assessments, planning, services, stored
from kpi.attainment import Light, assess
from kpi.models import (
    Accrual,
    Indicator,
    IndicatorKind,
    Notification,
    PlannedStatus,
    PlannedValue,
    ProgressReport,
    ReportCorrection,
    ReportStatus,
    Unit,
)
from plans.demo import DEMO_JOINED, DEMO_PASSWORD, DEMO_TODAY, HOME_DEPARTMENT, TAIPEI, ensure_demo_users
from plans.models import DepartmentPlan, PublishedYear

ONE = Decimal(1)
COUNTS = (Unit.SESSION, Unit.CASE, Unit.PLACE)
EVIDENCE_URL = "https://www.klcg.gov.tw/"

# --- what the department writes ----------------------------------------------------------
# Placeholders: {v} the year-to-date figure, {d} this quarter's increase (counts), {p} a
# 式's completion in percent, {k} a small count of its own.

NARRATIVES: dict[str, list[str]] = {
    "1-1": [
        "《基隆市國門廣場周邊地區城市景觀自治條例》草案依法制審查意見修正，累計進度 {v}%。",
        "召開港城丘地景管控機制專家學者座談會，意見納入自治條例草案，累計進度 {v}%。",
        "景觀自治條例草案完成公開說明會並彙整民眾意見，累計進度 {v}%。",
    ],
    "1-2": [
        "國門廣場第二階段工程施工中，完成港邊人行步道鋪面，累計進度 {v}%。",
        "郵輪廣場第一階段工程完成細部設計審查，累計進度 {v}%。",
        "國門廣場與郵輪廣場工程與臺灣港務公司完成施工界面協調，累計進度 {v}%。",
    ],
    "1-3": [
        "「正濱漁港週邊地區歷史紋理與都市再生計畫」完成歷史建物現況調查，計畫完成度 {p}%。",
        "正濱漁港再生計畫辦理在地居民工作坊，整理歷史街區空間課題，計畫完成度 {p}%。",
        "正濱漁港再生計畫期中報告審查通過，計畫完成度 {p}%。",
    ],
    "1-4": [
        "「八尺門附近地區整體規劃暨都市計畫變更檢討案」完成基本資料蒐集與地籍套繪，完成度 {p}%。",
        "八尺門整體規劃案召開地方說明會，彙整部落與漁民意見，完成度 {p}%。",
        "八尺門都市計畫變更檢討案提送期中報告，完成度 {p}%。",
    ],
    "1-5": [
        "本季召開市港再生標竿計畫平台會議 {d} 場，討論西二西三倉庫改建，累計 {v} 場。",
        "本季與臺灣港務公司召開市港平台會議 {d} 場，協調東岸旅運中心周邊動線，累計 {v} 場。",
        "本季召開市港再生平台會議 {d} 場，追蹤海港大樓周邊公共空間改善，累計 {v} 場。",
    ],
    "2-1": [
        "原太平國小辦理藝文展演活動 {d} 場，累計 {v} 場。",
        "原太平國小辦理青年創作者駐村分享會 {d} 場，累計 {v} 場。",
        "原太平國小辦理社區市集與導覽活動 {d} 場，累計 {v} 場。",
    ],
    "2-2": [
        "百福公園再生計畫完成現況調查與使用者訪談，完成度 {p}%。",
        "百福公園再生計畫辦理社區參與工作坊，提出初步配置構想，完成度 {p}%。",
        "百福公園再生規劃設計提送審查，完成度 {p}%。",
    ],
    "2-3": [
        "86 設計公寓工作室出租率 {v}%，本季新進駐創作團隊 {k} 組。",
        "86 設計公寓工作室出租率 {v}%，完成進駐團隊期中訪視。",
        "86 設計公寓工作室出租率 {v}%，持續辦理招租說明會。",
    ],
    "3-1": [
        "基隆捷運場站地區都市設計暨開發策略規劃完成場站周邊土地使用調查，完成度 {p}%。",
        "捷運場站地區開發策略規劃召開跨局處研商會議，確認開發策略方向，完成度 {p}%。",
        "捷運場站地區都市設計暨開發策略規劃期中報告審查通過，完成度 {p}%。",
    ],
    "3-2": [
        "協助產發處辦理北五堵國際研發新鎮規劃，完成產業需求訪談，累計進度 {v}%。",
        "北五堵國際研發新鎮規劃完成土地使用配置草案，累計進度 {v}%。",
        "北五堵國際研發新鎮規劃依環評審查意見修正，累計進度 {v}%。",
    ],
    "3-3": [
        "北五堵國際研發新鎮周邊地區整體規劃完成交通與公共設施容受力分析，完成度 {p}%。",
        "北五堵周邊地區整體規劃研擬後續配套工作項目，完成度 {p}%。",
        "北五堵周邊地區整體規劃召開地方說明會，完成度 {p}%。",
    ],
    "4-1": [
        "召開環境景觀總顧問平台會議 {d} 場，審議公共工程景觀設計，累計 {v} 場。",
        "召開環境景觀總顧問平台會議 {d} 場，檢視和平島周邊景觀改善，累計 {v} 場。",
        "召開環境景觀總顧問平台會議 {d} 場，討論人行環境改善優先路段，累計 {v} 場。",
    ],
    "4-2": [
        "辦理基隆都市再生議題交流講座 {d} 場，邀請社區規劃師分享經驗，累計 {v} 場。",
        "辦理都市再生交流講座 {d} 場，主題為老屋活化與青年進駐，累計 {v} 場。",
    ],
    "4-3": [
        "公園綠地參與式規劃辦理居民工作坊，累計完成規劃設計 {v} 處。",
        "公園綠地參與式規劃彙整居民意見並修正設計圖說，累計完成 {v} 處。",
    ],
    "5-1": [
        "基隆市坡地建築型態與審查機制案完成坡地建築案例調查，累計進度 {v}%。",
        "坡地建築審查機制案召開專家座談會，累計進度 {v}%。",
        "坡地建築審查機制案期中規劃報告送審，累計進度 {v}%。",
    ],
    "5-2": [
        "社區規劃師駐地輔導計畫本季輔導社區提案 {d} 件，累計 {v} 件。",
        "社區規劃師協助社區辦理防災踏查與韌性社區工作坊 {d} 件，累計 {v} 件。",
        "社區規劃師駐地輔導本季完成 {d} 件社區空間改善提案，累計 {v} 件。",
    ],
    "5-3": [
        "全市性都市計畫土地使用管制檢討完成氣候變遷調適課題盤點，累計進度 {v}%。",
        "土地使用管制檢討工作說明書草案召開研商會議，累計進度 {v}%。",
        "土地使用管制檢討彙整各區淹水潛勢資料，累計進度 {v}%。",
    ],
    "6-1": [
        "都市計畫空間整合（GIS 應用）查詢系統完成圖資格式盤點，累計進度 {v}%。",
        "GIS 查詢系統工作說明書召開需求訪談會議，累計進度 {v}%。",
        "GIS 查詢系統完成開放資料介接測試，累計進度 {v}%。",
    ],
    "6-2": [
        "建築管理資訊系統改版完成需求訪談與系統分析，累計進度 {v}%。",
        "建築管理資訊系統改版完成線上申辦模組測試，累計進度 {v}%。",
        "建築管理資訊系統辦理使用者教育訓練，累計進度 {v}%。",
    ],
    "6-3": [
        "國土功能分區證明核發系統向營建署申請補助，完成計畫書提送，累計進度 {v}%。",
        "國土功能分區證明核發系統完成設備採購，累計進度 {v}%。",
        "國土功能分區證明核發系統完成軟體安裝與測試，累計進度 {v}%。",
    ],
    "共1-1": [
        "經常門業務費預算 {budget} 元，累計實支 {spent} 元、保留 {reserved} 元，賸餘數百分比 {v}%。",
        "按月檢討經常門業務費執行情形，累計實支 {spent} 元，賸餘數百分比 {v}%。",
    ],
    "共2-1": [
        "本年度約聘僱員額 {this} 人，上年度 {last} 人。",
        "約聘僱員額 {this} 人（上年度 {last} 人），依員額管控計畫辦理。",
    ],
    "共3-1": [
        "完成年度學習時數 {done} 人，現有公務人員 {staff} 人。",
        "推廣數位學習課程，已完成學習時數 {done} 人／現有 {staff} 人。",
    ],
}
NO_PROGRESS = "本季無新增場次，累計 {v} {unit}；下季已排定辦理時程。"

# Why a figure is behind, and what will be done, by the kind of figure: sessions held,
# cases or places, progress of a plan or system (% or 式), and a level (a rate).
# In-year: behind the even pace, but the year is still on course.
TIMING = {
    "session": [
        ("場次多排定於下半年辦理，累計數暫低於年度均分進度。", "已排定後續各季辦理時程，預計年底前達成年度目標。"),
        ("受場地檔期影響，部分場次延至下季辦理。", "已預約下季場地，並同步規劃線上參與方式。"),
    ],
    "case": [
        ("社區提案審查時程延後，部分案件延至下季完成。", "已排定審查會議時程，並請社區規劃師協助提案修正。"),
        ("居民意見整合費時，設計定案延後。", "增加工作坊場次加速意見整合，預計下季完成。"),
    ],
    "progress": [
        ("委託案期中審查會議延至下季召開，進度略為落後。", "已要求受託廠商提出趕工計畫，並每月召開工作會議追蹤。"),
        ("配合中央補助核定時程，部分工作順延辦理。", "補助核定後即啟動作業，並調整後續工作期程。"),
        ("跨局處意見整合費時，部分工作項目延後。", "提報府內工作會議列管，協調相關局處於下季完成。"),
    ],
    "level": [
        ("部分進駐團隊合約到期退租，新團隊尚在甄選中。", "已辦理招租說明會並放寬進駐資格，預計下季出租率回升。"),
        ("工作室修繕期間暫停出租 2 間。", "修繕完成後即公告招租，並優先媒合候補團隊。"),
    ],
}
PORT = ("與臺灣港務公司協調作業時程，部分工作延後。", "提報市港再生平台會議列管，協調雙方於下季完成。")
# At the year's end: the year fell short. The first year (111, 2022) was a pandemic year.
PANDEMIC = {
    "session": ("受疫情影響，實體活動與會議場次減少。", "改採線上與實體併行方式辦理，明年度優先補足場次。"),
    "case": ("受疫情影響，社區工作坊與現地輔導暫停。", "改採線上諮詢並於明年度優先補足輔導案件。"),
    "progress": (
        "受疫情影響，現地調查與說明會延期，規劃進度落後。",
        "已重新排定調查與說明會時程，明年度上半年補足進度。",
    ),
    "level": ("受疫情影響，創作團隊進駐意願降低。", "調整租金優惠並擴大招租宣傳，明年度提升出租率。"),
}
SHORTFALL = {
    "session": [
        ("合作單位活動取消，場次未達年度目標。", "明年度提早與合作單位確認活動檔期，並預留備案場次。"),
        ("承辦人員異動，交接期間活動場次減少。", "已完成人力補實，明年度上半年優先補足場次。"),
    ],
    "case": [
        ("居民意見分歧，設計定案延至明年度。", "明年度持續辦理參與式工作坊，並優先完成設計。"),
        ("駐地輔導計畫決標延後，輔導期間縮短。", "明年度提前辦理招標，並延長駐地輔導期間。"),
    ],
    "progress": [
        ("委託規劃案兩次流標，決標時程較預定延後約四個月。", "已檢討招標文件並完成決標，明年第 2 季前完成期中報告。"),
        ("中央補助款核定較預期延後，計畫啟動較晚。", "補助已核定，明年度列為優先辦理項目並加強進度管控。"),
        ("土地權屬協商未完成，部分規劃內容需配合調整。", "持續與地主及相關機關協商，並於平台會議列管追蹤。"),
    ],
    "level": [
        ("部分進駐團隊合約到期退租，新團隊尚在甄選中。", "已辦理招租說明會並放寬進駐資格，明年度提升出租率。"),
    ],
}
COMMON_REASONS_YEAR_END = {
    "learning_hours_ratio": (
        "受疫情影響，實體課程停辦，部分同仁未及完成年度學習時數。",
        "增加數位學習課程選項，並每季追蹤同仁學習時數。",
    ),
}
COMMON_REASONS = {
    "budget_surplus": (
        "年底辦理委託規劃案追加項目，賸餘數較預期減少。",
        "明年度加強預算執行控管，按季檢討經常門支出。",
    ),
    "contract_staff_growth": (
        "因應都市計畫通盤檢討業務量增加，經核准增聘約聘人員 1 名。",
        "業務高峰期結束後檢討人力配置，明年度不再增加約聘僱員額。",
    ),
    "learning_hours_ratio": (
        "同仁多於下半年完成數位學習課程，累計完成人數尚未達標。",
        "每月通知未完成同仁並提供課程清單，列入主管會報追蹤。",
    ),
}
# A reviewer's reason for returning a report, and what the staff member added before resubmitting.
RETURN_COMMENTS = [
    (
        "請補充各場次日期、地點與參與單位，並附會議紀錄。",
        "（已補充各場次日期、地點與參與單位，會議紀錄連結列於佐證資料。）",
    ),
    (
        "累計數與上季差異較大，請說明計算方式並補附佐證資料。",
        "（累計數含上季漏列 1 筆，已補附佐證資料並更正說明。）",
    ),
    (
        "達成情形說明過於簡略，請補充本季具體執行成果。",
        "（補充：本季成果已彙整於市府網站公告，連結列於佐證資料。）",
    ),
]
# The drafts of the year in progress's third quarter, still incomplete.
DRAFTS: dict[str, dict] = {
    "6-1": {"narrative": ""},
    "共1-1": {"inputs": {"spent": "", "reserved": ""}, "narrative": "第 3 季會計月報尚未產出，先填列預算數。"},
}
# Evidence filed with the reports of the year in progress's third quarter (in review on the
# demo's today): (file name or link, description, the PDF's lines). The PDFs are generated
# (`demo_pdf`), in ASCII as the demo has no CJK font to embed.
EVIDENCE_FILED: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "2-1": (
        (
            "114Q3-原太平國小藝文活動簽到表.pdf",
            "第3季藝文展演活動簽到表",
            ("Keelung City Government", "Urban Development Department", "KPI 2-1  114 Q3", "Sign-in sheets (demo)"),
        ),
        ("https://www.klcg.gov.tw/", "活動新聞稿（市府網站公告）", ()),
    ),
    "4-1": (
        (
            "114Q3-環境景觀總顧問平台會議紀錄.pdf",
            "第3季平台會議紀錄",
            ("Keelung City Government", "Urban Development Department", "KPI 4-1  114 Q3", "Minutes (demo)"),
        ),
    ),
    "5-2": (
        (
            "114Q3-社區規劃師輔導成果.pdf",
            "第3季社區規劃師輔導案件清冊",
            ("Keelung City Government", "Urban Development Department", "KPI 5-2  114 Q3", "Cases (demo)"),
        ),
    ),
}
APPROVE_BEHIND = "同意。請依改善措施辦理，並於下季說明執行情形。"
PUBLISHED_NOTE = "年度績效經研考複核並鎖定，公開於施政績效公開網頁。"


@dataclass(frozen=True)
class InProgress:
    """A KPI of the year in progress: its planned values and the year-to-date figures of Q1–Q3.

    `planned` are the values of Q1–Q3 the department set (Q4 is the year's target); None
    leaves the KPI at the default by accrual. `why` is what the department writes when
    the KPI is behind its planned value (未達成原因, 改善措施).
    """

    actuals: tuple[str, str, str]
    planned: tuple[str, str, str] | None = None
    why: tuple[str, str] | None = None


# The year in progress (114), as a department writes it. Judged on 114Q2 (the latest
# approved period): 12 green, 5 yellow, 3 red.
IN_PROGRESS: dict[str, InProgress] = {
    # 港城丘地景管控: the ordinance's drafting, a little ahead of plan.
    "1-1": InProgress(("15", "42", "72"), planned=("15", "40", "70")),
    # 國門廣場 construction: slow while designing and coordinating, fast once building.
    "1-2": InProgress(
        ("5", "17", "50"),
        planned=("5", "20", "60"),
        why=(
            "國門廣場第二階段工程因地下管線遷移，須與臺灣港務公司重新協調施工界面，工期較預定落後約 1 個月。",
            "要求承商提出趕工計畫並增加夜間施工班次，於市港再生平台會議列管，預計第 4 季完工。",
        ),
    ),
    "1-3": InProgress(("0.25", "0.5", "0.75")),  # the default straight line
    "1-4": InProgress(
        ("0.1", "0.25", "0.5"),
        planned=("0.1", "0.3", "0.6"),
        why=(
            "八尺門整體規劃地方說明會因部落祭儀延期，部落與漁民意見彙整較預定延後。",
            "已與部落會議確認說明會日期，受託廠商同步修正期中報告，預計第 4 季完成。",
        ),
    ),
    "1-5": InProgress(("1", "3", "4")),
    # 原太平國小 events: most of them in the second half of the year.
    "2-1": InProgress(("0", "1", "3"), planned=("0", "1", "3")),
    "2-2": InProgress(("0.3", "0.5", "0.75")),
    # A rate judged as it stands: the target in every period.
    "2-3": InProgress(
        ("78", "72", "74"),
        why=(
            "2 組進駐團隊合約到期退租，新團隊尚在甄選中，工作室出租率暫時下降。",
            "已辦理招租說明會並放寬進駐資格，候補團隊預計第 4 季進駐。",
        ),
    ),
    "3-1": InProgress(("0.2", "0.45", "0.7"), planned=("0.2", "0.45", "0.7")),
    "3-2": InProgress(
        ("10", "20", "35"),
        planned=("10", "30", "60"),
        why=(
            "北五堵國際研發新鎮規劃配合環境影響評估審查意見，土地使用配置須重新檢討。",
            "提報府內工作會議列管，協調產業發展處於第 4 季完成配置修正並提送審查。",
        ),
    ),
    "3-3": InProgress(("0.25", "0.55", "0.75")),
    "4-1": InProgress(("2", "3", "4")),
    "4-2": InProgress(
        ("0", "0", "1"),
        planned=("0", "1", "1"),
        why=(
            "原訂第 2 季辦理之都市再生交流講座，因講者檔期異動延至第 3 季。",
            "已排定第 3 季辦理，第 4 季再辦理 1 場以達年度目標。",
        ),
    ),
    "4-3": InProgress(("0", "1", "1"), planned=("0", "1", "1")),
    "5-1": InProgress(
        ("10", "25", "40"),
        planned=("20", "45", "70"),
        why=(
            "坡地建築審查機制委託規劃案兩次流標，決標較預定延後約 3 個月。",
            "已於 5 月完成決標，要求受託廠商提出趕工計畫，並每月召開工作會議追蹤進度。",
        ),
    ),
    "5-2": InProgress(("4", "8", "12")),
    "5-3": InProgress(("78", "86", "93")),  # from last year's 70 to 100, straight
    "6-1": InProgress(
        ("75", "75", "80"),
        planned=("75", "82", "90"),
        why=(
            "GIS 查詢系統採購案第 1 次招標流標，系統建置延後啟動。",
            "已檢討規格並完成第 2 次招標決標，要求廠商分階段上線，年底前完成開放資料介接。",
        ),
    ),
    "6-2": InProgress(("22", "46", "75"), planned=("20", "45", "75")),
    "6-3": InProgress(
        ("72", "74", "78"),
        planned=("72", "80", "90"),
        why=(
            "國土功能分區證明核發系統之中央補助款核定較預期延後，軟體建置順延。",
            "補助核定後已啟動建置，並與內政部國土管理署確認資料格式，預計年底前完成測試上線。",
        ),
    ),
}
# When the department proposed the planned values and the planning office confirmed them.
PLANNED_PROPOSED = datetime.datetime(2025, 1, 20, 10, 30, tzinfo=TAIPEI)
PLANNED_CONFIRMED = datetime.datetime(2025, 2, 12, 15, 0, tzinfo=TAIPEI)


@dataclass(frozen=True)
class Correction:
    """An approved report reopened by the planning office after its year was locked (撤銷核定／更正)."""

    code: str
    year: int
    number: int
    added: Decimal  # what the corrected year-to-date figure adds to the approved one
    reason: str  # the planning office's, as it reopens the report
    note: str  # what the reporter adds to the narrative; {old} and {new} are the figures
    evidence: str  # the link's description
    reopened: datetime.datetime


# The community planners' programme closed its 113 accounts in February 2025: one case of
# the fourth quarter had not been counted. The year's light stays green.
CORRECTION = Correction(
    code="5-2",
    year=113,
    number=4,
    added=Decimal(1),
    reason=(
        "資料來源更新：社區規劃師駐地輔導計畫 113 年度結案報告已於 114 年 2 月核定，"
        "輔導案件數與原填報不同，請依結案報告更正 113 年第 4 季累計數並補附佐證。"
    ),
    note="（更正：依 114 年 2 月核定之結案報告，補列第 4 季完成之社區空間改善提案 1 件，累計數由 {old} 件更正為 {new} 件。）",
    evidence="社區規劃師駐地輔導計畫 113 年度結案報告",
    reopened=datetime.datetime(2025, 3, 10, 10, 0, tzinfo=TAIPEI),
)
# Under two stages, the third quarter of the year in progress: the department's reviewer has
# passed the KPIs of these objectives at 初核; the rest wait for 初核.
Q3_FIRST_PASSED_OBJECTIVES = (1, 2, 3, 4)


def workday(day: datetime.date, n: int) -> datetime.date:
    """The n-th working day (Monday to Friday) after `day`."""
    while n > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=TAIPEI)


def demo_pdf(lines: tuple[str, ...] | list[str]) -> bytes:
    """A one-page PDF showing `lines` (ASCII) in Helvetica: the demo's evidence files."""
    text = "BT /F1 20 Tf 72 720 Td 28 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        " /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def locked_at(period) -> datetime.datetime:
    """When the planning office locks a period: about a month after its due date, its review done."""
    return at(workday(period.due_date, 20), 10)


class DemoCalendar(dates.Clock):
    """The demo's clock while it seeds (`common.dates.Clock`): `now` is when the action being
    written happened (set by the seeder before each one), `today` the demo's today (what the
    rules judge a year by); every moment lies before it."""

    def __init__(self):
        super().__init__(DEMO_JOINED, today=DEMO_TODAY, before=DEMO_TODAY)

    def set(self, moment: datetime.datetime) -> None:
        try:
            super().set(moment)
        except ValueError as exc:
            raise CommandError(str(exc)) from None


def _quantize(value: Decimal, unit: str, rounding=ROUND_HALF_UP) -> Decimal:
    if unit == Unit.SET:  # the completed fraction, in twentieths
        return (value * 20).quantize(ONE, rounding=rounding) / 20
    return value.quantize(ONE, rounding=rounding)


def _kind(indicator) -> str:
    if indicator.accrual == Accrual.LEVEL:
        return "level"
    if indicator.unit == Unit.SESSION:
        return "session"
    return "case" if indicator.unit in COUNTS else "progress"


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


class Seeder:
    def __init__(
        self,
        department_plan: DepartmentPlan,
        *,
        staff,
        supervisor,
        planner,
        admin,
        rng: random.Random,
        clock: DemoCalendar,
    ):
        self.dp = department_plan
        self.plan = department_plan.plan
        self.stages = self.plan.review_stages  # 1: the department's reviewer; 2: 初核, then 研考複核
        self.staff, self.supervisor, self.planner, self.admin = staff, supervisor, planner, admin
        self.rng = rng
        self.clock = clock
        self.indicators = list(
            Indicator.objects.filter(department_plan=department_plan)
            .select_related("department_plan__plan", "objective", "common_goal")
            .prefetch_related("targets")
        )
        self.position = {indicator.pk: n for n, indicator in enumerate(self.indicators)}
        self.periods = {(p.year, p.number): p for p in services.periods_ensure(plan=self.plan)}
        self.per_year = max(number for _, number in self.periods)
        self.previous: dict[int, Decimal] = {}  # indicator → last year-to-date figure this year
        self.ratios: dict[int, Decimal] = {}  # indicator → this year's ratio to target
        self.budget = self.learning = 0
        self.current = self.plan.years[-1]  # the year in progress on the demo's today
        self.stored: dict[int, dict[int, tuple[Decimal, str]]] = {}  # the current year's planned values

    # --- planned values ----------------------------------------------------------------

    def plan_year(self, year: int) -> None:
        """The planned values of `IN_PROGRESS`: proposed by the reporter, confirmed by the planning office.

        A KPI-year whose planned values someone already set keeps them.
        """
        already = assessments.planned_values(years=[year], target__indicator__department_plan=self.dp)
        self.stored = {indicator_id: values for (indicator_id, _), values in already.items()}
        for indicator in self.indicators:
            spec = IN_PROGRESS.get(indicator.code)
            if spec is None or spec.planned is None or indicator.pk in self.stored:
                continue  # left at the default by accrual, or set already
            targets = self.targets(indicator)
            values = {number: Decimal(v) for number, v in enumerate(spec.planned, start=1)}
            problems = planning.ladder_problems(indicator, targets, year, self.per_year, values)
            if problems:
                raise CommandError(f"{indicator.code} {year}: the demo's planned values are not a ladder: {problems}")
            target = next(t for t in indicator.targets.all() if t.year == year)
            for number, value in values.items():
                planned = PlannedValue(
                    target=target,
                    number=number,
                    value=value,
                    status=PlannedStatus.PROPOSED,
                    proposed_by=self.staff,
                    proposed_at=PLANNED_PROPOSED,
                )
                planned._history_date, planned._history_user = PLANNED_PROPOSED, self.staff
                self.clock.set(PLANNED_PROPOSED)
                planned.save()
                planned.status = PlannedStatus.CONFIRMED
                planned.confirmed_by, planned.confirmed_at = self.planner, PLANNED_CONFIRMED
                planned._history_date, planned._history_user = PLANNED_CONFIRMED, self.planner
                self.clock.set(PLANNED_CONFIRMED)
                planned.save()
            self.stored[indicator.pk] = {number: (value, PlannedStatus.CONFIRMED) for number, value in values.items()}

    def behind_plan(self, indicator, year: int, number: int, value: Decimal | None) -> bool:
        """Whether a figure of the year in progress is yellow or red against its period's planned value."""
        if year != self.current or value is None:
            return False
        planned = planning.planned_to_date(
            indicator, self.targets(indicator), year, number, self.per_year, self.stored.get(indicator.pk)
        )
        if planned is None:
            return False
        light = assess(
            actual=value,
            target=planned,
            direction=indicator.direction,
            thresholds=assessments.thresholds_for(self.plan),
        ).light
        return light in ("yellow", "red")

    # --- figures ---------------------------------------------------------------------

    def targets(self, indicator) -> dict[int, Decimal]:
        return {t.year: t.value for t in indicator.targets.all()}

    def outcomes(self, year: int, *, yellow: int, red: int) -> dict[int, str]:
        """green / yellow / red for each KPI's year."""
        kpis = [i for i in self.indicators if i.kind == IndicatorKind.KPI]
        can_be_yellow = [i for i in kpis if i.unit in (Unit.PERCENT, Unit.SET) or self.targets(i).get(year, 0) >= 5]
        yellows = self.rng.sample(can_be_yellow, min(yellow, len(can_be_yellow)))
        reds = self.rng.sample([i for i in kpis if i not in yellows], red)
        outcome = dict.fromkeys((i.pk for i in kpis), "green")
        outcome.update(dict.fromkeys((i.pk for i in yellows), "yellow"))
        outcome.update(dict.fromkeys((i.pk for i in reds), "red"))
        return outcome

    def ratio(self, indicator, outcome: str) -> Decimal:
        """How far the year's figure gets relative to its target, drawn once per indicator and year."""
        if indicator.pk not in self.ratios:
            self.ratios[indicator.pk] = self._draw(outcome, indicator.accrual == Accrual.LEVEL)
        return self.ratios[indicator.pk]

    def _draw(self, outcome: str, level: bool) -> Decimal:
        if outcome == "green":
            r = self.rng.uniform(1.0, 1.12) if level else self.rng.choice([1, 1, 1, 1.1, 1.2])
        elif outcome == "yellow":
            r = self.rng.uniform(0.82, 0.95)
        else:
            r = self.rng.uniform(0.55, 0.75)
        return Decimal(str(round(r, 3)))

    def figure(self, indicator, year: int, number: int, outcome: str) -> Decimal | None:
        """The year-to-date figure of a KPI for a period, on course for the year's outcome."""
        targets = self.targets(indicator)
        target = targets.get(year)
        if target is None:
            return None
        if year == self.current and indicator.code in IN_PROGRESS and number < self.per_year:
            return Decimal(IN_PROGRESS[indicator.code].actuals[number - 1])
        unit, cap = indicator.unit, {Unit.PERCENT: Decimal(100), Unit.SET: ONE}.get(indicator.unit)
        ratio = self.ratio(indicator, outcome)
        if indicator.accrual == Accrual.LEVEL:
            jitter = Decimal(str(round(self.rng.uniform(0.97, 1.04), 3))) if number < self.per_year else ONE
            value = _quantize(target * ratio * jitter, unit)
        else:
            start = Decimal(0)
            previous = targets.get(year - 1)
            if unit == Unit.PERCENT and previous is not None and previous < target:
                start = previous
            final = start + (target - start) * ratio
            if unit in COUNTS:
                final = Decimal(math.ceil(final)) if outcome == "green" else final.quantize(ONE, rounding=ROUND_FLOOR)
            final = _quantize(final, unit, ROUND_FLOOR if outcome != "green" else ROUND_HALF_UP)
            if number == self.per_year:
                value = final
            else:
                # A year on course is mostly on pace; a year that falls short is mostly behind it.
                green = outcome == "green"
                pace = self.rng.uniform(0.97, 1.15) if green else self.rng.uniform(0.82, 1.0)
                share = Decimal(number) / self.per_year * Decimal(str(round(pace, 3)))
                rounding = ROUND_CEILING if green else ROUND_HALF_UP
                value = min(final, _quantize(start + (final - start) * share, unit, rounding))
            value = max(value, self.previous.get(indicator.pk, Decimal(0)) if number > 1 else Decimal(0))
        if cap is not None:
            value = min(value, cap)
        return max(value, Decimal(0))

    def common_inputs(self, indicator, year: int, number: int) -> tuple[dict, dict]:
        """Inputs for a common indicator's formula, and the values the narrative quotes."""
        last = number == self.per_year
        share = Decimal(number) / self.per_year
        if indicator.formula == "budget_surplus":
            budget = Decimal(self.rng.randrange(36_000, 44_000)) * 1000 if number == 1 else self.budget
            self.budget = budget
            if last:
                surplus = Decimal({111: "0.0312", 112: "0.0247", 113: "0.0174"}.get(year, "0.0265"))
                reserved = (budget * Decimal(str(round(self.rng.uniform(0.01, 0.03), 3)))).quantize(ONE)
                spent = budget - (budget * surplus).quantize(ONE) - reserved
            else:
                reserved = Decimal(0)
                spent = (budget * share * Decimal(str(round(self.rng.uniform(0.86, 0.97), 3)))).quantize(ONE)
            inputs = {"budget": str(budget), "spent": str(spent), "reserved": str(reserved)}
            return inputs, {"budget": f"{budget:,}", "spent": f"{spent:,}", "reserved": f"{reserved:,}"}
        if indicator.formula == "contract_staff_growth":
            last_year, this_year = {111: (14, 14), 112: (14, 15), 113: (15, 15)}.get(year, (15, 15))
            return {"last_year_staff": str(last_year), "this_year_staff": str(this_year)}, {
                "last": last_year,
                "this": this_year,
            }
        # learning_hours_ratio: completions accumulate through the year.
        staff = {111: 61, 112: 63, 113: 62}.get(year, 64)
        final = {111: Decimal("0.75")}.get(year, Decimal(str(round(self.rng.uniform(0.86, 0.95), 2))))
        fraction = final if last else final * share * Decimal(str(round(self.rng.uniform(0.8, 1.0), 2)))
        done = max(int((staff * fraction).quantize(ONE)), self.learning if number > 1 else 0)
        self.learning = done
        return {"completed_staff": str(done), "current_staff": str(staff)}, {"done": done, "staff": staff}

    # --- words ---------------------------------------------------------------------

    def narrative(self, indicator, number: int, value: Decimal | None, extra: dict) -> str:
        templates = NARRATIVES.get(indicator.code) or ["本季依計畫進度辦理，累計 {v}。"]
        previous = self.previous.get(indicator.pk, Decimal(0)) if number > 1 else Decimal(0)
        delta = (value - previous) if value is not None and indicator.unit in (Unit.SESSION, Unit.CASE) else None
        if delta == 0:
            return NO_PROGRESS.format(v=_fmt(value), unit=indicator.unit)
        template = templates[(number + indicator.pk) % len(templates)]
        return template.format(
            v="" if value is None else f"{value:.2f}" if indicator.formula else _fmt(value),
            d=_fmt(delta) if delta is not None else "",
            p=_fmt(value * 100) if value is not None else "",
            k=self.rng.randint(1, 3),
            **extra,
        )

    def explanation(self, indicator, year: int, number: int) -> tuple[str, str]:
        if indicator.formula:
            if number == self.per_year and indicator.formula in COMMON_REASONS_YEAR_END:
                return COMMON_REASONS_YEAR_END[indicator.formula]
            return COMMON_REASONS[indicator.formula]
        kind = _kind(indicator)
        if year == self.current:
            # Written out for the year in progress (no draw, so its lights do not depend on the rule's details).
            spec = IN_PROGRESS.get(indicator.code)
            if spec is not None and spec.why is not None:
                return spec.why
            choices = TIMING[kind]
            return choices[(indicator.pk + number) % len(choices)]
        if number < self.per_year:
            choices = TIMING[kind] + ([PORT] if indicator.objective.number == 1 and kind == "progress" else [])
            return self.rng.choice(choices)
        if year == self.plan.start_year:
            return PANDEMIC[kind]
        return self.rng.choice(SHORTFALL[kind])

    # --- what is filed -----------------------------------------------------------------

    def fields(self, indicator, year: int, number: int, outcome: str) -> dict:
        extra = {}
        if indicator.formula:
            inputs, extra = self.common_inputs(indicator, year, number)
            value = indicator.formula_spec.compute(inputs).value
            fields = {"inputs": inputs}
        else:
            value = self.figure(indicator, year, number, outcome)
            fields = {"actual": value}
        period = self.periods[(year, number)]
        fields["narrative"] = self.narrative(indicator, number, value, extra)
        preview = assessments.report_preview(indicator=indicator, period=period, actual=value)
        if preview.needs_explanation or self.behind_plan(indicator, year, number, value):
            fields["shortfall_reason"], fields["improvement_plan"] = self.explanation(indicator, year, number)
        self.previous[indicator.pk] = value
        return fields

    # --- when --------------------------------------------------------------------------

    def filed_at(self, indicator, period) -> datetime.datetime:
        """When the reporter files the indicator's report for `period`: the department's reports
        are spread over the first four working days after the quarter, a few each morning, in
        the plan's order."""
        position = self.position[indicator.pk]
        day = workday(period.end_date, 1 + position * 4 // len(self.indicators))
        return at(day, 9, 30) + datetime.timedelta(minutes=30 * (position % 6))

    def later(self, moment: datetime.datetime, days: int, hour: int, indicator) -> datetime.datetime:
        """`days` working days after `moment`, at `hour` (a few minutes apart, in the plan's order)."""
        minutes = 8 * (self.position[indicator.pk] % 6)
        return at(workday(moment.astimezone(TAIPEI).date(), days), hour) + datetime.timedelta(minutes=minutes)

    # --- filing and reviewing through the services ---------------------------------------

    def approve(self, report: ProgressReport, user, comment: str | None = None) -> ProgressReport:
        """The last review: the figure becomes the period's actual. `comment` None: drawn, as reviewers
        comment now and then (mostly on the reports that are behind)."""
        if comment is None:
            comment = ""
            if report.shortfall_reason:
                comment = APPROVE_BEHIND if self.rng.random() < 0.5 else ""
            elif self.rng.random() < 0.15:
                comment = "同意。"
        return services.report_approve(report=report, user=user, comment=comment)

    def review(
        self, report: ProgressReport, moment: datetime.datetime, *, status: str, comment: str | None = None
    ) -> ProgressReport:
        """Take a submitted report (submitted at `moment`) through review, to `status`.

        One stage: the department's reviewer approves it (or returns it) the next working day.
        Two stages: the department's reviewer passes it at 初核 the next working day, and
        two working days later the planning office approves it at 研考複核 (or returns it).
        """
        indicator = report.indicator
        moment = self.later(moment, 1, 16, indicator)
        self.clock.set(moment)
        if self.stages == 1:
            if status == ReportStatus.RETURNED:
                return self.send_back(report, self.supervisor)
            return self.approve(report, self.supervisor, comment)
        report = services.report_approve(report=report, user=self.supervisor)  # 初核
        if status == ReportStatus.FIRST_APPROVED:
            return report
        self.clock.set(self.later(moment, 2, 11, indicator))
        if status == ReportStatus.RETURNED:
            return self.send_back(report, self.planner)
        return self.approve(report, self.planner, comment)  # 研考複核

    def send_back(self, report: ProgressReport, user) -> ProgressReport:
        comment, _ = RETURN_COMMENTS[(report.period.year + report.period.number) % len(RETURN_COMMENTS)]
        return services.report_return(report=report, user=user, comment=comment)

    def file(self, indicator, year: int, number: int, outcome: str, *, status: str, returned: bool = False):
        """File the report of (indicator, year, number) and take it to `status`, each step on its day.

        `returned`: the department's reviewer returns it at the first review, and the reporter
        adds what was asked and resubmits it the next working day. A report left `returned`
        is returned at the last review (研考複核 under two stages).
        """
        period = self.periods[(year, number)]
        moment = self.filed_at(indicator, period)
        self.clock.set(moment)
        fields = self.fields(indicator, year, number, outcome)
        if status == ReportStatus.DRAFT:
            fields.update(DRAFTS.get(indicator.code, {}))
            if "inputs" in DRAFTS.get(indicator.code, {}):
                # Only the budget is known before the quarter's accounts close.
                fields["inputs"] = {"budget": str(self.budget), "spent": "", "reserved": ""}
            return services.report_save(indicator=indicator, period=period, user=self.staff, **fields)
        files = EVIDENCE_FILED.get(indicator.code, ()) if (year, number) == (self.current, 3) else ()
        report = services.report_save(indicator=indicator, period=period, user=self.staff, submit=not files, **fields)
        if files:
            # Saved, its evidence attached a few minutes later, then submitted.
            self.clock.set(moment + datetime.timedelta(minutes=5))
            for name, description, lines in files:
                if name.startswith("https://"):
                    services.evidence_add(report=report, user=self.staff, url=name, description=description)
                else:
                    upload = ContentFile(demo_pdf(lines), name=name)
                    services.evidence_add(report=report, user=self.staff, file=upload, description=description)
            self.clock.set(moment + datetime.timedelta(minutes=8))
            report = services.report_submit(report=report, user=self.staff, expected_version=report.version)
        if returned:
            comment, correction = RETURN_COMMENTS[(year + number) % len(RETURN_COMMENTS)]
            moment = self.later(moment, 1, 15, indicator)
            self.clock.set(moment)
            report = services.report_return(report=report, user=self.supervisor, comment=comment)
            moment = self.later(moment, 1, 10, indicator)
            self.clock.set(moment)
            fields["narrative"] += correction
            report = services.report_save(
                indicator=indicator, period=period, user=self.staff, expected_version=report.version, **fields
            )
            services.evidence_add(
                report=report, user=self.staff, url=EVIDENCE_URL, description="會議紀錄（市府網站公告）"
            )
            report = services.report_submit(report=report, user=self.staff, expected_version=report.version)
        if status == ReportStatus.SUBMITTED:
            return report
        return self.review(report, moment, status=status)

    def correct(self, spec: Correction) -> ProgressReport:
        """撤銷核定／更正: the planning office reopens an approved report of a locked period, the
        reporter corrects its figure the next working day, and it passes review again."""
        indicator = next(i for i in self.indicators if i.code == spec.code)
        period = self.periods[(spec.year, spec.number)]
        report = ProgressReport.objects.get(indicator=indicator, period=period)
        self.clock.set(spec.reopened)
        report = services.report_reopen(report=report, user=self.planner, reason=spec.reason)
        moment = self.later(spec.reopened, 1, 14, indicator)
        self.clock.set(moment)
        services.evidence_add(report=report, user=self.staff, url=EVIDENCE_URL, description=spec.evidence)
        old, new = report.actual, report.actual + spec.added
        report = services.report_save(
            indicator=indicator,
            period=period,
            user=self.staff,
            actual=new,
            narrative=report.narrative + spec.note.format(old=_fmt(old), new=_fmt(new)),
            shortfall_reason=report.shortfall_reason,
            improvement_plan=report.improvement_plan,
            expected_version=report.version,
            submit=True,
        )
        return self.review(report, moment, status=ReportStatus.APPROVED, comment="同意更正。")

    def publish(self, year: int) -> None:
        """An admin publishes the year's results (公開年度) ten working days after its last period was locked."""
        locked = locked_at(self.periods[(year, self.per_year)])
        self.clock.set(at(workday(locked.date(), 10), 14))
        if PublishedYear.objects.filter(plan=self.plan, year=year).exists():
            return  # published already (by an admin, or an earlier run)
        published = PublishedYear(plan=self.plan, year=year, published_by=self.admin, note=PUBLISHED_NOTE)
        published.full_clean()
        published.save()

    def year(self, year: int, plan: dict[tuple[int, str], str], outcome: dict[int, str], returned=None) -> None:
        """File the reports `plan` names ((period number, indicator code) → status), quarter by quarter."""
        self.previous, self.ratios = {}, {}
        for number in range(1, self.per_year + 1):
            for indicator in self.indicators:
                status = plan.get((number, indicator.code))
                if status is None:
                    continue
                self.file(
                    indicator,
                    year,
                    number,
                    outcome.get(indicator.pk, "green"),
                    status=status,
                    returned=returned == (number, indicator.code),
                )

    def run(self) -> dict:
        years = self.plan.years
        done, current = years[:-1], years[-1]
        numbers = range(1, self.per_year + 1)
        codes = [i.code for i in self.indicators]
        for year in done:
            outcome = self.outcomes(year, yellow=3, red=1)
            # One report a year is returned, corrected, resubmitted and approved.
            returned = (self.rng.choice([2, 3]), self.rng.choice(["1-5", "2-1", "4-1", "5-2"]))
            plan = {(n, c): ReportStatus.APPROVED for n in numbers for c in codes}
            self.year(year, plan, outcome, returned)
        # About a month after each period's due date, its review done, the planning office locks it.
        for year in done:
            for number in numbers:
                period = self.periods[(year, number)]
                self.clock.set(locked_at(period))
                services.period_lock(period=period, user=self.planner)
        # Two weeks after a year's last period is locked, an admin publishes the year (公開年度) for /public/.
        for year in done:
            self.publish(year)
        # In March 2025 a figure of the last completed year is corrected (locked as it is).
        if CORRECTION.year in done:
            self.correct(CORRECTION)
        # The year in progress (on 2025-10-08): its planned values, set early in the year; Q1 and
        # Q2 approved; Q3 filed in the first days of October, in review (under two stages some
        # passed 初核 and wait for 研考複核), one returned and two drafts; Q4 not yet due.
        self.plan_year(current)
        plan = {(n, c): ReportStatus.APPROVED for n in (1, 2) for c in codes}
        plan.update({(3, c): ReportStatus.SUBMITTED for c in codes})
        if self.stages == 2:
            plan.update(
                {
                    (3, i.code): ReportStatus.FIRST_APPROVED
                    for i in self.indicators
                    if i.objective is not None and i.objective.number in Q3_FIRST_PASSED_OBJECTIVES
                }
            )
        plan[(3, "1-5")] = ReportStatus.RETURNED
        plan.update({(3, c): ReportStatus.DRAFT for c in DRAFTS})
        self.year(current, plan, {})
        return {"done": done, "current": current}


DEMO_UNREAD_DAYS = 30


class Command(BaseCommand):
    help = (
        "Create plausible progress reports for the demo's 都市發展處 through the workflow services, "
        "reviewed in the plan's review stages (DEMO_MODE only)."
    )

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("Demo reports are only created when DEMO_MODE is on (local demo).")
        dp = (
            DepartmentPlan.objects.filter(department__name=HOME_DEPARTMENT)
            .select_related("plan", "department")
            .order_by("-plan__start_year")
            .first()
        )
        if dp is None or not dp.indicators.exists():
            raise CommandError(f"{HOME_DEPARTMENT} has no indicators yet: run `manage.py seed_plan` first.")
        if ProgressReport.objects.filter(indicator__department_plan__department=dp.department).exists():
            self.stdout.write(f"Demo reports already exist for {HOME_DEPARTMENT}; nothing was changed.")
            return

        ensure_demo_users(joined=DEMO_JOINED)
        users = {
            u.username: u
            for u in get_user_model().objects.filter(username__in=["staff", "supervisor", "planner", "admin"])
        }
        # The stored assessments are refreshed once, at the end, for every KPI-year the
        # seeding moved (`kpi.stored.deferred`), not after each of its ~1,000 submissions and
        # approvals: the same rows, written in a second instead of half a minute.
        with transaction.atomic(), stored.deferred(), DemoCalendar().running() as clock:
            seeder = Seeder(
                dp,
                staff=users["staff"],
                supervisor=users["supervisor"],
                planner=users["planner"],
                admin=users["admin"],
                rng=random.Random(114),
                clock=clock,
            )
            result = seeder.run()
            # The inbox as it would be: the last month's notifications unread, the years before read.
            Notification.objects.filter(
                created_at__date__lt=dates.today() - datetime.timedelta(days=DEMO_UNREAD_DAYS)
            ).update(read_at=F("created_at"))
        self.summary(dp, result)

    def lights_now(self, dp: DepartmentPlan, year: int) -> str:
        """The KPIs' lights as the dashboard shows them today (the year in progress: its period status)."""
        computed = assessments.plan_year_attainment(plan=dp.plan, year=year, department_ids=[dp.department_id])
        kpis = [r for r in computed.for_department(dp.department_id) if r.indicator.kind == IndicatorKind.KPI]
        lights = Counter(r.assessment.light for r in kpis)
        return "、".join(f"{light.label} {lights[light]}" for light in Light if lights[light])

    def summary(self, dp: DepartmentPlan, result: dict) -> None:
        reports = ProgressReport.objects.filter(indicator__department_plan=dp).select_related(
            "indicator", "period__plan", "reviewed_by"
        )
        two = dp.plan.review_stages == 2
        stages = (
            "two review stages: 初核 by supervisor, then 研考複核 by planner"
            if two
            else "one review stage: supervisor approves"
        )
        waiting = {
            ReportStatus.SUBMITTED: "waiting for 初核" if two else "waiting for review",
            ReportStatus.FIRST_APPROVED: "waiting for 研考複核",
        }
        self.stdout.write(self.style.SUCCESS(f"Demo progress reports for {dp.department.name} ({stages}):"))
        for year in [*result["done"], result["current"]]:
            rows = [r for r in reports if r.period.year == year]
            by_status = Counter(r.status for r in rows)
            parts = []
            for status in ReportStatus.values:
                if not by_status[status]:
                    continue
                part = f"{by_status[status]} {status}"
                if status in waiting:
                    part += f" ({waiting[status]})"
                elif status == ReportStatus.RETURNED:
                    by = sorted({r.reviewed_by.username for r in rows if r.status == status})
                    part += f" (by {', '.join(by)})"
                parts.append(part)
            line = f"  民國{year}年: {', '.join(parts)}"
            year_end = [r for r in rows if r.period.is_last_of_year and r.status == ReportStatus.APPROVED]
            if year_end:
                lights = Counter(
                    assessments.report_preview(indicator=r.indicator, period=r.period, actual=r.actual).year.light.label
                    for r in year_end
                )
                line += " — year end: " + "、".join(f"{label} {n}" for label, n in lights.items())
            elif year == result["current"]:
                line += " — KPIs now: " + self.lights_now(dp, year)
            self.stdout.write(line)
        locked = [p.short_label for p in dp.plan.periods.filter(is_locked=True).order_by("year", "number")]
        if locked:
            self.stdout.write(f"  Locked by the planning office: {locked[0]}–{locked[-1]} ({len(locked)} periods)")
        published = [str(y) for y in PublishedYear.objects.filter(plan=dp.plan).values_list("year", flat=True)]
        if published:
            self.stdout.write(f"  Published for the public (/public/) by admin: {', '.join(published)}")
        corrections = ReportCorrection.objects.filter(report__indicator__department_plan=dp).select_related(
            "report__indicator", "report__period", "reopened_by"
        )
        for c in corrections:
            report = c.report
            state = f"approved again: {_fmt(c.actual)} → {_fmt(report.actual)}" if c.resolved_at else "being corrected"
            self.stdout.write(
                f"  Corrected after approval: {report.period.short_label} {report.indicator.code} "
                f"(reopened by {c.reopened_by.username}, {state})"
            )
        if settings.KPI_TODAY != DEMO_TODAY:
            self.stdout.write(f"The demo stands on {DEMO_TODAY}: set KPI_TODAY={DEMO_TODAY} to see it as of that day.")
        reviewers = (
            "supervisor (the department's reviewer, 初核) or planner (the planning office, 研考複核)"
            if two
            else "supervisor (a reviewer)"
        )
        self.stdout.write(f"Sign in as staff (a reporter), {reviewers} to see them; password {DEMO_PASSWORD}.")
