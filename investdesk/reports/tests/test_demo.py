from investdesk.reports import documents
from investdesk.reports.models import Bulletin


def check_bulletin_story():
    """The demo's bulletin tells the brief's figures in the brief's words. Called by the one test
    that loads the whole demo (core/tests/test_commands.py)."""
    bulletin = Bulletin.objects.get(number=1, year=2022)
    text = "\n".join(documents.render_text(bulletin, s["text"]) for s in bulletin.sections)
    assert (
        "截至9月14日，共开展志愿服务182人次，服务社区42个，协助完成核酸检测50785人次，"
        "协助录入信息13854条，入户调查1013户。"
    ) in text
    assert "据不完全统计，9月1日至9月14日，动员在川投资企业和商协会捐款捐物3.4亿元" in text
    assert "走访服务企业137家" in text
