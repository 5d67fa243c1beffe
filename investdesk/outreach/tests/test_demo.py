from investdesk.core.models import User
from investdesk.outreach import selectors
from investdesk.outreach.demo import LETTER_SUBJECT, NOTICE_SUBJECT, RESPONSES
from investdesk.outreach.models import Campaign, Message


def check_outreach_story():
    """Story 4 of the brief: the Mid-Autumn letter reached 1,200+ enterprises one-to-one, and Dell
    (China), CATL and the EU Chamber answered among others; the lockdown notice has read receipts.
    Called by the one test that loads the whole demo (core/tests/test_commands.py)."""
    letter = Campaign.objects.get(subject=LETTER_SUBJECT, audience=Campaign.Audience.ENTERPRISES)
    assert letter.status == Campaign.Status.DONE
    assert (letter.created_by.username, letter.approved_by.username) == ("dispatcher", "leader")
    assert letter.approved_at.date().isoformat() == "2022-09-08"

    # One message per enterprise, each by its contact's channel; 1,200+ enterprises reached.
    messages = letter.messages.all()
    assert messages.values("enterprise").distinct().count() == messages.count() >= 1200
    reached = messages.filter(state=Message.State.SENT)
    assert reached.values("enterprise").distinct().count() >= 1200
    channels = set(messages.values_list("channel", flat=True))
    assert {"email", "sms", "phone"} <= channels
    # A finished campaign: nothing left for a worker, a handful of failures with their reasons.
    open_states = [Message.State.PENDING, Message.State.SENDING, Message.State.FAILED, Message.State.UNKNOWN]
    assert not messages.filter(state__in=open_states).exists()
    failed = messages.filter(state=Message.State.FAILED_PERMANENTLY)
    assert 0 < failed.count() < 50 and not failed.filter(last_error="").exists()
    assert failed.filter(channel="email", last_error__contains="550").exists()
    assert failed.filter(channel="sms", last_error="号码为空号").exists()
    assert failed.filter(channel="phone", outcome=Message.Outcome.NOT_REACHED).exists()
    assert not reached.filter(sent_at__year__gt=2022).exists()
    assert reached.filter(channel="phone").count() == messages.filter(outcome=Message.Outcome.REACHED).count()

    # The answers: the three the brief names among thirteen.
    responses = {r.enterprise.name: r for r in letter.responses.select_related("enterprise")}
    assert len(responses) == len(RESPONSES) == 13
    assert "戴尔" in responses["戴尔（中国）有限公司成都分公司"].summary
    assert responses["四川时代新能源科技有限公司"].sentiment == "positive"
    eu = responses["博世底盘控制系统（成都）有限公司"]
    assert "中国欧盟商会" in eu.who and "中国欧盟商会西南分会" in eu.summary
    progress = selectors.progress(campaign=letter)
    assert progress.responses == 13 and progress.pending == 0
    assert progress.by_sentiment == {"positive": 11, "neutral": 2, "negative": 0}
    assert letter.responses.filter(needs_follow_up=True).count() == 2
    assert {r.received_on.isoformat() for r in responses.values()} <= {f"2022-09-{d:02d}" for d in range(9, 16)}

    # The internal notice to the bureau's staff, read by most.
    notice = Campaign.objects.get(subject=NOTICE_SUBJECT, audience=Campaign.Audience.STAFF)
    assert notice.status == Campaign.Status.DONE and notice.approved_by.username == "leader"
    total = notice.messages.count()
    read = notice.messages.filter(read_at__isnull=False).count()
    assert total >= 10 and set(notice.messages.values_list("channel", "state").distinct()) == {("inapp", "sent")}
    assert 0.6 <= read / total <= 0.8
    assert notice.messages.filter(user=User.objects.get(username="leader")).exists()
    assert selectors.unread_of(campaign=notice).count() == total - read
