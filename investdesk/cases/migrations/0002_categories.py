from django.db import migrations

CATEGORIES = [
    ("logistics", "物流运输", "您反映的物流运输问题已协调交通运输部门办理，通行证/运输协调结果如下："),
    ("supply-chain", "供应链", "您反映的供应链问题已协调上下游企业和相关部门，处理情况如下："),
    ("labour", "用工", "您反映的用工问题已协调人社部门和属地政府，处理情况如下："),
    ("financing", "融资", "您反映的融资问题已推送金融机构对接，对接情况如下："),
    ("land-construction", "用地与建设", "您反映的用地与项目建设问题已协调自然资源和住建部门，办理情况如下："),
    ("approvals", "审批与许可", "您反映的审批事项已协调审批部门，办理进度如下："),
    ("policy", "政策兑现", "您反映的政策兑现问题已协调政策主管部门，兑现安排如下："),
    ("utilities", "水电气保障", "您反映的水电气保障问题已协调供电、供水、供气单位，保障措施如下："),
    ("other", "其他", ""),
]


def add(apps, schema_editor):
    CaseCategory = apps.get_model("cases", "CaseCategory")
    for position, (code, name, template) in enumerate(CATEGORIES):
        CaseCategory.objects.get_or_create(
            code=code, defaults={"name": name, "reply_template": template, "sort_order": (position + 1) * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
