"""Every UI and briefing text, in one table: key → (Chinese, English).

KPI names, units and definitions are not here: they come from the KPI
catalogue (`kpi.CATALOGUE`), see `kpi_name()` / `kpi_unit()` / `kpi_definition()`.
Pillar, case-kind and domain names are data (Chinese) with an English label
here for the English UI.

`t(key, lang, **fmt)` looks a key up and fills `{placeholders}`; an unknown key
raises KeyError (a test checks that every `t("...")` used in the code exists).
"""

from __future__ import annotations

from kpi.catalogue import CATALOGUE, DOMAINS, KPI

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

LABELS: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------ app, pages
    "app.title": ("党建+社区治理看板", "Party-building+ community governance dashboard"),
    "app.street_office": ("街道办", "Street office"),
    "page.overview": ("总览", "Overview"),
    "page.engagement": ("活动参与", "Engagement"),
    "page.issues": ("诉求办理", "Resident requests"),
    "page.disputes_safety": ("矛盾纠纷与平安", "Disputes & safety"),
    "page.services": ("便民服务", "Convenience services"),
    "page.volunteers": ("志愿积分", "Volunteers & points"),
    "page.briefing": ("季度简报", "Quarterly briefing"),
    "page.kpi_catalogue": ("指标说明", "KPI definitions"),
    "page.missing": ("数据仓库未就绪", "Warehouse not ready"),
    "page.audit": ("审计日志", "Audit log"),
    # ------------------------------------------------------------------ sign-in, roles
    "auth.title": ("党建+社区治理看板 · 登录", "Governance dashboard · sign in"),
    "auth.intro": ("请使用街道办分配的账号登录。", "Sign in with the account the street office gave you."),
    "auth.name": ("账号", "Account"),
    "auth.password": ("密码", "Password"),
    "auth.submit": ("登录", "Sign in"),
    "auth.no_accounts": (
        "还没有任何账号。请由服务器管理员在命令行创建第一个管理员账号（密码从标准输入读取）：",
        "There are no accounts yet. The server's administrator creates the first administrator on the "
        "command line (the password is read from standard input):",
    ),
    "auth.first_admin_command": (
        ".venv/bin/python -m auth add-user 管理员账号 --role admin --display 显示名 --password-stdin",
        ".venv/bin/python -m auth add-user ADMIN_NAME --role admin --display 'Display name' --password-stdin",
    ),
    "auth.demo_accounts": (
        "演示数据：以下为演示账号（仅在仓库为演示数据时显示）。",
        "Demo data: these demo accounts are shown only while the warehouse holds the demo.",
    ),
    "auth.col_name": ("账号", "Account"),
    "auth.col_role": ("角色", "Role"),
    "auth.col_community": ("可见范围", "Sees"),
    "auth.col_password": ("密码", "Password"),
    "auth.all_communities": ("全部社区", "All communities"),
    "auth.signed_in_as": ("{name} · {role}", "{name} · {role}"),
    "auth.scope_one": ("仅可查看：{community}", "Sees only: {community}"),
    "auth.sign_out": ("退出登录", "Sign out"),
    "audit.intro": (
        "登录、锁定、账号变更、导入、下载与导出的记录（只增不改）。时间为北京时间。",
        "Sign-ins, lockouts, account changes, loads, downloads and exports (append-only). Times in Beijing time.",
    ),
    "audit.since": ("起始日期", "From"),
    "audit.until": ("截止日期", "To"),
    "audit.user": ("账号", "Account"),
    "audit.action": ("操作", "Action"),
    "audit.all_actions": ("全部操作", "All actions"),
    "audit.col_at": ("时间", "Time"),
    "audit.col_actor": ("操作人", "By"),
    "audit.col_action": ("操作", "Action"),
    "audit.col_target": ("对象", "Target"),
    "audit.col_ok": ("成功", "Succeeded"),
    "audit.col_detail": ("详情", "Details"),
    "audit.file": ("审计日志", "audit_log"),
    "audit.none": ("该期间没有记录。", "No records in this period."),
    "page.intake": ("数据上报", "Upload ledgers"),
    "page.submissions": ("报送情况", "Submissions"),
    "intake.intro": (
        "下载模板填写，或上传本社区的台账（Excel 或 CSV）。入库前会逐行预览：哪些行将导入、哪些行将被拒收及原因；"
        "确认后才写入数据仓库。",
        "Download a template, or upload your community's ledgers (Excel or CSV). Before anything is written you "
        "see every row that would load and every row that would be rejected, and why.",
    ),
    "intake.templates": ("① 下载模板", "① Templates"),
    "intake.kind": ("台账种类", "Ledger kind"),
    "intake.template_download": ("下载这种台账的 Excel 模板", "Download this ledger's Excel template"),
    "intake.template_help": (
        "模板含填表说明、下拉选项与一行示例（导入时自动跳过）；原样上传即可通过校验。",
        "Each template has instructions, drop-down lists and one example row (skipped on upload).",
    ),
    "intake.upload": ("② 上传与预览", "② Upload and preview"),
    "intake.files": ("选择文件（.xlsx / .xls / .csv，每个不超过 {mb} MB，可多选）",
                     "Choose files (.xlsx / .xls / .csv, at most {mb} MB each; several at once)"),
    "intake.none": ("尚未选择文件。", "No file chosen yet."),
    "intake.previewing": ("正在校验…", "Checking…"),
    "intake.col_file": ("文件", "File"),
    "intake.col_sheet": ("工作表", "Sheet"),
    "intake.col_kind": ("台账", "Ledger"),
    "intake.col_read": ("读取行数", "Rows read"),
    "intake.col_load": ("将导入", "Would load"),
    "intake.col_update": ("其中更新", "Of which updates"),
    "intake.col_reject": ("将拒收", "Would reject"),
    "intake.col_examples": ("示例行", "Example rows"),
    "intake.col_ignored": ("未知列（忽略）", "Unknown columns (ignored)"),
    "intake.col_dropped": ("个人信息列（删除）", "Personal-data columns (dropped)"),
    "intake.col_notes": ("说明", "Notes"),
    "intake.rejects": ("将被拒收的行（{n}）", "Rows that would be rejected ({n})"),
    "intake.col_row": ("Excel 行号", "Excel row"),
    "intake.col_column": ("列", "Column"),
    "intake.col_value": ("值", "Value"),
    "intake.col_reason": ("原因", "Reason"),
    "intake.annotated": ("下载标注问题的“{file}”", "Download “{file}” with the problems marked"),
    "intake.confirm_title": ("③ 确认入库", "③ Confirm"),
    "intake.confirm_help": (
        "确认后导入 {n} 行；被拒收的行不会导入，可按标注修改后重新上传。另有上报正在入库时会自动排队等待。",
        "Confirming loads {n} rows; rejected rows are not loaded (fix them in the marked copy and upload again). "
        "If another upload is being loaded, this one waits its turn.",
    ),
    "intake.confirm": ("确认入库", "Load"),
    "intake.loading": ("正在入库（如有其他上报正在入库，将排队等待）…", "Loading (waiting for any other upload first)…"),
    "intake.loaded": ("入库完成", "Loaded"),
    "intake.result": ("“{file}”：{status}，入库 {loaded} 行，拒收 {rejected} 行。",
                      "“{file}”: {status}; {loaded} rows loaded, {rejected} rejected."),
    "intake.status.loaded": ("已入库", "loaded"),
    "intake.status.loaded_with_rejects": ("已入库（部分行被拒收）", "loaded with rejects"),
    "intake.status.already_loaded": ("同一文件已导入过，未作任何改变", "the same file was loaded before; nothing changed"),
    "intake.status.refused": ("整份拒收", "refused"),
    "intake.after": ("各页面在下次刷新时显示新数据。", "Every page shows the new data on its next rerun."),
    "sub.intro": (
        "每个社区每月 {day} 日前应报送上月的活动台账与诉求台账。下表为各社区各台账的最新数据月份与最近一次上报。",
        "Each community reports last month's activities and cases ledgers by the {day}th. Below: the latest month "
        "each ledger covers and its last upload.",
    ),
    "sub.late": ("{n} 个社区逾期未报送：{names}", "{n} communities are late: {names}"),
    "sub.none_late": ("各社区均已按时报送。", "Every community has reported on time."),
    "sub.col_kind": ("台账", "Ledger"),
    "sub.col_latest": ("最新数据月份", "Latest month"),
    "sub.col_loaded_at": ("上报时间（北京时间）", "Uploaded (Beijing time)"),
    "sub.col_by": ("上报人", "By"),
    "sub.col_file": ("文件", "File"),
    "sub.col_rows": ("入库行数", "Rows"),
    "sub.col_rejects": ("拒收", "Rejects"),
    "sub.col_late": ("逾期", "Late"),
    "sub.col_batch": ("批次", "Batch"),
    "sub.col_profile": ("映射方案", "Mapping profile"),
    "sub.col_status": ("状态", "Status"),
    "sub.history": ("导入记录", "Load history"),
    "sub.no_history": ("还没有导入记录。", "No loads yet."),
    "sub.withdraw_pick": ("选择要撤回的批次", "Batch to withdraw"),
    "sub.withdraw": ("撤回本次导入", "Withdraw"),
    "sub.kind.activities": ("活动台账", "Activities"),
    "sub.kind.cases": ("诉求与纠纷台账", "Cases"),
    "sub.kind.volunteers": ("志愿者名册", "Volunteers"),
    "sub.kind.volunteer_hours": ("志愿服务时长", "Volunteer hours"),
    "sub.kind.redemptions": ("积分兑换", "Redemptions"),
    "intake.map_title": ("映射外部导出（如12345工单、志愿服务平台导出）", "Map a foreign export (12345 work orders, …)"),
    "intake.map_help": (
        "表头不是台账格式的文件，可把台账的每一项对应到文件的某一列（或填一个固定值），翻译取值、标出跳过的行、"
        "给出日期格式，并保存为映射方案；以后表头相同的文件会自动按方案导入。",
        "Map each ledger field to a column of the file (or one fixed value), translate values, mark rows to skip, "
        "give date formats, and save it as a profile: later files with the same header row are mapped by it.",
    ),
    "intake.map_file": ("文件", "File"),
    "intake.map_none": ("（不导入）", "(not mapped)"),
    "intake.map_constant": ("（固定值）", "(fixed value)"),
    "intake.map_value": ("固定值", "Fixed value"),
    "intake.map_file_value": ("文件中的值", "Value in the file"),
    "intake.map_contract_value": ("对应的台账取值", "Ledger value"),
    "intake.map_dates": ("日期格式（逗号分隔，依次尝试）", "Date formats (comma-separated, tried in order)"),
    "intake.map_skip_col": ("跳过行：依据哪一列", "Skip rows by column"),
    "intake.map_skip_values": ("该列取这些值的行跳过", "Skip rows with these values"),
    "intake.map_name": ("映射方案名称", "Profile name"),
    "intake.map_save": ("保存映射方案", "Save profile"),
    "intake.map_saved": ("已保存映射方案 {name}。", "Saved profile {name}."),
    "role.admin": ("管理员", "Administrator"),
    "role.leader": ("街道领导", "Street leader"),
    "role.community": ("社区", "Community"),
    "role.clerk": ("数据员", "Data clerk"),
    # ------------------------------------------------------------------ sidebar filters
    "filter.header": ("筛选", "Filters"),
    "filter.lang": ("语言", "Language"),
    "filter.period": ("期间", "Period"),
    "filter.quarter": ("季度", "Quarter"),
    "filter.start": ("开始日期", "Start date"),
    "filter.end": ("结束日期", "End date"),
    "filter.range": ("{start} 至 {end}", "{start} to {end}"),
    "filter.community": ("社区", "Communities"),
    "filter.community.placeholder": ("全部社区", "All communities"),
    "filter.compound": ("小区", "Compounds"),
    "filter.compound.placeholder": ("全部小区", "All compounds"),
    "filter.compound.disabled": ("请先选择社区", "Choose a community first"),
    "filter.pillar": ("板块", "Pillars"),
    "filter.pillar.placeholder": ("全部板块", "All pillars"),
    "filter.reset": ("恢复默认筛选", "Reset filters"),
    "filter.link_help": (
        "筛选条件保存在网址中：复制浏览器地址栏的链接即可分享当前视图。",
        "The filters live in the address bar: copy the URL to share this exact view.",
    ),
    "period.this_month": ("本月", "This month"),
    "period.this_quarter": ("本季度", "This quarter"),
    "period.last_quarter": ("上季度", "Last quarter"),
    "period.this_year": ("本年", "This year"),
    "period.last_12_months": ("近12个月", "Last 12 months"),
    "period.quarter": ("指定季度", "Choose a quarter"),
    "period.custom": ("自定义", "Custom"),
    "period.to_date": ("{period}（截至{day}）", "{period} (to {day})"),
    # ------------------------------------------------------------------ URL notes
    "note.title": ("链接中的部分筛选条件无效，已按默认处理：", "Some filters in the link were invalid and fell back to defaults:"),
    "note.period_invalid": ("期间“{value}”无法识别，改用上季度", "period “{value}” not recognised; using last quarter"),
    "note.date_invalid": ("日期“{value}”无效，改用上季度", "date “{value}” is not valid; using last quarter"),
    "note.date_missing": ("自定义期间缺少开始或结束日期，改用上季度", "custom period without start or end date; using last quarter"),
    "note.date_order": ("结束日期早于开始日期，改用上季度", "end date before start date; using last quarter"),
    "note.date_range": ("日期“{value}”超出可选范围，改用上季度", "date “{value}” is out of range; using last quarter"),
    "note.community_unknown": ("社区“{value}”不存在，已忽略", "community “{value}” does not exist; ignored"),
    "note.community_out_of_scope": (
        "社区“{value}”不在您的查看范围内，已显示本社区",
        "community “{value}” is outside what you may see; showing your own community",
    ),
    "overview.standing": (
        "本社区综合得分 {score}，在{street}{n}个社区中排名第 {rank}；街道平均得分 {average}。",
        "Your community's governance score is {score}, ranked {rank} of {n} in {street}; the street average is "
        "{average}.",
    ),
    "note.compound_unknown": ("小区“{value}”不在所选社区中，已忽略", "compound “{value}” is not in the chosen communities; ignored"),
    "note.pillar_unknown": ("板块“{value}”不存在，已忽略", "pillar “{value}” does not exist; ignored"),
    "note.lang_unknown": ("语言“{value}”无法识别，改用中文", "language “{value}” not recognised; using Chinese"),
    # ------------------------------------------------------------------ header
    "header.all_communities": ("全部社区（{n}个）", "all communities ({n})"),
    "header.some_communities": ("{names}等{n}个社区", "{names} and {more} more ({n} communities)"),
    "header.pillars": ("板块：{names}", "pillars: {names}"),
    "header.freshness": ("数据更新于 {ts}（北京时间）", "Data loaded {ts} (Beijing time)"),
    "header.freshness_unknown": ("尚无成功导入记录", "No successful load recorded yet"),
    "header.dates": ("统计期 {start} 至 {end}", "Period {start} to {end}"),
    "header.demo": (
        "**演示数据** · 除南湾社区公开报道的数字外均为模拟，仅供演示，请勿用于汇报。",
        "**Demo data** · simulated apart from Nanwan community's published figures; do not use for reporting.",
    ),
    "header.targets_error": ("目标值文件有误，请修改后刷新：", "The targets file has errors; fix it and reload:"),
    # ------------------------------------------------------------------ missing warehouse
    "missing.warehouse": (
        "还没有数据仓库。请管理员在项目目录运行 `make run`，或运行 `python -m etl demo` 生成演示数据"
        "（真实台账用 `python -m etl load 台账文件…` 导入），然后刷新本页。文件位置见服务器日志。",
        "There is no warehouse yet. An administrator runs `make run` in the project folder, or "
        "`python -m etl demo` to build the demo warehouse (real ledgers: `python -m etl load FILES…`), "
        "then reloads this page. The server's log says where it looked.",
    ),
    "missing.lake": (
        "所选查询引擎读取 Parquet 数据湖，但没有找到已发布的数据湖。请管理员设置 GOV_LAKE，"
        "并运行 `python -m etl lake --out 目录` 发布，然后刷新本页。详情见服务器日志。",
        "The chosen engine reads a Parquet lake, but no published lake was found. An administrator sets GOV_LAKE "
        "and runs `python -m etl lake --out DIR`, then reloads this page. The server's log has the details.",
    ),
    "missing.engine": (
        "服务器设置的查询引擎 GOV_ENGINE 无效（可选 duckdb、duckdb-lake、spark）。请管理员改正后重启。",
        "The server's query engine setting GOV_ENGINE is not valid (one of duckdb, duckdb-lake, spark). "
        "An administrator corrects it and restarts.",
    ),
    # ------------------------------------------------------------------ empty states
    "empty.scope": ("该范围内暂无数据", "No data in this scope"),
    "empty.scope_detail": (
        "该范围内暂无数据：所选期间和社区没有台账记录。请调整左侧的期间或社区。",
        "No data in this scope: the ledgers have no records for the chosen period and communities. "
        "Adjust the period or communities on the left.",
    ),
    # ------------------------------------------------------------------ KPI cards
    "card.vs.quarter": ("环比", "QoQ"),
    "card.vs.month": ("环比", "MoM"),
    "card.vs.year": ("同比", "YoY"),
    "card.vs.period": ("环比", "vs prev."),
    "card.vs.help": (
        "环比：与上一个等长期间（上季度、上月）相比；同比：与去年同期相比。颜色按指标方向：绿色为向好，红色为变差。",
        "QoQ/MoM: against the previous period of equal length; YoY: against the same period a year earlier. "
        "Green means better, red worse, by the KPI's direction.",
    ),
    "card.vs_year_ago": ("同比", "YoY"),
    "card.no_compare": ("无可比数据", "no comparison"),
    "card.out_of_scope": ("不属于所选板块", "not in the chosen pillars"),
    "card.target": ("目标 {target}", "target {target}"),
    "unit.pp": ("个百分点", " pp"),
    # ------------------------------------------------------------------ overview
    "overview.cards": ("核心指标", "Headline KPIs"),
    "overview.trend": ("月度活动趋势（按板块）", "Monthly activities by pillar"),
    "overview.trend.note": ("显示截至所选期间末的13个月，阴影为所选期间；上方指标卡片只统计所选期间。",
                            "The 13 months up to the period's end, the selected period shaded; the cards above count "
                            "the selected period only."),
    "overview.trend.activities": ("活动场次", "Activities"),
    "overview.trend.participants": ("参与人次", "Participations"),
    "overview.trend.metric": ("指标", "Measure"),
    "overview.scorecard": ("社区治理评分", "Community scorecard"),
    "overview.scorecard.help": (
        "综合得分为各项评分指标“实际值÷目标值”（越低越好的指标取倒数）的平均，×100 显示：100 = 恰好达标，"
        "单项封顶 200。未设目标的指标以前四期平均为目标。勾选某一行可将筛选缩小到该社区。",
        "The score is the mean over scorecard KPIs of value ÷ target (inverted for lower-is-better KPIs), "
        "shown ×100: 100 = exactly on target, each KPI capped at 200. KPIs without a target use the average "
        "of the previous four periods. Select a row to narrow the filters to that community.",
    ),
    "overview.targets_version": ("目标值版本 {version}（{updated} 更新）", "Targets version {version} (updated {updated})"),
    "overview.targets_default": ("目标值：指标目录默认值（未找到 data/targets.toml）", "Targets: catalogue defaults (no data/targets.toml)"),
    "overview.warnings": ("预警", "Warnings"),
    "overview.warnings.help": (
        "与前四期平均相比向不利方向变化 30% 以上为黄色预警，50% 以上为红色预警。",
        "Yellow when a KPI moved 30% or more in the bad direction against the average of the previous four "
        "periods, red at 50% or more.",
    ),
    "overview.no_warnings": ("本期无预警", "No warnings this period"),
    "overview.more_warnings": ("其余 {n} 条预警", "{n} more warnings"),
    "col.rank": ("排名", "Rank"),
    "col.community": ("社区", "Community"),
    "col.score": ("综合得分", "Score"),
    "col.kpis_scored": ("计分指标数", "KPIs scored"),
    "col.warnings": ("预警数", "Warnings"),
    "col.red_warnings": ("红色预警", "Red warnings"),
    "warning.red": ("红色预警", "Red"),
    "warning.yellow": ("黄色预警", "Yellow"),
    "warning.line": (
        "**{community}** · {kpi}：{value}，较前四期平均 {baseline} {direction} {change}",
        "**{community}** · {kpi}: {value}, {direction} {change} against the previous-four-period average {baseline}",
    ),
    "warning.down": ("下降", "down"),
    "warning.up": ("上升", "up"),
    # ------------------------------------------------------------------ KPI catalogue page
    "catalogue.intro": (
        "本页列出看板中每个指标的口径，由指标目录自动生成，与各页面、简报的计算完全一致。",
        "Every KPI on the dashboard, generated from the KPI catalogue that all pages and the briefing compute from.",
    ),
    "catalogue.search": ("搜索指标（名称或编号）", "Search KPIs (name or id)"),
    "catalogue.none": ("没有匹配的指标", "No KPI matches"),
    "catalogue.count": ("共 {n} 个指标", "{n} KPIs"),
    "catalogue.id": ("编号", "Id"),
    "catalogue.fact": ("{label}：{value}", "{label}: {value}"),
    "catalogue.unit": ("单位", "Unit"),
    "catalogue.direction": ("方向", "Direction"),
    "catalogue.higher": ("越高越好", "higher is better"),
    "catalogue.lower": ("越低越好", "lower is better"),
    "catalogue.target": ("默认目标", "Default target"),
    "catalogue.no_target": ("无（取前四期平均）", "none (average of the previous four periods)"),
    "catalogue.definition": ("定义", "Definition"),
    "catalogue.formula": ("计算公式", "Formula"),
    "catalogue.pillar": ("板块", "Pillar"),
    "catalogue.all_pillars": ("跨板块", "all pillars"),
    "catalogue.headline": ("总览指标", "headline"),
    "catalogue.scorecard": ("计入评分", "scored"),
    # ------------------------------------------------------------------ charts
    "axis.month": ("月份", "Month"),
    "axis.activities": ("活动场次（场）", "Activities (count)"),
    "axis.participants": ("参与人次（人次）", "Participations (count)"),
    "legend.pillar": ("板块", "Pillar"),
    "legend.case_kind": ("类别", "Kind"),
    # ------------------------------------------------------------------ domain pages (engagement … volunteers)
    # shared by the five domain pages, ui.drilldown, ui.downloads and the render_* functions they use
    "page.pillar_out": (
        "所选板块不含“{pillar}”：本页指标按口径属于该板块，暂不计算。请在左侧板块筛选中加入“{pillar}”或清空板块筛选。",
        "The chosen pillars leave out “{pillar}”: this page's KPIs belong to it and are not computed. Add "
        "“{pillar}” to the pillar filter on the left, or clear it.",
    ),
    "value.none": ("（未填写）", "(blank)"),
    "value.blank": ("（未填写）", "(blank)"),
    "value.no_team": ("未编入服务队", "No team"),
    "value.yes": ("是", "Yes"),
    "value.no": ("否", "No"),
    "unit.days": ("天", " days"),
    "axis.count_unit": ("数量（{unit}）", "Count ({unit})"),
    "axis.rate": ("比率（%）", "Rate (%)"),
    "axis.cases": ("件数（件）", "Cases (count)"),
    "axis.hazards": ("隐患数（处）", "Hazards (count)"),
    "axis.hours": ("服务时长（小时）", "Service hours (hours)"),
    "axis.items": ("兑换物品（件）", "Items handed out (count)"),
    "axis.activity_type": ("活动类型", "Activity type"),
    "axis.compound": ("小区", "Compound"),
    "axis.community": ("社区", "Community"),
    "axis.quarter": ("季度", "Quarter"),
    "axis.age": ("截至期末已登记天数", "Days open at the period's end"),
    "axis.days_to_close": ("办结天数（天）", "Days to close (days)"),
    "axis.days_to_resolve": ("化解天数（天）", "Days to resolve (days)"),
    "axis.days_to_fix": ("整改天数（天）", "Days to fix (days)"),
    "axis.cohort": ("首次服务季度（人数）", "Cohort: first active quarter (size)"),
    "axis.cohort_offset": ("此后第几个季度", "Quarters since the first"),
    "axis.retention": ("仍活跃比例（%）", "Still active (%)"),
    "chart.median": ("中位数", "Median"),
    "chart.beyond": ("超过{days}天的{n}件未在图中显示", "{n} beyond {days} days not shown"),
    "chart.p90": ("90分位", "90th pct"),
    "chart.marker": ("{label} {value}天", "{label} {value} d"),
    "chart.days_bucket": ("{bucket}天", "{bucket} days"),
    "chart.within_limit": ("未超期", "Within time limit"),
    "chart.overdue": ("已超期", "Overdue"),
    "chart.cohort_offset": ("+{n}季度", "+{n} q"),
    "chart.cohort_row": ("{quarter}（{n}人）", "{quarter} ({n})"),
    "chart.selected_period": ("所选期间", "Selected period"),
    # drill-down and detail tables
    "dd.hint": ("提示：点击图中的柱形或热力图格子，可筛选下方明细。", "Tip: click a bar or a heat-map cell to filter the list below."),
    # ------------------------------------------------------------------ one record's story (ui.story)
    "story.case.title": ("案件 {id}", "Case {id}"),
    "story.activity.title": ("活动 {id}", "Activity {id}"),
    "story.not_found": ("找不到这条记录，或它不在您的查看范围内。", "No such record, or it is outside what you may see."),
    "story.open_hint": ("点击表格中的一行，查看这条记录的全部信息和修改记录。",
                        "Click a row to see the record's every field and its history."),
    "story.fields": ("全部信息", "Every field"),
    "story.days.closed": ("办结用时 {days} 天", "Closed in {days} days"),
    "story.days.open": ("截至 {date} 已 {days} 天，尚未办结", "Open for {days} days as of {date}"),
    "story.limit": ("办理时限 {sla} 天", "time limit {sla} days"),
    "story.on_time": ("按时办结", "closed on time"),
    "story.late": ("超时办结", "closed late"),
    "story.overdue": ("已超期", "overdue"),
    "story.within": ("未超期", "within the limit"),
    "story.no_limit": ("无办理时限（时限只适用于居民诉求）", "no time limit (limits apply to resident requests)"),
    "story.transferred": ("已转办：只计入受理数，不计办理时限", "transferred: counted as registered only, no time limit"),
    "story.history": ("修改记录", "History"),
    "story.first_load": ("{at}（北京时间）首次导入 · 文件 {file}", "First loaded {at} (Beijing time) · file {file}"),
    "story.version": ("{at}（北京时间）新版台账修改 · 文件 {file}：", "{at} (Beijing time) a later ledger changed it · file {file}:"),
    "story.change": ("{field}：{before} → {after}", "{field}: {before} → {after}"),
    "story.unchanged": ("之后的台账版本没有修改这条记录。", "No later ledger version changed it."),
    "story.no_history": ("当前数据引擎不保存导入历史。", "This data engine keeps no load history."),
    "story.close": ("关闭", "Close"),
    "story.field.case_id": ("编号", "Case id"),
    "story.field.kind": ("类别", "Kind"),
    "story.field.category": ("分类", "Category"),
    "story.field.source": ("来源", "Source"),
    "story.field.community": ("社区", "Community"),
    "story.field.compound": ("小区", "Compound"),
    "story.field.opened_on": ("登记日期", "Registered"),
    "story.field.closed_on": ("办结日期", "Closed"),
    "story.field.status": ("状态", "Status"),
    "story.field.outcome": ("调解结果", "Outcome"),
    "story.field.satisfaction": ("满意度", "Satisfaction"),
    "story.field.summary": ("内容", "Summary"),
    "story.field.activity_id": ("活动编号", "Activity id"),
    "story.field.date": ("日期", "Date"),
    "story.field.pillar": ("板块", "Pillar"),
    "story.field.activity_type": ("活动类型", "Activity type"),
    "story.field.title": ("活动名称", "Title"),
    "story.field.partner": ("共建单位", "Partner"),
    "story.field.participants": ("参与人数", "Participants"),
    "story.field.services": ("服务人次/户次", "Served"),
    "story.field.volunteers": ("志愿者人数", "Volunteers"),
    "story.field.households_visited": ("入户户数", "Households visited"),
    "story.field.note": ("备注", "Note"),
    "dd.hint.month": ("趋势显示截至所选期间末的13个月（阴影为所选期间）。点击某月的柱形：全页期间变为该月（同步到网址）。",
                      "The trend shows the 13 months up to the period's end (the selected period shaded). Click a month's "
                      "bar to set the whole page to that month (kept in the URL)."),
    "dd.active": ("已筛选：", "Filtered by:"),
    "dd.chip": ("{field}：{value}", "{field}: {value}"),
    "dd.clear_one": ("取消此筛选", "Remove this filter"),
    "dd.clear_all": ("全部清除", "Clear all"),
    "dd.back": ("返回 {scope}", "Back to {scope}"),
    "dd.all_communities": ("全部社区", "all communities"),
    "dd.sort": ("排序", "Sort by"),
    "dd.sort_default": ("默认顺序", "Default order"),
    "dd.descending": ("降序", "Descending"),
    "dd.page": ("页码", "Page"),
    "dd.rows": ("第 {first}–{last} 条，共 {n} 条（{pages} 页）", "Rows {first}–{last} of {n} ({pages} pages)"),
    "dl.csv": ("下载 CSV", "Download CSV"),
    "dl.excel": ("下载 Excel", "Download Excel"),
    # detail-table columns
    "col.date": ("日期", "Date"),
    "col.month": ("月份", "Month"),
    "col.compound": ("小区", "Compound"),
    "col.pillar": ("板块", "Pillar"),
    "col.activity_type": ("活动类型", "Activity type"),
    "col.activity_id": ("活动编号", "Activity id"),
    "col.title": ("活动名称", "Title"),
    "col.partner": ("共建单位", "Partner"),
    "col.activities": ("场次", "Activities"),
    "col.participants": ("参与人次", "Participations"),
    "col.volunteers": ("志愿者人数", "Volunteers"),
    "col.communities_n": ("覆盖社区数", "Communities"),
    "col.last_date": ("最近活动日期", "Last activity"),
    "col.case_id": ("编号", "Case id"),
    "col.category": ("分类", "Category"),
    "col.source": ("来源", "Source"),
    "col.opened_on": ("登记日期", "Registered"),
    "col.closed_on": ("办结日期", "Closed"),
    "col.status": ("状态", "Status"),
    "col.case_days": ("办理天数", "Days"),
    "col.case_days.help": (
        "已在期末前办结：登记至办结的天数；未办结：截至期末已登记的天数。",
        "Closed by the period's end: days from registration to closing; still open: days since registration at "
        "the period's end.",
    ),
    "col.sla_days": ("办理时限（天）", "Time limit (days)"),
    "col.overdue": ("超期", "Overdue"),
    "col.bucket": ("账龄", "Age"),
    "col.satisfaction": ("满意度", "Satisfaction"),
    "col.summary": ("诉求内容", "Summary"),
    "col.dispute": ("纠纷情况", "Dispute"),
    "col.hazard": ("隐患情况", "Hazard"),
    "col.age_days": ("已登记天数", "Days open"),
    "col.outcome": ("调解结果", "Outcome"),
    "col.resolve_days": ("化解天数", "Days to resolve"),
    "col.found_on": ("发现日期", "Found"),
    "col.fixed_on": ("整改日期", "Fixed"),
    "col.fix_days": ("整改天数", "Days to fix"),
    "col.service_kind": ("类别", "Kind"),
    "col.service_type": ("服务类型", "Service type"),
    "col.services": ("服务人次/户次", "Served"),
    "col.services.help": (
        "便民服务：服务人次；上门维修：服务户次（台账“服务人次”列）。",
        "Convenience services: people served; home repairs: households served (the ledger's services column).",
    ),
    "col.partners_n": ("共建单位数", "Partners"),
    "col.team": ("服务队", "Team"),
    "col.service": ("服务内容", "Service"),
    "col.records": ("服务记录数", "Records"),
    "col.volunteers_n": ("参与志愿者（人）", "Volunteers (people)"),
    "col.hours": ("服务时长（小时）", "Hours"),
    "col.points": ("积分", "Points"),
    "col.active": ("活跃志愿者", "Active volunteers"),
    "col.party_active": ("其中党员", "Of whom party members"),
    "col.item": ("兑换物品", "Item"),
    "col.redemptions": ("兑换次数", "Redemptions"),
    # 活动参与
    "eng.monthly": ("月度活动（按板块）", "Activities by month and pillar"),
    "eng.monthly.activities": ("活动场次（按月、板块）", "Activities by month and pillar"),
    "eng.monthly.participants": ("参与人次（按月、板块）", "Participations by month and pillar"),
    "eng.by_type": ("各类活动参与人次", "Participations by activity type"),
    "eng.partners": ("共建单位", "Co-building partners"),
    "eng.partners.note": ("场次、人次为期内数；含近一年有活动但本期未参与的单位", "activities and participations in the period; partners active in the past year but not now are listed with 0"),
    "eng.partners.pick": ("勾选一行可按该共建单位筛选下方活动明细。", "Select a row to filter the activity list to that partner."),
    "eng.heat": ("各小区每百户参与人次（按月）", "Participations per 100 households by compound and month"),
    "eng.heat.note": (
        "户数取小区名册；未填写小区的活动不计入。点击格子可按该小区和月份筛选下方活动明细。",
        "Households from the compound register; activities without a compound are not counted. Click a cell to "
        "filter the activity list to that compound and month.",
    ),
    "eng.heat.top": (
        "仅显示每百户参与人次最高的 {n} 个小区（范围内共 {total} 个）；在侧栏选择社区或小区可查看其他小区。",
        "Showing the {n} compounds with the most participations per 100 households ({total} in scope); choose "
        "communities or compounds in the sidebar to see the others.",
    ),
    "eng.list": ("活动明细", "Activity list"),
    "eng.file": ("活动明细", "activities"),
    # 诉求办理
    "iss.flow": ("诉求受理、办结与在办积案（按月）", "Requests in, closed and backlog by month"),
    "iss.rates": ("办结率、按时办结率与满意率（按月）", "Closure, on-time and satisfaction rates by month"),
    "iss.days": ("办结天数分布", "Days to close"),
    "iss.aging": ("在办积案账龄", "Open backlog by age"),
    "iss.aging.scope": ("{scope} · 截至期末", "{scope} · at the period's end"),
    "iss.by_category": ("各分类诉求受理数", "Requests by category"),
    "iss.by_source": ("各来源诉求受理数", "Requests by source"),
    "iss.list": ("诉求明细", "Request lists"),
    "iss.list.which": ("列表", "List"),
    "iss.list.overdue": ("超期积案", "Overdue"),
    "iss.list.open": ("在办积案", "Open backlog"),
    "iss.list.opened": ("期内受理", "Registered in the period"),
    "iss.list.closed": ("期内办结", "Closed in the period"),
    "iss.list.overdue.help": ("截至期末仍未办结、且已超过该分类办理时限的诉求（按登记日期从早到晚）。", "Requests still open at the period's end and older than their category's time limit (oldest first)."),
    "iss.list.open.help": ("截至期末仍在办理的诉求（不含已转办；按登记日期从早到晚）。", "Requests open at the period's end (transferred excluded; oldest first)."),
    "iss.list.opened.help": ("期内登记的全部诉求（含已转办；最新在前）。", "Every request registered in the period (transferred included; newest first)."),
    "iss.list.closed.help": ("期内办结的诉求（不含已转办；最新在前）。", "Requests closed in the period (transferred excluded; newest first)."),
    "iss.file.overdue": ("超期积案", "overdue-requests"),
    "iss.file.open": ("在办积案", "open-requests"),
    "iss.file.opened": ("期内受理诉求", "requests-registered"),
    "iss.file.closed": ("期内办结诉求", "requests-closed"),
    # 矛盾纠纷与平安
    "dis.disputes": ("矛盾纠纷化解", "Dispute mediation"),
    "dis.monthly": ("排查化解数与调解成功率（按月）", "Disputes and mediation success by month"),
    "dis.outcomes": ("调解结果（期内办结）", "Mediation outcomes (closed in the period)"),
    "dis.by_category": ("各类纠纷排查化解数", "Disputes by category"),
    "dis.days": ("化解天数分布（不含转交）", "Days to resolve (referrals excluded)"),
    "dis.safety": ("平安建设：隐患排查与入户走访", "Safety: hazards and door-to-door visits"),
    "dis.hazard_flow": ("隐患发现与整改（按月）", "Hazards found and fixed by month"),
    "dis.hazards_fixed": ("整改完成数", "Hazards fixed"),
    "dis.hazard_category": ("各类隐患发现数", "Hazards by category"),
    "dis.fix_days": ("整改天数分布", "Days to fix"),
    "dis.visits": ("入户走访覆盖率（按月）", "Door-to-door visit coverage by month"),
    "dis.coverage": ("入户走访覆盖率（社区×季度，目标100%）", "Door-to-door visit coverage by community and quarter (target 100%)"),
    "dis.coverage.scope": ("{scope} · 按整季度，至少近四个季度", "{scope} · whole quarters, at least the last four"),
    "dis.coverage.note": (
        "每季度应完成一轮敲门入户走访：红色格子表示该社区该季度入户户数未达到总户数（覆盖率低于100%），绿色为已覆盖。"
        "点击社区所在行可将全页筛选到该社区。",
        "A visiting round is due every quarter: red cells are community-quarters whose visits did not reach every "
        "household (coverage below 100%), green ones did. Click a community's row to narrow the page to it.",
    ),
    "dis.list": ("纠纷与隐患明细", "Dispute and hazard lists"),
    "dis.list.which": ("列表", "List"),
    "dis.list.disputes": ("矛盾纠纷", "Disputes"),
    "dis.list.hazards": ("安全隐患", "Safety hazards"),
    "dis.file.disputes": ("矛盾纠纷明细", "disputes"),
    "dis.file.hazards": ("安全隐患明细", "hazards"),
    # 便民服务
    "svc.pillar_out": (
        "所选板块不含“{pillar}”：便民服务人次不计算，下方只显示所选板块中的上门维修。",
        "The chosen pillars leave out “{pillar}”: convenience services are not counted; only the home repairs of "
        "the chosen pillars are shown below.",
    ),
    "svc.monthly.convenience": ("便民服务人次（按月、服务类型）", "Convenience services by month and type"),
    "svc.monthly.repair": ("独居、空巢老人上门维修次数（按月、类型）", "Home repairs for elderly residents by month"),
    "svc.monthly.note": (
        "便民服务：志愿服务板块中记录了服务人次的活动（铲刀磨剪、缝纫修鞋、理发等）；上门维修：水电燃气维修、安装晾衣架，每条台账记录计一次。",
        "Convenience services: 志愿服务 activities with a services count (knife sharpening, mending, haircuts …); "
        "home repairs: utility repairs and clothes-rack installations, one ledger row per visit.",
    ),
    "svc.by_type": ("各服务类型", "By service type"),
    "svc.by_type.pick": ("勾选一行可按该服务类型筛选下方服务明细。", "Select a row to filter the service list to that type."),
    "svc.kind.convenience": ("便民服务", "Convenience"),
    "svc.kind.repair": ("上门维修", "Home repair"),
    "svc.partners": ("服务提供方：共建单位（场次）", "Who delivers: partners (activities)"),
    "svc.teams": ("服务提供方：志愿服务队（服务时长）", "Who delivers: volunteer teams (hours)"),
    "svc.teams.note": ("按志愿服务记录中关联到上述服务活动的时长统计；只显示服务队，不显示个人。", "From the volunteer service records linked to these activities; teams only, never individuals."),
    "svc.no_partner": ("社区自办（无共建单位）", "Community's own (no partner)"),
    "svc.list": ("服务明细", "Service list"),
    "svc.file": ("便民服务明细", "services"),
    # 志愿积分
    "vol.compound_rule": ("志愿者不登记小区：筛选小区时，志愿者指标按所选小区所在社区统计。", "Volunteers have no compound: with a compound filter, volunteer figures cover the communities of the chosen compounds."),
    "vol.people": ("注册与活跃志愿者（按月）", "Registered and active volunteers by month"),
    "vol.hours": ("服务时长（按月）", "Service hours by month"),
    "vol.points": ("积分发放、兑换与结余（按月）", "Points awarded, redeemed and balance by month"),
    "vol.points.note": ("积分结余为截至各月末累计发放减累计兑换（含期初以前的记录）。", "The balance is all points awarded minus all redeemed up to each month's end (records before the period included)."),
    "vol.items": ("爱心货柜兑换物品", "爱心货柜 items redeemed"),
    "vol.cohorts": ("季度留存（按首次服务季度分组）", "Quarterly retention by first-active quarter"),
    "vol.cohorts.scope": ("{scope} · 按整季度，至少近四个季度", "{scope} · whole quarters, at least the last four"),
    "vol.cohorts.note": (
        "每行是在该季度首次有服务记录的志愿者，格子为此后各季度仍有服务记录的比例。",
        "Each row is the volunteers whose first service record falls in that quarter; cells are the share still "
        "active in each later quarter.",
    ),
    "vol.teams": ("服务队服务时长排名", "Teams ranked by service hours"),
    "vol.team_table": ("服务队一览（期内）", "Teams (in the period)"),
    "vol.list": ("服务记录汇总（按服务队、服务内容）", "Service records by team and service"),
    "vol.list.note": ("只按服务队和服务内容汇总人数与时长，不列出志愿者个人。", "Counts and hours by team and service only; no individual volunteer is listed."),
    "vol.file": ("志愿服务记录汇总", "volunteer-service-summary"),
}

# ------------------------------------------------------------------ quarterly briefing
# The briefing products (briefing/: canvas, PDF, PPTX, XLSX, narrative) and their page (pages/briefing.py).
# A separate block merged into LABELS (one table: `t("briefing.…", lang)`).
BRIEFING_LABELS: dict[str, tuple[str, str]] = {
    # titles and meta
    "briefing.product": ("党建+社区治理季度简报", "Party-building+ community governance — quarterly briefing"),
    "briefing.whole_street": ("全街道", "whole street"),
    "briefing.period": ("统计期间", "Period"),
    "briefing.to": ("至", "to"),
    "briefing.freshness": ("数据截至", "Data as of"),
    "briefing.loaded_at": ("最近导入", "last load"),
    "briefing.beijing": ("（北京时间）", " (Beijing time)"),
    "briefing.generated": ("生成时间", "Generated"),
    "briefing.data_version": ("数据版本", "Data version"),
    "briefing.targets_version": ("目标值版本", "Targets version"),
    "briefing.demo": ("演示数据", "DEMO DATA"),
    "briefing.file_product": ("季度简报", "Quarterly_briefing"),
    "briefing.file_demo": ("演示数据", "demo"),
    "briefing.file_long": ("长图", "long"),
    "briefing.long_top_bottom": ("（最高、最低各 {n} 个，共 {total} 个）", " (highest and lowest {n} of {total})"),
    "briefing.demo_note": (
        "本简报基于演示数据生成，数字不代表真实情况。",
        "This briefing was generated from demo data; the figures are not real.",
    ),
    "briefing.incomplete": ("本季度尚未结束，数据截至", "The quarter is not over; data up to"),
    "briefing.scope": ("范围", "Scope"),
    "briefing.quarter": ("季度", "Quarter"),
    "briefing.page": ("第 {n} 页 / 共 {total} 页", "Page {n} of {total}"),
    "briefing.pillar": ("党建+{pillar}", "{pillar}"),  # a pillar in texts; {pillar} = pillar_name(…, lang)
    # sections
    "briefing.sec_tiles": ("核心指标", "Headline KPIs"),
    "briefing.sec_trend": ("活动开展（按板块）", "Activities by pillar"),
    "briefing.sec_issues": ("诉求办理", "Issue resolution"),
    "briefing.sec_volunteers": ("志愿服务积分", "Volunteer points"),
    "briefing.sec_scorecard": ("社区综合评分", "Community scorecard"),
    "briefing.sec_compounds": ("各小区情况", "Compounds"),
    "briefing.sec_warnings": ("预警提示", "Warnings"),
    "briefing.sec_narrative": ("本季度综述", "Summary"),
    "briefing.sec_kpis": ("指标明细", "All KPIs"),
    "briefing.sec_about": ("说明与指标口径", "About & definitions"),
    # tiles
    "briefing.qoq": ("环比", "QoQ"),
    "briefing.yoy": ("同比", "YoY"),
    "briefing.no_data": ("无数据", "no data"),
    # charts
    "briefing.activities": ("活动场次", "Activities"),
    "briefing.cases_opened": ("受理数", "Opened"),
    "briefing.cases_closed": ("办结数", "Closed"),
    "briefing.closure_rate": ("办结率(%)", "Closure rate (%)"),
    "briefing.points_awarded": ("积分发放", "Points awarded"),
    "briefing.points_redeemed": ("积分兑换", "Points redeemed"),
    "briefing.active_volunteers": ("活跃志愿者(人)", "Active volunteers"),
    "briefing.score": ("综合得分", "Governance score"),
    "briefing.per_hundred": ("每百户参与人次", "Participations per 100 households"),
    "briefing.no_volunteer_data": ("期内无志愿服务记录", "No volunteer records in this period"),
    "briefing.no_warnings": ("本季度未触发预警。", "No warnings fired this quarter."),
    "briefing.more_warnings": ("另有 {n} 条预警，见附表。", "{n} more warnings in the appendix."),
    "briefing.red": ("红色预警", "Red warning"),
    "briefing.yellow": ("黄色预警", "Yellow warning"),
    # tables
    "briefing.col_kpi": ("指标", "KPI"),
    "briefing.col_id": ("指标编号", "KPI id"),
    "briefing.col_value": ("本季度", "This quarter"),
    "briefing.col_unit": ("单位", "Unit"),
    "briefing.col_previous": ("上季度", "Previous quarter"),
    "briefing.col_qoq": ("环比变化", "QoQ change"),
    "briefing.col_year_ago": ("去年同期", "Same quarter last year"),
    "briefing.col_yoy": ("同比变化", "YoY change"),
    "briefing.col_qoq_delta": ("较上季度增减", "Δ vs previous"),
    "briefing.col_yoy_delta": ("较去年同期增减", "Δ vs year ago"),
    "briefing.col_definition": ("口径", "Definition"),
    "briefing.col_formula": ("计算方法", "Formula"),
    "briefing.col_direction": ("方向", "Direction"),
    "briefing.higher": ("越高越好", "higher is better"),
    "briefing.lower": ("越低越好", "lower is better"),
    "briefing.col_community": ("社区", "Community"),
    "briefing.col_compound": ("小区", "Compound"),
    "briefing.col_households": ("户数", "Households"),
    "briefing.col_rank": ("排名", "Rank"),
    "briefing.col_score": ("综合得分", "Score"),
    "briefing.col_warnings": ("预警数", "Warnings"),
    "briefing.col_red": ("红色预警数", "Red warnings"),
    "briefing.col_level": ("级别", "Level"),
    "briefing.col_baseline": ("前四季度均值", "Baseline (previous 4 quarters)"),
    "briefing.col_change": ("变化", "Change"),
    "briefing.col_month": ("月份", "Month"),
    "briefing.col_pillar": ("板块", "Pillar"),
    "briefing.col_quarter": ("季度", "Quarter"),
    "briefing.col_sentence": ("内容", "Text"),
    "briefing.col_section": ("部分", "Section"),
    "briefing.no_chart": (
        "（图表需用 Chromium 渲染，本机未找到 Chromium）", "(charts are rendered with Chromium, which was not found)",
    ),
    "briefing.score_note": (
        "综合得分 = 各评分指标“实际值÷目标值”的平均 ×100（越低越好的指标取倒数），100 为恰好达标，单项封顶 200。",
        "Score = mean over scorecard KPIs of value ÷ target (inverted when lower is better) ×100; "
        "100 = on target, each KPI capped at 200.",
    ),
    "briefing.notes_numbers": (
        "本页数字均由指标层计算，可直接编辑文字。",
        "Every number on this slide comes from the KPI layer; the text is editable.",
    ),
    # the page: selectors (briefing.quarter, briefing.scope), presentation mode, exports, notes
    "briefing.page.whole": ("全街道", "Whole street"),
    "briefing.page.whole_of": ("全街道（{streets}）", "Whole street ({streets})"),
    "briefing.page.present": ("演示模式", "Presentation mode"),
    "briefing.page.present_help": (
        "在新标签页中只显示简报画面（隐藏侧栏和页面工具栏），适合投屏或截图。",
        "Opens only the briefing canvas (no sidebar or toolbar) in a new tab, for a projector or a screenshot.",
    ),
    "briefing.page.exports": ("导出", "Export"),
    "briefing.page.exports_help": (
        "文件内均注明范围、季度、数据截至时间{demo}。",
        "Every file states the scope, the quarter and the data freshness{demo}.",
    ),
    "briefing.page.demo_suffix": ("及“演示数据”", " and that it is demo data"),
    "briefing.page.png": ("图片 PNG", "Image PNG"),
    "briefing.page.pdf": ("PDF（A4 横版）", "PDF (A4 landscape)"),
    "briefing.page.pptx": ("演示文稿 PPTX", "Slides PPTX"),
    "briefing.page.xlsx": ("数据 Excel", "Data Excel"),
    "briefing.page.longpng": ("长图（手机）", "Long image (phone)"),
    "briefing.page.long_preview": ("预览手机长图", "Preview the long image for phones"),
    "briefing.page.long_preview_help": (
        "按手机屏幕宽度显示；下载的长图宽 1080 像素，可直接发到企业微信或钉钉群。",
        "Shown at a phone's width; the downloaded image is 1080 px wide, ready for a WeCom or DingTalk group.",
    ),
    "briefing.page.no_browser": (
        "本机未找到 Chromium，无法生成 PNG/PDF；PPTX（含可编辑图表）和 Excel 照常导出。",
        "No Chromium on this server: PNG/PDF are unavailable; PPTX (with editable charts) and Excel still work.",
    ),
    "briefing.page.render_failed": ("简报画面渲染失败，以下为交互图形版本：", "Rendering the canvas failed; interactive version below:"),
    "briefing.page.text": ("简报文字（可复制）", "Briefing text (copy and paste)"),
    "briefing.page.cli_command": (
        "python -m briefing --quarter {quarter}{community} --out 输出目录{lang_flag}",
        "python -m briefing --quarter {quarter}{community} --out OUTPUT_DIR{lang_flag}",
    ),
    "briefing.page.cli": ("定时生成（命令行）", "Scheduled export (command line)"),
    "briefing.page.cli_help": (
        "在服务器上用计划任务（cron）运行以下命令，可不打开浏览器生成同样的文件：",
        "Run this from cron on the server to write the same files without a browser:",
    ),
    "briefing.page.not_quarter": (
        "季度简报按整季度编制：侧栏所选期间“{period}”不是一个季度，已显示{quarter}。",
        "The briefing covers a whole quarter: the sidebar period “{period}” is not one, so {quarter} is shown.",
    ),
    "briefing.page.narrowed": (
        "简报的范围为全街道或单个社区：侧栏中的{what}筛选未应用。",
        "The briefing covers the whole street or one community: the sidebar's {what} filter is not applied.",
    ),
    "briefing.page.what_communities": ("多个社区", "several-communities"),
    "briefing.page.what_compounds": ("小区", "compound"),
    "briefing.page.what_pillars": ("板块", "pillar"),
    "briefing.page.no_data": ("仓库中还没有可用于简报的数据。", "The warehouse has no data for a briefing yet."),
    # ------------------------------------------------------------------ delivery to work-chat robots
    "delivery.warnings": ("预警 {n} 条（红色 {red} · 黄色 {yellow}）", "{n} warnings ({red} red · {yellow} yellow)"),
    "delivery.image": ("长图", "long image"),
    "delivery.text": ("文字摘要", "text summary"),
    "delivery.nothing": ("无", "nothing"),
    "delivery.line_ok": ("{robot}：已发送 {sent}", "{robot}: sent {sent}"),
    "delivery.line_failed": ("{robot}：已发送 {sent}；{failed}发送失败：{error}",
                             "{robot}: sent {sent}; the {failed} failed: {error}"),
    "delivery.all_ok": ("已发送到全部 {n} 个机器人。", "Sent to all {n} robots."),
    "delivery.some_failed": ("有机器人发送失败（见上），其余已发送；不会自动重发。",
                             "A robot failed (see above); the others were served. Nothing is resent automatically."),
    "delivery.page.title": ("发送到工作群", "Send to the work-chat groups"),
    "delivery.page.intro": (
        "把本页所选季度和范围的手机长图及文字摘要发送到以下群机器人（仅管理员可见，每次发送记入审计日志）：",
        "Posts this quarter's and scope's long image and text summary to these group robots (administrators "
        "only; every send is in the audit log):",
    ),
    "delivery.page.no_config": (
        "尚未配置群机器人：在服务器上建立 {path}（或设置 GOV_DELIVERY=配置文件路径），写法见 docs/deployment.md 的“发送到工作群”。",
        "No group robots configured: create {path} on the server (or set GOV_DELIVERY=path), see "
        "“Delivery to work-chat groups” in docs/deployment.md.",
    ),
    "delivery.page.confirm": ("我已核对本简报，确认发送", "I have checked this briefing: send it"),
    "delivery.page.button": ("发送到工作群", "Send to the groups"),
    "delivery.page.refused": ("只有管理员可以发送简报。", "Only administrators can send the briefing."),
    "delivery.page.not_ready": ("无法发送：{error}", "Cannot send: {error}"),
    "briefing.page.lagging": (
        "{quarter}的台账尚未导入完整，已显示数据最近的完整季度：{shown}。",
        "The ledgers do not cover {quarter} yet: showing the latest complete quarter, {shown}.",
    ),
}
LABELS.update(BRIEFING_LABELS)

# The explorer (数据查询, pages/explore.py): ledgers, their columns as filters and dimensions, measures, notes.
EXPLORE_LABELS: dict[str, tuple[str, str]] = {
    "page.explore": ("数据查询", "Data explorer"),
    "ex.intro": ("选一本台账，按需筛选、分组并选择度量；整个查询都在网址里，复制链接即可重现结果。",
                 "Pick a ledger, filter, group and choose a measure; the whole question lives in the URL, so a "
                 "copied link reproduces the answer."),
    "ex.table": ("台账", "Ledger"),
    "ex.table.activities": ("活动台账", "Activities"),
    "ex.table.cases": ("诉求与案件", "Cases"),
    "ex.table.volunteer_hours": ("志愿服务时长", "Volunteer hours"),
    "ex.table.redemptions": ("积分兑换", "Redemptions"),
    "ex.table.volunteers": ("志愿者名册", "Volunteer roster"),
    "ex.filters": ("筛选条件", "Filters"),
    "ex.filters.count": ("筛选条件（已设 {n} 项）", "Filters ({n} set)"),
    "ex.keywords": ("关键词", "Keywords"),
    "ex.keywords.help": ("在{columns}中查找；多个词用空格分开，须全部出现。",
                         "Searched in {columns}; several words separated by spaces must all occur."),
    "ex.keywords.none": ("这本台账没有可搜索的文字列。", "This ledger has no text columns to search."),
    "ex.range.from": ("{column} 起", "{column} from"),
    "ex.range.to": ("{column} 止", "{column} to"),
    "ex.group": ("分组（最多两项）", "Group by (at most two)"),
    "ex.group.placeholder": ("不分组：只看一个数", "No grouping: one number"),
    "ex.measure": ("度量", "Measure"),
    "ex.measure.count": ("行数", "Rows"),
    "ex.measure.count.volunteers": ("注册志愿者人数（期末）", "Registered volunteers (at the period's end)"),
    "ex.measure.sum": ("{column}合计", "Sum of {column}"),
    "ex.answer": ("结果", "Answer"),
    "ex.any": ("全部", "Any"),
    "ex.chart_title": ("{measure} · 按{groups}", "{measure} by {groups}"),
    "ex.answer.table": ("结果表", "Answer table"),
    "ex.download": ("下载结果", "Download answer"),
    "ex.file": ("数据查询结果", "explorer-answer"),
    "ex.file.rows": ("数据查询明细", "explorer-rows"),
    "ex.rows": ("匹配的明细（共 {n} 行）", "Matching rows ({n} in all)"),
    "ex.rows.not_listed": ("志愿者台账只汇总、不列明细（不显示个人）。",
                           "Volunteer ledgers are grouped and counted, never listed (no person is shown)."),
    "ex.rows.page": ("第 {first}–{last} 行，共 {n} 行", "Rows {first}–{last} of {n}"),
    "ex.rows.capped": ("下载最多包含前 {n} 行。", "Downloads hold at most the first {n} rows."),
    "ex.period_note": ("按{date}计入期间；期间：{start} 至 {end}。", "Counted by {date}; period {start} to {end}."),
    "ex.period_note.roster": ("截至期末（{end}）已加入的志愿者。", "Volunteers who had joined by the period's end ({end})."),
    "ex.kpi_note": ("按指标说明中“{name}”的定义计算（居民诉求），再按所选条件筛选、分组。",
                    "Computed by the definition of “{name}” in the KPI catalogue (resident requests), filtered and "
                    "grouped as chosen."),
    "ex.none": ("（空）", "(blank)"),
    "ex.saved": ("常用查询", "Shared questions"),
    "ex.saved.mine": ("我的查询", "My questions"),
    "ex.saved.none": ("还没有保存的查询。", "No saved questions yet."),
    "ex.saved.open": ("打开", "Open"),
    "ex.saved.delete": ("删除", "Delete"),
    "ex.saved.shared_by": ("{name}（{by} 共享）", "{name} (shared by {by})"),
    "ex.save": ("保存当前查询", "Save this question"),
    "ex.save.name": ("名称", "Name"),
    "ex.save.share": ("共享给所有人（常用查询）", "Share with everyone (shared questions)"),
    "ex.save.button": ("保存", "Save"),
    "ex.save.done": ("已保存“{name}”。", "Saved “{name}”."),
    "ex.save.invalid": ("请填写名称（最多 60 个字）。", "Give it a name (at most 60 characters)."),
    "ex.saved.invalid": ("保存的查询“{name}”已不再有效：{reason}", "The saved question “{name}” is no longer valid: {reason}"),
    "ex.col.date": ("日期", "Date"),
    "ex.col.month": ("月份", "Month"),
    "ex.col.quarter": ("季度", "Quarter"),
    "ex.col.year": ("年份", "Year"),
    "ex.col.community": ("社区", "Community"),
    "ex.col.compound": ("小区", "Compound"),
    "ex.col.pillar": ("板块", "Pillar"),
    "ex.col.activity_type": ("活动类型", "Activity type"),
    "ex.col.partner": ("共建单位", "Partner"),
    "ex.col.title": ("活动名称", "Activity title"),
    "ex.col.note": ("备注", "Note"),
    "ex.col.participants": ("参与人数", "Participants"),
    "ex.col.services": ("服务人次", "Services"),
    "ex.col.volunteers": ("志愿者人数", "Volunteers"),
    "ex.col.households_visited": ("入户户数", "Households visited"),
    "ex.col.opened_on": ("登记日期", "Opened on"),
    "ex.col.closed_on": ("办结日期", "Closed on"),
    "ex.col.kind": ("案件类型", "Case kind"),
    "ex.col.category": ("分类", "Category"),
    "ex.col.source": ("来源", "Source"),
    "ex.col.status": ("状态", "Status"),
    "ex.col.outcome": ("结果", "Outcome"),
    "ex.col.satisfaction": ("满意度", "Satisfaction"),
    "ex.col.summary": ("诉求内容", "Request text"),
    "ex.col.team": ("服务队", "Team"),
    "ex.col.service": ("服务内容", "Service"),
    "ex.col.service_text": ("服务内容", "Service"),
    "ex.col.hours": ("服务时长", "Hours"),
    "ex.col.points": ("积分", "Points"),
    "ex.col.item": ("兑换物品", "Item"),
    "ex.col.item_text": ("兑换物品", "Item"),
    "ex.col.joined_on": ("加入日期", "Joined on"),
    "ex.col.activity_id": ("活动编号", "Activity id"),
    "ex.col.case_id": ("案件编号", "Case id"),
    "note.ex.table_unknown": ("台账“{value}”不存在，改用活动台账", "ledger “{value}” does not exist; using activities"),
    "note.ex.group_invalid": ("分组“{value}”不适用于这本台账，已忽略", "grouping “{value}” does not fit this ledger; ignored"),
    "note.ex.measure_invalid": ("度量“{value}”不适用于这本台账，改用行数", "measure “{value}” does not fit this ledger; "
                                "using rows"),
    "note.ex.filter_invalid": ("筛选“{value}”无效，已忽略", "filter “{value}” is not valid; ignored"),
    "note.ex.column_unknown": ("列“{value}”不存在，已忽略", "column “{value}” does not exist; ignored"),
    "note.ex.value_unknown": ("筛选值“{value}”不存在，已忽略", "filter value “{value}” does not exist; ignored"),
    "note.ex.keywords_invalid": ("关键词“{value}”无效，已忽略", "keywords “{value}” are not valid; ignored"),
}
LABELS.update(EXPLORE_LABELS)

PILLAR_EN = {
    "联动联建": "Joint building",
    "居民自治": "Resident self-governance",
    "志愿服务": "Volunteer service",
    "社会治理": "Social governance",
}
CASE_KIND_EN = {"居民诉求": "Resident requests", "矛盾纠纷": "Disputes", "安全隐患": "Safety hazards"}


def norm_lang(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None = None, **fmt: object) -> str:
    """The label `key` in `lang` ('zh' | 'en'), with `{placeholders}` filled from `fmt`."""
    zh, en = LABELS[key]
    text = en if norm_lang(lang) == "en" else zh
    return text.format(**fmt) if fmt else text


def _kpi(k: KPI | str) -> KPI:
    return CATALOGUE[k] if isinstance(k, str) else k


def kpi_name(k: KPI | str, lang: str | None = None) -> str:
    k = _kpi(k)
    return k.name_en if norm_lang(lang) == "en" else k.name_zh


def kpi_unit(k: KPI | str, lang: str | None = None) -> str:
    k = _kpi(k)
    return k.unit_en if norm_lang(lang) == "en" else k.unit_zh


def kpi_definition(k: KPI | str, lang: str | None = None) -> str:
    k = _kpi(k)
    return k.definition_en if norm_lang(lang) == "en" else k.definition_zh


def kpi_label(k: KPI | str, lang: str | None = None) -> str:
    """Name with unit, for table headers and axis titles: 参与人次（人次） / Participations (participations)."""
    k = _kpi(k)
    unit = kpi_unit(k, lang)
    if norm_lang(lang) == "en":
        return f"{k.name_en} ({unit})"
    return f"{k.name_zh}（{unit}）"


def domain_name(domain: str, lang: str | None = None) -> str:
    zh, en = DOMAINS[domain]
    return en if norm_lang(lang) == "en" else zh


def pillar_name(pillar: str, lang: str | None = None) -> str:
    """Display name of a pillar (data value, Chinese); unknown pillars stay as they are."""
    return PILLAR_EN.get(pillar, pillar) if norm_lang(lang) == "en" else pillar


def case_kind_name(kind: str, lang: str | None = None) -> str:
    return CASE_KIND_EN.get(kind, kind) if norm_lang(lang) == "en" else kind
