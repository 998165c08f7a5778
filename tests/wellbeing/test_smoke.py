def test_it_builds_the_organisation(org):
    assert org.people["staff"].unit == org.section_a1
