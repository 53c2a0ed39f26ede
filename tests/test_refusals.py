"""Refusals as customers see them: an off-topic request is refused without citing the assistant's internal
scope rules; a refusal about a banking matter keeps the customer-facing rules it rests on."""


def test_off_topic_refusal_cites_no_internal_document(demo_assistant):
    answer = demo_assistant.ask("帮我写一首关于春天的诗")
    assert answer.outcome == "refused"
    assert answer.citations == []
    assert answer.matched_id == "off_topic"  # the evaluation still sees which rule refused


def test_banking_refusal_keeps_its_sources(demo_assistant):
    answer = demo_assistant.ask("信用卡可以套现吗？")
    assert answer.outcome == "refused"
    assert [c.id for c in answer.citations] == ["card-credit-cashout", "doc-credit-card", "doc-credit-card"]
