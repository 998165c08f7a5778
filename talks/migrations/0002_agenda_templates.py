"""Common talk agendas per trigger (administrators can edit or add more in the admin)."""

from django.db import migrations

AGENDAS = [
    ("routine", "日常谈心", "1. 近期工作和生活情况\n2. 工作压力与休息（年休假安排）\n3. 困难和诉求\n4. 对单位的意见建议\n5. 约定事项",
     "Routine talk", "1. Work and life lately\n2. Pressure and rest (annual leave plans)\n3. Difficulties and requests\n4. Suggestions for the unit\n5. Agreed actions"),
    ("post_change", "岗位调整谈心", "1. 对新岗位的想法\n2. 工作交接和适应\n3. 需要的支持和培训\n4. 约定事项",
     "Change of post", "1. Thoughts about the new post\n2. Handover and settling in\n3. Support and training needed\n4. Agreed actions"),
    ("family_illness", "家庭困难或疾病关怀谈心", "1. 家庭或身体情况\n2. 工作安排是否需要调整\n3. 可提供的帮助（请假、慰问等）\n4. 约定事项",
     "Family difficulty or illness", "1. The family or health situation\n2. Whether work needs adjusting\n3. Help available (leave, visits)\n4. Agreed actions"),
    ("conflict", "矛盾化解谈心", "1. 了解事情经过\n2. 各方感受和诉求\n3. 化解办法\n4. 约定事项",
     "Conflict", "1. What happened\n2. How each side feels and what they ask\n3. Ways to resolve it\n4. Agreed actions"),
    ("return_from_leave", "返岗谈心", "1. 恢复情况\n2. 返岗后的工作安排\n3. 需要的支持\n4. 约定事项",
     "Return from long leave", "1. Recovery\n2. Work arrangements on return\n3. Support needed\n4. Agreed actions"),
    ("screening", "测评后跟进谈心", "1. 近期心情和睡眠\n2. 压力来源\n3. 是否愿意接受心理咨询\n4. 约定事项",
     "Screening follow-up", "1. Mood and sleep lately\n2. Sources of pressure\n3. Whether counselling is welcome\n4. Agreed actions"),
    ("own_request", "应本人要求谈心", "1. 本人希望谈的问题\n2. 困难和诉求\n3. 约定事项",
     "At the person's request", "1. What the person wants to talk about\n2. Difficulties and requests\n3. Agreed actions"),
]


def add(apps, schema_editor):
    AgendaTemplate = apps.get_model("talks", "AgendaTemplate")
    for trigger, zh_title, zh_body, en_title, en_body in AGENDAS:
        AgendaTemplate.objects.get_or_create(trigger=trigger, language="zh-hans", title=zh_title, defaults={"body": zh_body})
        AgendaTemplate.objects.get_or_create(trigger=trigger, language="en", title=en_title, defaults={"body": en_body})


class Migration(migrations.Migration):
    dependencies = [("talks", "0001_initial")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
