from portal.templating import confidence


def test_model_confidence_reads_as_a_likelihood_never_as_certainty():
    assert confidence(1.0) == "99%"
    assert confidence(0.0) == "1%"
    assert confidence(0.864) == "86%"
    assert confidence(None) == "—"
