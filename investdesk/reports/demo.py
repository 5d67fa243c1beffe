"""The demo's work bulletin: the bureau's bulletin of 15 September 2022, drafted from the records of
1–14 September (the brief's figures), issued as number 1."""

import datetime

from investdesk.core.models import Unit, User
from investdesk.reports import services
from investdesk.reports.figures import Scope
from investdesk.reports.models import Bulletin


def load() -> dict:
    if Bulletin.objects.exists():
        return {"skipped": "bulletins exist already"}
    leader = User.objects.filter(username="leader").first()
    bureau = Unit.objects.filter(code="bureau").first()
    if leader is None or bureau is None:
        return {"skipped": "no leader or bureau"}
    bulletin = services.bulletin_draft(
        actor=leader,
        scope=Scope(start=datetime.date(2022, 9, 1), end=datetime.date(2022, 9, 14)),
        keys=["aftercare", "pipeline", "emergency"],
        title="全力以赴稳产保供 抗疫救灾招商引资两不误",
        issuing_unit=bureau,
    )
    bulletin = services.bulletin_update(
        actor=leader,
        bulletin=bulletin,
        version=bulletin.version,
        title=bulletin.title,
        texts={},
        send_to="省委办公厅，省政府办公厅，省委、省政府分管领导",
        copy_to="各市（州）投资促进局，局领导，局机关各处室，各驻外办事处",
    )
    bulletin = services.bulletin_issue(
        actor=leader, bulletin=bulletin, version=bulletin.version, issued_on=datetime.date(2022, 9, 15)
    )
    return {"bulletins": 1}
