"""The dossier's repeated parts as HTML, built in Python (guazhi.fasthtml).

The timeline's entries (cards of up to a dozen fields and links), the
postings table with what each posting lacks and the summary panel: rendered
by the template engine, with an {% include %} per entry, they spent several
times the whole bare page (issue 3). The markup is the one the templates
had: the page, the print view and the tests rely on its classes and texts.
"""

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guazhi.access import role_may_use
from guazhi.fasthtml import esc, labels, ymd
from postings.models import Posting

from .dossier import Entry, PostingCheck, Summary, fixed_url, url_for


def page_links(role, cadre) -> dict[str, str]:
    """The URLs of the dossier page's buttons, those `role` may follow."""
    links = {"detail": url_for("cadres:detail")(cadre.pk)}
    for name in ("edit", "dossier_print", "dossier_export"):
        if role_may_use(role, f"cadres:{name}"):
            links[name] = url_for(f"cadres:{name}")(cadre.pk)
    if role_may_use(role, "postings:create"):
        links["posting_create"] = fixed_url("postings:create")
    return links


def _lines(value) -> str:
    """`value|linebreaksbr`: escaped, each line break a <br>."""
    text = esc(value)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\n", "<br>")


def _when(value, zone) -> str:
    """`value|date:"Y-m-d H:i"` of an aware datetime, in local time."""
    return "" if value is None else f"{value.astimezone(zone):%Y-%m-%d %H:%M}"


def entries_html(entries: list[Entry], role, *, printing: bool = False) -> SafeString:
    """The timeline's entries (the cards), each as the dossier shows it;
    `printing` leaves out the links that only make sense on screen."""
    if not entries:
        return mark_safe("")
    text = {
        "attendees": esc(_("参会干部")),
        "files": esc(_("附件")),
        "filed": esc(_("填报")),
        "edit": esc(_("修改")),
        "revoke": esc(_("撤销")),
        "resolve": esc(_("标记解决")),
        "detail": esc(_("查看计算过程")),
        "history": esc(_("修改记录")),
    }
    attachment = url_for("cadres:attachment")
    revoke = (
        url_for("cadres:warning_revoke")
        if role_may_use(role, "cadres:warning_revoke")
        else None
    )
    resolve = (
        url_for("cadres:support_resolve")
        if role_may_use(role, "cadres:support_resolve")
        else None
    )
    zone = timezone.get_current_timezone()
    kinds: dict[str, str] = {}  # kind key -> escaped label
    where: dict[int, str] = {}  # posting id -> escaped unit and title
    out = []
    for entry in entries:
        kind, record = entry.kind, entry.record
        if kind.key not in kinds:
            kinds[kind.key] = esc(kind.label)
        posting = entry.posting
        if posting.pk not in where:
            where[posting.pk] = esc(posting.receiving_unit.name) + esc(posting.title)
        muted = entry.muted
        status = (
            f' <span class="badge text-bg-secondary">'
            f"{esc(record.get_status_display())}</span>"
            if muted
            else ""
        )
        html = [
            f'<article class="card mb-2 dossier-entry'
            f'{" entry-muted opacity-75" if muted else ""}" data-kind="{kind.key}">\n'
            '  <div class="card-body py-2">\n'
            '    <div class="d-flex justify-content-between flex-wrap gap-2">\n'
            f'      <div><span class="badge kind-badge text-bg-light border">'
            f'{kinds[kind.key]}</span> <strong class="entry-title'
            f'{" text-decoration-line-through" if muted else ""}">'
            f"{esc(entry.title)}</strong>{status}</div>\n"
            f'      <div class="small text-body-secondary">{esc(entry.when)} · '
            f"{where[posting.pk]}"
            "</div>\n    </div>\n"
        ]
        if entry.fields:
            html.append('    <dl class="row small mb-0 mt-1">\n      ')
            html += [
                f'<dt class="col-sm-2 fw-normal text-body-secondary">{esc(label)}</dt>'
                f'<dd class="col-sm-10 mb-1">{_lines(value)}</dd>'
                for label, value in entry.fields
            ]
            html.append("\n    </dl>\n")
        if entry.attendees:
            names = "、".join(esc(name) for name in entry.attendees)
            html.append(
                f'    <div class="small"><span class="text-body-secondary">'
                f"{text['attendees']}</span> {names}</div>\n"
            )
        files = getattr(record, "files", None) if kind.key == "report" else None
        if files:
            links = "".join(
                f'<a class="attachment-link me-2" href="{attachment(f.pk)}">'
                f"{esc(f.original_name)}</a>"
                for f in files
            )
            html.append(
                f'    <div class="small"><span class="text-body-secondary">'
                f"{text['files']}</span>\n      {links}</div>\n"
            )
        html.append(
            '    <div class="d-flex justify-content-between small mt-1">\n'
            f'      <span class="text-body-secondary">{text["filed"]}：'
            f"{esc(entry.author)} · {_when(entry.created_at, zone)}</span>\n"
        )
        if not printing:
            links = []
            if entry.edit_url:
                links.append(f'<a href="{esc(entry.edit_url)}">{text["edit"]}</a>')
            if entry.settle_refused:
                pass  # the host-write rule refuses it: no link to a refusal
            elif kind.key == "warning" and record.status == "active" and revoke:
                links.append(
                    f'<a class="ms-2" href="{revoke(record.pk)}">{text["revoke"]}</a>'
                )
            elif kind.key == "support" and record.status == "open" and resolve:
                links.append(
                    f'<a class="ms-2" href="{resolve(record.pk)}">{text["resolve"]}</a>'
                )
            if kind.key == "assessment" and record.detail_url:
                links.append(
                    f'<a class="ms-2" href="{esc(record.detail_url)}">'
                    f"{text['detail']}</a>"
                )
            if entry.history_url:
                links.append(
                    f'<a class="ms-2" href="{esc(entry.history_url)}">'
                    f"{text['history']}</a>"
                )
            html.append(
                '      <span class="no-print">\n        '
                + "\n        ".join(links)
                + "\n      </span>\n"
            )
        html.append("    </div>\n  </div>\n</article>\n")
        out.append("".join(html))
    return mark_safe("".join(out))  # noqa: S308 - every value above went through esc()


def _bar_css(percent: int) -> str:
    if percent == 100:
        return "bg-success"
    return "bg-warning" if percent >= 60 else "bg-danger"


def checks_html(checks: list[tuple[PostingCheck, list]], role) -> SafeString:
    """The postings table's rows: each posting, what it lacks, what to add."""
    if not checks:
        return mark_safe(
            '<tr><td colspan="7" class="text-body-secondary">'
            f"{esc(_('暂无挂职记录。'))}</td></tr>"
        )
    kinds, statuses = labels(Posting.Kind.choices), labels(Posting.Status.choices)
    detail = url_for("postings:detail")
    history = (
        url_for("cadres:history", "posting")
        if role_may_use(role, "cadres:history")
        else None
    )
    text = {
        "complete": esc(_("档案完整度")),
        "done": esc(_("齐全")),
        "nothing": esc(_("暂无应交材料")),
        "history": esc(_("挂职修改记录")),
        "add": esc(_("新增")),
    }
    out = []
    for check, actions in checks:
        p = check.posting
        end = p.ended_on or p.planned_end_date
        if check.expected:
            percent = check.percent
            completeness = (
                '\n      <div class="d-flex align-items-center gap-2">'
                '<div class="progress flex-grow-1" role="progressbar" '
                f'aria-label="{text["complete"]}" aria-valuenow="{percent}" '
                'aria-valuemin="0" aria-valuemax="100" style="height:.6rem">\n'
                f'        <div class="progress-bar {_bar_css(percent)}" '
                f'style="width: {percent}%"></div></div>\n'
                f'        <span class="small text-nowrap">{check.done}/{check.expected}'
                "</span></div>\n      "
            )
            if check.missing:
                n = len(check.missing)
                items = "".join(f"<li>{esc(item)}</li>" for item in check.missing)
                completeness += (
                    '<details class="small"><summary>'
                    f"{esc(ngettext('缺 %(n)s 项', '缺 %(n)s 项', n) % {'n': n})}"
                    f'</summary><ul class="mb-0 ps-3 missing-list">{items}</ul>'
                    "</details>\n      "
                )
            else:
                completeness += (
                    f'<span class="small text-success">{text["done"]}</span>\n      '
                )
        else:
            completeness = (
                '\n      <span class="small text-body-secondary">'
                f"{text['nothing']}</span>\n      "
            )
        if history:
            completeness += (
                f'<a class="small" href="{history(p.pk)}">{text["history"]}</a>'
            )
        menu = ""
        if actions:
            items = "".join(
                f'<li><a class="dropdown-item" href="{esc(url)}">{esc(label)}</a></li>'
                for label, url in actions
            )
            menu = (
                '<div class="dropdown"><button class="btn btn-sm btn-outline-primary '
                'dropdown-toggle" type="button" data-bs-toggle="dropdown" '
                f'aria-expanded="false">{text["add"]}</button>\n'
                f'      <ul class="dropdown-menu">{items}</ul></div>'
            )
        out.append(
            f'<tr data-posting="{p.pk}"><td>{kinds.get(p.kind, esc(p.kind))}</td>'
            f"<td>{esc(p.receiving_unit.name)}</td>"
            f'<td><a href="{detail(p.pk)}">{esc(p.title)}</a></td>\n'
            f'    <td class="text-nowrap">{ymd(p.start_date)} ~ {ymd(end)}</td>'
            f"<td>{statuses.get(p.status, esc(p.status))}</td>\n"
            f'    <td class="completeness">{completeness}\n    </td>\n'
            f"    <td>{menu}</td></tr>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above went through esc()


def summary_html(summary: Summary) -> SafeString:
    """The summary panel: current posting, notes, reports, warning, grade, needs."""

    def card(title: str, body: str) -> str:
        return (
            '  <div class="col-6 col-lg-2"><div class="card h-100">'
            '<div class="card-body py-2">\n'
            f'    <div class="small text-body-secondary">{esc(title)}</div>\n'
            f"    {body}\n  </div></div></div>\n"
        )

    current = summary.current
    if current:
        served = _("已挂职 %(n)s 天") % {"n": summary.days_served}
        now = (
            '<div class="fw-semibold" id="summary-current">'
            f"{esc(current.receiving_unit.name)}{esc(current.title)}</div>\n"
            f'    <div class="small">{esc(served)}</div>'
        )
    else:
        now = f'<div class="fw-semibold" id="summary-current">{esc(_("无在岗挂职"))}</div>'
    due, overdue = summary.reports_due, summary.reports_overdue
    reports = (
        f'<div id="summary-reports"><span>{esc(_("30天内待交"))} '
        f"<strong>{len(due)}</strong></span>\n"
        f'      · <span class="{"text-danger fw-semibold" if overdue else ""}">'
        f"{esc(_('逾期'))} <strong>{len(overdue)}</strong></span></div>"
    )
    if due:
        reports += (
            f'\n    <div class="small">{esc(_("下一份"))}：{esc(due[0].label)} '
            f"{ymd(due[0].due)}</div>"
        )
    points = _("周期内累计 %(p)s 分") % {"p": summary.warning_points}
    warning = (
        f'<div><span class="badge {summary.warning_css}" id="summary-warning">'
        f"{esc(summary.warning_label)}</span></div>\n"
        f'    <div class="small">{esc(points)}</div>'
    )
    needs = " text-warning-emphasis" if summary.open_needs else ""
    return mark_safe(  # noqa: S308 - every value below went through esc()
        '<div class="row g-2 mb-3 dossier-summary" id="dossier-summary">\n'
        + card(_("当前挂职"), now)
        + card(
            _("月小结（已交/应交）"),
            f'<div class="fs-5 fw-semibold" id="summary-notes">'
            f"{summary.notes_filed} / {summary.notes_expected}</div>",
        )
        + card(_("汇报材料"), reports)
        + card(_("当前预警等级"), warning)
        + card(
            _("最近考核等级"),
            f'<div class="fs-5 fw-semibold" id="summary-grade">'
            f"{esc(summary.grade or _('暂无'))}</div>",
        )
        + card(
            _("未解决的保障需求"),
            f'<div class="fs-5 fw-semibold{needs}" id="summary-needs">'
            f"{summary.open_needs}</div>",
        )
        + "</div>"
    )
